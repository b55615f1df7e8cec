"""GrpoLoss vs TRL's GRPOTrainer._compute_loss: forward + backward on the same shapes, CPU, float32.

Runs TRL in this process and grpo's bench_loss program in a child, both with the same number of
threads, and prints the median time of each and their ratio.

usage: loss_vs_trl.py BENCH_LOSS_BINARY [--iterations 30]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "parity"))
from trl_loss_parity import trl_trainer  # noqa: E402


def time_trl(n, t, loss_type, beta, iterations):
    torch.manual_seed(0)
    logp0 = -torch.rand(n, t) * 4
    old = logp0 + torch.randn(n, t) * 0.3
    ref = logp0 + torch.randn(n, t) * 0.3
    adv = torch.randn(n)
    mask = (torch.arange(t).unsqueeze(0) < torch.randint(1, t + 1, (n, 1))).long()
    trainer = trl_trainer(loss_type, "token", beta, 0.2, 0.2, None, 1, t, True)
    entropies = torch.zeros(n, t)
    times = []
    for i in range(iterations + 3):
        logp = logp0.clone().requires_grad_(True)
        trainer._get_per_token_logps_and_entropies = lambda *a, **k: (logp, entropies, None)
        inputs = {
            "prompt_ids": torch.zeros(n, 1, dtype=torch.long), "prompt_mask": torch.ones(n, 1, dtype=torch.long),
            "completion_ids": torch.zeros(n, t, dtype=torch.long), "completion_mask": mask,
            "advantages": adv, "old_per_token_logps": old, "ref_per_token_logps": ref,
            "num_items_in_batch": mask.sum().float(),
        }
        start = time.perf_counter()
        loss = trainer._compute_loss(trainer.model, inputs)
        loss.backward()
        if i >= 3:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench_loss")
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU float32")
    print(f"{'N':>5} {'T':>6} {'loss_type':>9} {'beta':>5} {'TRL ms':>9} {'grpo ms':>9} {'TRL/grpo':>9}")
    for n, t, loss_type, beta in [(64, 256, "dapo", 0.0), (64, 1024, "dapo", 0.04), (256, 1024, "grpo", 0.04),
                                  (128, 4096, "dapo", 0.04)]:
        trl_ms = time_trl(n, t, loss_type, beta, args.iterations)
        out = subprocess.run([args.bench_loss, str(n), str(t), loss_type, str(beta), str(args.iterations)],
                             check=True, capture_output=True, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())})
        ours_ms = json.loads(out.stdout)["median_ms"]
        print(f"{n:>5} {t:>6} {loss_type:>9} {beta:>5} {trl_ms:>9.2f} {ours_ms:>9.2f} {trl_ms / ours_ms:>9.2f}")


if __name__ == "__main__":
    main()
