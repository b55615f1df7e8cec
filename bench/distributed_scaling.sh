#!/usr/bin/env bash
# Weak scaling of data-parallel GRPO: the same per-process batch on 1 and on N processes (each
# with one CPU thread, or one GPU each), launched with torchrun's variables. Prints, per world
# size, steps per second, the global completions per second, the share of the step spent in the
# gradient all-reduce (timing/allreduce_seconds / step_seconds), and the efficiency against one
# process (N-process completions per second / (N x one-process completions per second)).
#   bench/distributed_scaling.sh GRPO_BINARY WORK_DIR [MODEL_DIR [DEVICE [WORLD_SIZES]]]
# MODEL_DIR: a Hugging Face model directory (default: the demo's model, made by `grpo demo
# --smoke`); DEVICE: cpu (Gloo, default) or cuda (NCCL, rank r on cuda:r); WORLD_SIZES: the
# process counts to run (default "1 2"). See docs/distributed.md for recorded results.
set -euo pipefail
grpo=$1
work=$2
model=${3:-}
device=${4:-cpu}
sizes=${5:-1 2}
steps=${GRPO_BENCH_STEPS:-6}
mkdir -p "$work"
export OMP_NUM_THREADS=1
if [ ! -f "$work/demo/train.jsonl" ]; then
  "$grpo" demo --smoke --output-dir "$work/demo" >"$work/demo.log" 2>&1
fi
model=${model:-$work/demo/grpo/model}
cat >"$work/bench.json" <<JSON
{"num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 32, "beta": 0.04,
 "reward_funcs": [{"name": "repetition_penalty", "params": {"ngram_size": 2}},
                  {"name": "soft_overlong_punishment", "params": {"max_completion_len": 32, "soft_punish_cache": 16}}],
 "learning_rate": 1e-5, "logging_steps": 1, "log_completions_steps": 0, "device": "$device"}
JSON
port=$((21000 + $$ % 20000))
one_rate=""
printf '%-6s %-10s %-14s %-16s %-10s\n' world steps/s completions/s allreduce_share efficiency
for n in $sizes; do
  port=$((port + 1))
  out=$work/world-$n
  rm -rf "$out"
  pids=()
  for ((r = 0; r < n; r++)); do
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=$n RANK=$r LOCAL_RANK=$r \
      "$grpo" train --model "$model" --data "$work/demo/train.jsonl" --config "$work/bench.json" \
      --output-dir "$out" --max-steps "$steps" >"$work/world-$n.$r.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || { echo "world $n failed: see $work/world-$n.*.log" >&2; exit 1; }; done
  # Steps after the first (warm-up): mean step seconds and all-reduce seconds.
  read -r rate share < <(python3 - "$out/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][1:]
step = sum(r["step_seconds"] for r in rows) / len(rows)
ar = sum(r.get("timing/allreduce_seconds", 0.0) for r in rows) / len(rows)
print(f"{1.0 / step:.4f} {ar / step:.4f}")
PY
)
  completions=$(python3 -c "print(f'{$rate * 8 * $n:.2f}')")
  [ -n "$one_rate" ] || one_rate=$completions
  efficiency=$(python3 -c "print(f'{$completions / ($n * $one_rate):.3f}')")
  printf '%-6s %-10s %-14s %-16s %-10s\n' "$n" "$rate" "$completions" "$share" "$efficiency"
done
