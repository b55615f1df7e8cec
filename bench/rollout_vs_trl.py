"""GRPO training steps and rollouts: `grpo train` / `grpo sample` vs TRL's GRPOTrainer and HF generate.

One command, both sides on the same randomly initialised Llama models, the same prompts, the same
reward and the same batch shapes:

1. Writes seeded random-weight LlamaForCausalLM directories (Hugging Face layout) with the SmolLM2
   tokenizer copied from --tokenizer: the "135m" shape (SmolLM2-135M: hidden 576, 30 layers, 9 heads,
   3 key-value heads, FFN 1536) and the "1b" shape (hidden 2048, 16 layers, 32 heads, 8 key-value
   heads, FFN 8192); both with vocabulary 49152, tied embeddings, rope_theta 100000.
2. `grpo train` (the reward `repetition_penalty`, beta 0.04, loss dapo, bf16 autocast over float32
   parameters), median step_seconds / sampling_tokens_per_second / training_tokens_per_second of
   steps 2..N from <run>/metrics.jsonl (step 1 is warm-up).
3. TRL's GRPOTrainer (transformers generate, use_vllm=False) with the same GRPOConfig values and
   trl.rewards.get_repetition_penalty_reward, each optimizer step timed by a TrainerCallback from
   on_step_begin to on_step_end, median of steps 2..N.
4. Sampling alone with bf16 weights on one batch (prompts x G rows, do_sample, temperature 1):
   `grpo sample --dtype bfloat16` and `model.generate` of transformers, one warm-up batch excluded.
5. Prints a table per shape: step seconds, sampling tokens/s, decode milliseconds per step (one
   decode step produces one token for each row) against the HBM roofline (bf16 weights plus the KV
   cache read once per decode step, at --bandwidth-gbs), training tokens/s and MFU (6 x parameters
   x tokens/s over --peak-tflops).

The models are random, so a row rarely samples EOS and completions run to about the maximum
length on both sides; the table shows the mean completion length of each side.

GPU (defaults: 16 prompts x G=8 = 128 completions x 256 new tokens per step, prompts of 32 tokens,
per_device_train_batch_size 32 x gradient_accumulation_steps 4, 5 steps):

    .venv/bin/python bench/rollout_vs_trl.py --grpo build/grpo --shapes 135m,1b

CPU (a tiny Llama: hidden 128, 4 layers; 4 prompts x G=4 = 16 completions x 32 new tokens,
prompts of 16 tokens, 8 x 2 micro-batches, float32, 3 steps, one thread on both sides):

    .venv/bin/python bench/rollout_vs_trl.py --grpo build/grpo --cpu

The tokenizer is read from --tokenizer (default models/SmolLM2-135M-Instruct, which
`bash cmake/setup.sh models` writes); nothing is downloaded. Models and runs go under --work-dir.
"""

import argparse
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")

# Architecture of each shape; every shape has the SmolLM2 vocabulary, tied embeddings and rope_theta 100000.
SHAPES = {
    "135m": dict(hidden_size=576, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
                 intermediate_size=1536),
    "1b": dict(hidden_size=2048, num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
               intermediate_size=8192),
    "tiny": dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=384),
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--grpo", default=str(REPO / "build" / "grpo"), help="the grpo program (default build/grpo)")
    p.add_argument("--tokenizer", default=str(REPO / "models" / "SmolLM2-135M-Instruct"),
                   help="directory with the SmolLM2 tokenizer files (tokenizer.json, tokenizer_config.json)")
    p.add_argument("--work-dir", default=str(REPO / "runs" / "bench-rollout"), help="models and run directories")
    p.add_argument("--cpu", action="store_true", help="CPU run at small shapes (shape tiny, float32)")
    p.add_argument("--shapes", help="comma-separated shapes: 135m, 1b, tiny (default 135m,1b; with --cpu tiny)")
    p.add_argument("--steps", type=int, help="training steps per side; the median covers steps 2..N (GPU 5, CPU 3)")
    p.add_argument("--prompts", type=int, help="prompts per step (GPU 16, CPU 4)")
    p.add_argument("--generations", type=int, help="G, completions per prompt (GPU 8, CPU 4)")
    p.add_argument("--new-tokens", type=int, help="max_completion_length (GPU 256, CPU 32)")
    p.add_argument("--prompt-tokens", type=int, help="tokens per prompt, the same for every prompt (GPU 32, CPU 16)")
    p.add_argument("--micro-batch", type=int, help="per_device_train_batch_size (GPU 32, CPU 8)")
    p.add_argument("--sample-batches", type=int, help="timed sampling batches after the warm-up one (GPU 3, CPU 2)")
    p.add_argument("--threads", type=int,
                   help="intra-op threads of both sides (CPU default 1; GPU: the libraries' default)")
    p.add_argument("--bandwidth-gbs", type=float,
                   help="memory bandwidth for the decode roofline, GB/s (GPU default 4300: H200 HBM3e; CPU: none)")
    p.add_argument("--peak-tflops", type=float,
                   help="peak dense TFLOP/s for MFU (GPU default 790: H200 bf16 dense; CPU: none)")
    p.add_argument("--cuda-graphs", action="store_true",
                   help="grpo samples with static shapes replayed as CUDA graphs (config key cuda_graphs)")
    p.add_argument("--max-decode-rows", type=int, default=0,
                   help="grpo decodes at most this many completions at once, continuous batching "
                        "(config key max_decode_rows; default 0: all of a step's)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    gpu = not a.cpu
    defaults = dict(shapes="135m,1b" if gpu else "tiny", steps=5 if gpu else 3, prompts=16 if gpu else 4,
                    generations=8 if gpu else 4, new_tokens=256 if gpu else 32, prompt_tokens=32 if gpu else 16,
                    micro_batch=32 if gpu else 8, sample_batches=3 if gpu else 2, threads=None if gpu else 1,
                    bandwidth_gbs=4300.0 if gpu else None, peak_tflops=790.0 if gpu else None)
    for key, value in defaults.items():
        if getattr(a, key) is None:
            setattr(a, key, value)
    a.shapes = [s.strip() for s in a.shapes.split(",") if s.strip()]
    for s in a.shapes:
        if s not in SHAPES:
            p.error(f"unknown shape {s!r}; known: {', '.join(SHAPES)}")
    rows = a.prompts * a.generations
    if rows % a.micro_batch:
        p.error(f"--micro-batch {a.micro_batch} must divide prompts x generations = {rows}")
    a.grad_accum = rows // a.micro_batch
    if a.steps < 2:
        p.error("--steps must be >= 2 (step 1 is warm-up)")
    a.device = "cuda" if gpu else "cpu"
    return a


def median_after_first(values):
    return statistics.median(values[1:])


def cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def sync(device):
    import torch
    if device == "cuda":
        torch.cuda.synchronize()


# ---------------------------------------------------------------------------------------------
# Models and data


def make_model(shape, args, tokenizer):
    """A seeded random LlamaForCausalLM of `shape` in <work>/models/<shape>, float32 safetensors,
    with the tokenizer files; reused when it exists with the same config."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(args.work_dir) / "models" / shape
    config = LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=8192, tie_word_embeddings=True,
                         rope_parameters={"rope_type": "default", "rope_theta": 100000.0}, rms_norm_eps=1e-5,
                         hidden_act="silu", bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, **SHAPES[shape])
    stamp = json.dumps({"config": config.to_dict(), "seed": args.seed}, sort_keys=True, default=str)
    if (out / ".bench_stamp").exists() and (out / ".bench_stamp").read_text() == stamp:
        return out
    shutil.rmtree(out, ignore_errors=True)
    torch.manual_seed(args.seed)
    model = LlamaForCausalLM(config).to(torch.float32)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    for name in TOKENIZER_FILES:
        if (Path(args.tokenizer) / name).exists():
            shutil.copy(Path(args.tokenizer) / name, out / name)
    (out / ".bench_stamp").write_text(stamp)
    del model
    gc.collect()
    return out


def make_prompts(tokenizer, count, length, seed):
    """`count` distinct prompts of exactly `length` tokens each: random single-token words."""
    import random

    rng = random.Random(seed)
    words = sorted(t for t in tokenizer.get_vocab() if t.startswith("\u0120") and t[1:].isalpha() and t[1:].islower()
                   and len(t) >= 5)
    prompts, seen = [], set()
    while len(prompts) < count:
        text = "".join(rng.choice(words) for _ in range(length)).replace("\u0120", " ").strip()
        if text not in seen and len(tokenizer(text, add_special_tokens=True).input_ids) == length:
            seen.add(text)
            prompts.append(text)
    return prompts


def write_jsonl(path, prompts):
    with open(path, "w", encoding="utf-8") as f:
        for p in prompts:
            f.write(json.dumps({"prompt": p}) + "\n")


def run(cmd, env):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(map(str, cmd))}\n{result.stderr[-4000:]}")
    return result


def child_env(args):
    env = dict(os.environ)
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    return env


# ---------------------------------------------------------------------------------------------
# grpo


def grpo_train(model_dir, data, out, args):
    shutil.rmtree(out, ignore_errors=True)
    cmd = [args.grpo, "train", "--model", str(model_dir), "--data", str(data), "--output-dir", str(out),
           "--max-steps", str(args.steps), "--reward", "repetition_penalty",
           "--set", f"device={args.device}", "--set", f"seed={args.seed}",
           "--set", f"num_generations={args.generations}",
           "--set", f"per_device_train_batch_size={args.micro_batch}",
           "--set", f"gradient_accumulation_steps={args.grad_accum}",
           "--set", f"max_completion_length={args.new_tokens}", "--set", "temperature=1.0",
           "--set", "beta=0.04", "--set", "loss_type=dapo", "--set", "learning_rate=1e-6",
           "--set", f"bf16={'true' if args.device == 'cuda' else 'false'}",
           "--set", "log_completions_steps=0", "--set", "save_strategy=no"]
    if args.cuda_graphs:
        cmd += ["--set", "cuda_graphs=true"]
    if args.max_decode_rows:
        cmd += ["--set", f"max_decode_rows={args.max_decode_rows}"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    start = time.perf_counter()
    run(cmd, child_env(args))
    wall = time.perf_counter() - start
    lines = [json.loads(line) for line in open(out / "metrics.jsonl", encoding="utf-8")]
    # No checkpoint is written (save_strategy no: the 1b shape's would be ~20 GB with the optimizer
    # state); the final model is not needed either.
    shutil.rmtree(out / "model", ignore_errors=True)
    steps = [line["step_seconds"] for line in lines]
    return dict(step_seconds=median_after_first(steps), all_steps=steps, wall=wall,
                sampling_tps=median_after_first([line["sampling_tokens_per_second"] for line in lines]),
                training_tps=median_after_first([line["training_tokens_per_second"] for line in lines]),
                mean_length=statistics.mean(line["completions/mean_length"] for line in lines),
                max_length=max(line["completions/max_length"] for line in lines))


PROGRESS = re.compile(r"sample (\d+)/\d+ prompts \| ([\d.]+) prompts/s")


def grpo_sample_once(model_dir, prompts, path, args):
    """Runs `grpo sample` over `prompts` in batches of --prompts; returns (seconds of sampling after
    the model is loaded, completion lengths)."""
    write_jsonl(path, prompts)
    cmd = [args.grpo, "sample", "--model", str(model_dir), "-i", str(path), "-n", str(args.generations),
           "--max-new-tokens", str(args.new_tokens), "--temperature", "1.0", "--seed", str(args.seed),
           "--batch-prompts", str(args.prompts), "--device", args.device,
           "--dtype", "bfloat16" if args.device == "cuda" else "float32"]
    if args.cuda_graphs:
        cmd.append("--cuda-graphs")
    if args.max_decode_rows:
        cmd += ["--max-decode-rows", str(args.max_decode_rows)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    result = run(cmd, child_env(args))
    matches = PROGRESS.findall(result.stderr)
    if not matches:
        sys.exit(f"no progress line in grpo sample's output:\n{result.stderr[-2000:]}")
    done, rate = matches[-1]
    lengths = [json.loads(line)["tokens"] for line in result.stdout.splitlines()]
    return int(done) / float(rate), lengths


def grpo_sample(model_dir, prompts, work, args):
    """Sampling seconds per batch with the warm-up batch excluded: a run of 1 + R batches minus a run
    of 1 batch (the progress clock starts after the model is loaded)."""
    batch = prompts[:args.prompts]
    one, _ = grpo_sample_once(model_dir, batch, work / "sample1.jsonl", args)
    many, lengths = grpo_sample_once(model_dir, batch * (1 + args.sample_batches), work / "sampleN.jsonl", args)
    seconds = (many - one) / args.sample_batches
    timed = lengths[len(batch) * args.generations:]
    tokens = sum(timed) / args.sample_batches
    return dict(seconds=seconds, tps=tokens / seconds, mean_length=statistics.mean(timed))


# ---------------------------------------------------------------------------------------------
# TRL and transformers


def trl_train(model_dir, prompts, out, args):
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer, PrinterCallback, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer
    from trl.rewards import get_repetition_penalty_reward

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.seconds, self.logs, self.start = [], [], None

        def on_step_begin(self, a, state, control, **kwargs):
            sync(args.device)
            self.start = time.perf_counter()

        def on_step_end(self, a, state, control, **kwargs):
            sync(args.device)
            self.seconds.append(time.perf_counter() - self.start)

        def on_log(self, a, state, control, logs=None, **kwargs):
            self.logs.append(dict(logs or {}))

    shutil.rmtree(out, ignore_errors=True)
    config = GRPOConfig(
        output_dir=str(out), seed=args.seed, max_steps=args.steps, num_generations=args.generations,
        per_device_train_batch_size=args.micro_batch, gradient_accumulation_steps=args.grad_accum,
        max_completion_length=args.new_tokens, temperature=1.0, top_p=1.0, top_k=0, beta=0.04, loss_type="dapo",
        learning_rate=1e-6, bf16=args.device == "cuda", use_cpu=args.device == "cpu", activation_checkpointing=False,
        use_vllm=False, model_init_kwargs={"dtype": "float32"}, logging_steps=1, save_strategy="no",
        report_to="none", log_completions=False, disable_tqdm=True, dataloader_num_workers=0)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    timer = StepTimer()
    trainer = GRPOTrainer(model=str(model_dir), reward_funcs=[get_repetition_penalty_reward(3, -1.0)], args=config,
                          train_dataset=Dataset.from_list([{"prompt": p} for p in prompts]),
                          processing_class=tokenizer, callbacks=[timer])
    trainer.remove_callback(PrinterCallback)  # the timer keeps the logs
    start = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - start
    lengths = [log["completions/mean_length"] for log in timer.logs if "completions/mean_length" in log]
    max_lengths = [log["completions/max_length"] for log in timer.logs if "completions/max_length" in log]
    del trainer
    gc.collect()
    if args.device == "cuda":
        torch.cuda.empty_cache()
    shutil.rmtree(out, ignore_errors=True)
    return dict(step_seconds=median_after_first(timer.seconds), all_steps=timer.seconds, wall=wall,
                mean_length=statistics.mean(lengths) if lengths else float("nan"),
                max_length=max(max_lengths) if max_lengths else float("nan"))


def hf_generate(model_dir, prompts, args):
    """transformers' generate on one batch (--prompts prompts x G rows), bf16 weights on the GPU,
    float32 on the CPU; a warm-up batch, then --sample-batches timed ones."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).to(args.device).eval()
    inputs = tokenizer(prompts[:args.prompts], return_tensors="pt", padding=True).to(args.device)
    eos = tokenizer.eos_token_id
    seconds, tokens = [], []
    for b in range(1 + args.sample_batches):
        torch.manual_seed(args.seed + b)
        sync(args.device)
        start = time.perf_counter()
        with torch.no_grad():
            out = model.generate(**inputs, do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
                                 max_new_tokens=args.new_tokens, num_return_sequences=args.generations,
                                 eos_token_id=eos, pad_token_id=tokenizer.pad_token_id)
        sync(args.device)
        seconds.append(time.perf_counter() - start)
        completion = out[:, inputs.input_ids.shape[1]:]
        is_eos = completion == eos
        # Tokens up to and including the first EOS (generate pads a finished row with pad = EOS here).
        tokens.append(torch.where(is_eos.any(1), is_eos.int().argmax(1) + 1, completion.shape[1]).tolist())
    del model
    gc.collect()
    if args.device == "cuda":
        torch.cuda.empty_cache()
    timed_seconds = sum(seconds[1:]) / args.sample_batches
    timed_tokens = [t for batch in tokens[1:] for t in batch]
    return dict(seconds=timed_seconds, tps=sum(timed_tokens) / args.sample_batches / timed_seconds,
                mean_length=statistics.mean(timed_tokens))


# ---------------------------------------------------------------------------------------------
# Report


def count_parameters(model_dir):
    from transformers import AutoConfig, LlamaForCausalLM
    import torch

    with torch.device("meta"):
        model = LlamaForCausalLM(AutoConfig.from_pretrained(model_dir))
    return sum(p.numel() for p in model.parameters())  # tied embeddings counted once (the output head)


def roofline_ms(shape, params, args, bytes_per_element):
    """Bytes one decode step reads at least, over the bandwidth: every weight once (the embedding
    matrix as the output head) plus the K and V cache of every row, averaged over the steps."""
    s = SHAPES[shape]
    head_dim = s["hidden_size"] // s["num_attention_heads"]
    rows = args.prompts * args.generations
    context = args.prompt_tokens + (args.new_tokens + 1) / 2
    kv = 2 * s["num_hidden_layers"] * s["num_key_value_heads"] * head_dim * rows * context * bytes_per_element
    weights = params * bytes_per_element
    return (weights + kv) / (args.bandwidth_gbs * 1e9) * 1e3, weights, kv


def report(shape, params, ours, theirs, ours_sample, hf, args):
    rows = args.prompts * args.generations
    dtype = "bf16" if args.device == "cuda" else "float32"
    bytes_per_element = 2 if args.device == "cuda" else 4
    train_dtype = "bf16 autocast, float32 parameters" if args.device == "cuda" else "float32"
    lines = [f"### shape {shape}: {params / 1e6:.1f}M parameters, {args.prompts} prompts x G={args.generations} = "
             f"{rows} completions x {args.new_tokens} new tokens, prompts of {args.prompt_tokens} tokens, "
             f"micro-batch {args.micro_batch} x {args.grad_accum}, {train_dtype}", "",
             "| | grpo | TRL / HF | grpo speed-up |", "|---|---|---|---|"]

    def row(name, a, b, fmt, ratio=None):
        r = "" if ratio is None else f"{ratio:.2f}"
        lines.append(f"| {name} | {fmt.format(a)} | {fmt.format(b)} | {r} |")

    row(f"step seconds, median of steps 2..{args.steps}", ours["step_seconds"], theirs["step_seconds"],
        "{:.3f}", theirs["step_seconds"] / ours["step_seconds"])
    row("mean completion length in training (tokens)", ours["mean_length"], theirs["mean_length"], "{:.1f}")
    row(f"sampling tokens/s, {dtype} weights, {rows} rows", ours_sample["tps"], hf["tps"], "{:.0f}",
        ours_sample["tps"] / hf["tps"])
    row("mean completion length in sampling (tokens)", ours_sample["mean_length"], hf["mean_length"], "{:.1f}")
    # A decode step produces one token for each of the rows: ms per step = 1000 * rows / tokens per second
    # (prefill included, spread over the steps).
    ours_ms, hf_ms = 1e3 * rows / ours_sample["tps"], 1e3 * rows / hf["tps"]
    row("decode ms per step (1000 x rows / tokens per second)", ours_ms, hf_ms, "{:.2f}", hf_ms / ours_ms)
    train_sampling_ms = 1e3 * rows / ours["sampling_tps"]
    lines.append(f"| decode ms per step inside training (grpo: {'bf16 autocast' if args.device == 'cuda' else dtype}) "
                 f"| {train_sampling_ms:.2f} | | |")
    if args.bandwidth_gbs:
        roof, weights, kv = roofline_ms(shape, params, args, bytes_per_element)
        lines.append(f"| decode roofline ms per step ({weights / 1e9:.3f} GB weights + {kv / 1e9:.3f} GB KV cache "
                     f"at {args.bandwidth_gbs:.0f} GB/s); share of it reached | {roof:.3f}; {roof / ours_ms:.1%} | "
                     f"{roof:.3f}; {roof / hf_ms:.1%} | |")
    lines.append(f"| training tokens/s (prompt + completion, forward + backward) | {ours['training_tps']:.0f} | | |")
    if args.peak_tflops:
        mfu = 6 * params * ours["training_tps"] / (args.peak_tflops * 1e12)
        step_tokens = rows * args.prompt_tokens
        ours_step = 6 * params * (step_tokens + rows * ours["mean_length"]) / ours["step_seconds"]
        trl_step = 6 * params * (step_tokens + rows * theirs["mean_length"]) / theirs["step_seconds"]
        lines.append(f"| training MFU (6 x parameters x training tokens/s over {args.peak_tflops:.0f} TFLOP/s) "
                     f"| {mfu:.1%} | | |")
        lines.append(f"| whole-step MFU (6 x parameters x step tokens / step seconds) | "
                     f"{ours_step / (args.peak_tflops * 1e12):.1%} | {trl_step / (args.peak_tflops * 1e12):.1%} | |")
    lines.append("")
    lines.append(f"grpo steps (s): {', '.join(f'{s:.3f}' for s in ours['all_steps'])}; "
                 f"TRL steps (s): {', '.join(f'{s:.3f}' for s in theirs['all_steps'])}; "
                 f"sampling batch: grpo {ours_sample['seconds']:.3f} s, HF {hf['seconds']:.3f} s")
    return "\n".join(lines)


def main():
    args = parse_args()
    import torch
    import transformers
    import trl
    from transformers import AutoTokenizer

    warnings.filterwarnings("ignore", category=FutureWarning)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA device; use --cpu")
    if not Path(args.grpo).exists():
        sys.exit(f"no grpo program at {args.grpo} (build it, or give --grpo)")
    if not (Path(args.tokenizer) / "tokenizer.json").exists():
        sys.exit(f"no tokenizer.json in {args.tokenizer}: give --tokenizer DIR "
                 "(bash cmake/setup.sh models writes models/SmolLM2-135M-Instruct)")
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else cpu_name()
    header = [f"# rollout_vs_trl: {' '.join(sys.argv[1:])}",
              f"device {args.device} ({device_name}); torch {torch.__version__}, "
              f"transformers {transformers.__version__}, trl {trl.__version__}; "
              f"intra-op threads {torch.get_num_threads()} (both sides); "
              f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}"]
    if args.bandwidth_gbs or args.peak_tflops:
        header.append(f"assumed: memory bandwidth {args.bandwidth_gbs} GB/s, peak {args.peak_tflops} TFLOP/s "
                      "(defaults: H200 HBM3e 4300 GB/s and bf16 dense 790 TFLOP/s); MFU counts 6 x parameters per "
                      "token (attention, the reference model and TRL's extra forwards not counted)")
    print("\n".join(header), flush=True)
    tables = []
    for shape in args.shapes:
        model_dir = make_model(shape, args, tokenizer)
        params = count_parameters(model_dir)
        prompts = make_prompts(tokenizer, args.prompts * args.steps, args.prompt_tokens, args.seed)
        data = work / f"prompts-{shape}.jsonl"
        write_jsonl(data, prompts)
        print(f"[{shape}] {params / 1e6:.1f}M parameters: grpo train ...", flush=True)
        ours = grpo_train(model_dir, data, work / f"grpo-{shape}", args)
        print(f"[{shape}] grpo sample ...", flush=True)
        ours_sample = grpo_sample(model_dir, prompts, work, args)
        print(f"[{shape}] TRL GRPOTrainer ...", flush=True)
        theirs = trl_train(model_dir, prompts, work / f"trl-{shape}", args)
        print(f"[{shape}] HF generate ...", flush=True)
        hf = hf_generate(model_dir, prompts, args)
        tables.append(report(shape, params, ours, theirs, ours_sample, hf, args))
        print(tables[-1], flush=True)
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
