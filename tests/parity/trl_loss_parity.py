"""Parity of grpo's GrpoLoss with TRL's own GRPOTrainer._compute_loss.

For every loss_type, token and sequence level, beta 0 and > 0 (with and without the KL bias
correction), mu 1 and 2 (old logprobs absent or given), epsilon_high != epsilon_low, the delta
cap and gradient accumulation, this
script draws float64 inputs, runs TRL's loss code on them (the trainer's model forward is
replaced by the given per-token logprobs), and records the loss, the gradient with respect to
the logprobs and TRL's logged statistics. It writes the cases as JSON and runs the C++ checker
(tests/parity/check_loss_parity.cpp), which computes grpo's loss on the same inputs and compares.

usage: trl_loss_parity.py CHECKER OUT_JSON
"""

import collections
import itertools
import json
import subprocess
import sys

import torch
from accelerate import Accelerator
from trl import GRPOConfig, GRPOTrainer


def trl_trainer(loss_type, level, beta, eps_low, eps_high, delta, accumulation, max_len, bias_correction):
    """A GRPOTrainer with only the state `_compute_loss` reads (no model, no dataset)."""
    trainer = object.__new__(GRPOTrainer)
    trainer.args = GRPOConfig(
        output_dir="/tmp/grpo-trl-parity",
        loss_type=loss_type,
        importance_sampling_level=level,
        beta=beta,
        epsilon=eps_low,
        epsilon_high=eps_high,
        delta=delta,
        use_bias_correction_kl=bias_correction,
        steps_per_generation=accumulation,
        gradient_accumulation_steps=accumulation,
        max_completion_length=max_len,
        report_to=[],
        use_cpu=True,
        bf16=False,
    )
    trainer.loss_type = loss_type
    trainer.importance_sampling_level = level
    trainer.beta = beta
    trainer.epsilon_low = eps_low
    trainer.epsilon_high = eps_high
    trainer.max_completion_length = max_len
    trainer.current_gradient_accumulation_steps = accumulation
    trainer.top_entropy_quantile = 1.0
    trainer.off_policy_mask_threshold = None
    trainer.use_vllm = False
    trainer.aux_loss_enabled = False
    trainer._entropy_bonus_enabled = False
    trainer.accelerator = Accelerator(cpu=True)
    trainer.model = torch.nn.Linear(1, 1).train()
    trainer._metrics = {"train": collections.defaultdict(list), "eval": collections.defaultdict(list)}
    return trainer


def run_trl(case):
    trainer = trl_trainer(case["loss_type"], case["importance_sampling_level"], case["beta"],
                          case["epsilon_low"], case["epsilon_high"], case["delta"],
                          case["gradient_accumulation_steps"], case["max_completion_length"],
                          case["use_bias_correction_kl"])
    logp = torch.tensor(case["logprobs"], dtype=torch.float64, requires_grad=True)
    n, t = logp.shape
    entropies = torch.zeros(n, t, dtype=torch.float64)
    trainer._get_per_token_logps_and_entropies = lambda *args, **kwargs: (logp, entropies, None)
    inputs = {
        "prompt_ids": torch.zeros(n, 1, dtype=torch.long),
        "prompt_mask": torch.ones(n, 1, dtype=torch.long),
        "completion_ids": torch.zeros(n, t, dtype=torch.long),
        "completion_mask": torch.tensor(case["completion_mask"], dtype=torch.long),
        "advantages": torch.tensor(case["advantages"], dtype=torch.float64),
        "num_items_in_batch": torch.tensor(case["num_items_in_batch"], dtype=torch.float64),
    }
    if case["old_logprobs"] is not None:
        inputs["old_per_token_logps"] = torch.tensor(case["old_logprobs"], dtype=torch.float64)
    if case["beta"] != 0.0:
        inputs["ref_per_token_logps"] = torch.tensor(case["ref_logprobs"], dtype=torch.float64)
    loss = trainer._compute_loss(trainer.model, inputs)
    loss.backward()
    metrics = trainer._metrics["train"]
    case["trl"] = {
        "loss": loss.item(),
        "grad": logp.grad.tolist(),
        "kl": metrics["kl"][0] if case["beta"] != 0.0 else 0.0,
        "clip_ratio_low_mean": metrics["clip_ratio/low_mean"][0],
        "clip_ratio_high_mean": metrics["clip_ratio/high_mean"][0],
        "clip_ratio_region_mean": metrics["clip_ratio/region_mean"][0],
        "clip_ratio_low_min": metrics["clip_ratio/low_min"][0],
        "clip_ratio_high_max": metrics["clip_ratio/high_max"][0],
    }


def make_cases():
    gen = torch.Generator().manual_seed(1234)
    n, t = 8, 12
    cases = []
    # (loss_type, level, beta, mu, epsilon_high, delta, accumulation, use_bias_correction_kl)
    grid = itertools.product(["grpo", "bnpo", "dr_grpo", "dapo"], ["token", "sequence"], [0.0, 0.04],
                             [1, 2], [0.2, 0.28])
    specs = [(lt, lv, b, mu, eh, None, 1, True) for lt, lv, b, mu, eh in grid]
    specs += [(lt, lv, 0.04, mu, 0.28, None, 1, False)
              for lt, lv, mu in itertools.product(["grpo", "dapo"], ["token", "sequence"], [1, 2])]
    specs += [("bnpo", "token", 0.04, 2, 0.28, 2.0, 1, True), ("grpo", "sequence", 0.0, 2, 0.2, 1.5, 1, True),
              ("grpo", "token", 0.04, 2, 0.2, None, 2, True), ("dapo", "token", 0.04, 2, 0.28, None, 2, True),
              ("dr_grpo", "sequence", 0.04, 2, 0.2, None, 2, False), ("bnpo", "token", 0.0, 1, 0.2, None, 4, True)]
    for loss_type, level, beta, mu, eps_high, delta, accumulation, bias_correction in specs:
        logp = -torch.rand(n, t, generator=gen, dtype=torch.float64) * 4
        # Ratios spread enough that both clip bounds are hit.
        old = logp + torch.randn(n, t, generator=gen, dtype=torch.float64) * 0.35
        ref = logp + torch.randn(n, t, generator=gen, dtype=torch.float64) * 0.3
        lengths = torch.randint(1, t + 1, (n, 1), generator=gen)
        lengths[-1] = 0  # one completion fully masked
        mask = (torch.arange(t).unsqueeze(0) < lengths).long()
        advantages = torch.randn(n, generator=gen, dtype=torch.float64)
        advantages[0] = 0.0
        cases.append({
            "loss_type": loss_type, "importance_sampling_level": level, "beta": beta,
            "epsilon_low": 0.2, "epsilon_high": eps_high, "delta": delta,
            "gradient_accumulation_steps": accumulation, "max_completion_length": t + 4,
            "use_bias_correction_kl": bias_correction,
            "logprobs": logp.tolist(), "old_logprobs": old.tolist() if mu == 2 else None,
            "ref_logprobs": ref.tolist(), "completion_mask": mask.tolist(),
            "advantages": advantages.tolist(),
            # The generation batch holds this micro-batch and others of the same size.
            "num_items_in_batch": float(mask.sum()) * accumulation,
        })
    return cases


def main():
    checker, out_path = sys.argv[1], sys.argv[2]
    cases = make_cases()
    for case in cases:
        run_trl(case)
    with open(out_path, "w") as f:
        json.dump(cases, f)
    print(f"{len(cases)} cases from TRL written to {out_path}", flush=True)
    sys.exit(subprocess.call([checker, out_path]))


if __name__ == "__main__":
    main()
