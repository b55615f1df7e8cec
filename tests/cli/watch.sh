#!/usr/bin/env bash
# Watching a run: GRPO and SFT with report_to tensorboard on the demo's tiny model, their event
# files read back by TensorBoard (check_tensorboard.py), `grpo plot` of them decoded and checked
# (check_plot.py), and bad input to `grpo plot` that must fail naming the thing.
#   watch.sh GRPO_BINARY PYTHON DEMO_DIR WORK_DIR    (DEMO_DIR: output of `grpo demo --smoke`)
set -euo pipefail
grpo=$1
python=$2
demo=$3
work=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$work"
mkdir -p "$work"
source "$(dirname "${BASH_SOURCE[0]}")/../support/check.sh"

cat >"$work/grpo.json" <<'JSON'
{"num_generations": 2, "per_device_train_batch_size": 4, "max_completion_length": 12,
 "reward_funcs": [{"name": "countdown"}, {"name": "format"}], "reward_weights": [1.0, 0.1],
 "report_to": ["tensorboard"], "log_completions_steps": 2, "eval_steps": 2}
JSON
"$grpo" train --model "$demo/grpo/model" --data "$demo/train.jsonl" --config "$work/grpo.json" \
  --output-dir "$work/grpo" --max-steps 4 --set learning_rate=1e-4 \
  --eval-data "$demo/eval.jsonl" --eval-reward countdown --eval-samples 1 >/dev/null 2>&1
"$grpo" sft --model "$demo/grpo/model" --data "$demo/sft.jsonl" --output-dir "$work/sft" --max-steps 3 \
  --set per_device_train_batch_size=4 --set 'report_to=["tensorboard"]' >/dev/null 2>&1
"$python" "$here/check_tensorboard.py" "$work/grpo" "$work/sft"

# GRPO: reward, 2 reward functions, pass@1, KL, entropy, length, clip ratio, loss, learning
# rate, gradient norm, step time = 12 panels in 3 columns; SFT: loss, learning rate, gradient norm.
out=$("$grpo" plot "$work/grpo")
grep -qF "wrote $work/grpo/plot.png (1260x1160)" <<<"$out" || fail "grpo plot printed: $out"
"$python" "$here/check_plot.py" "$work/grpo/plot.png" 1260 1160 12
"$grpo" plot "$work/sft" --output "$work/sft.png" >/dev/null
"$python" "$here/check_plot.py" "$work/sft.png" 1260 320 3
"$grpo" plot "$work/grpo" "$work/sft" -o "$work/both.png" >/dev/null
"$python" "$here/check_plot.py" "$work/both.png" 1260 1160 12

mkdir -p "$work/empty" "$work/bad"
: >"$work/empty/metrics.jsonl"
printf '{"step": 1, "loss": 0.5}\nnot json\n' >"$work/bad/metrics.jsonl"
expect_error "grpo plot: no $work/none/metrics.jsonl: '$work/none' is not a run directory" "$grpo" plot "$work/none"
expect_error "grpo plot: $work/empty/metrics.jsonl has no steps" "$grpo" plot "$work/empty"
expect_error "grpo plot: $work/bad/metrics.jsonl:2: not a JSON object with an integer \"step\"" "$grpo" plot "$work/bad"
expect_error "report_to must be a list of 'tensorboard' or 'none', got 'wandb'" \
  "$grpo" sft --model "$demo/grpo/model" --data "$demo/sft.jsonl" --output-dir "$work/x" --set 'report_to=["wandb"]'
echo "cli watch: ok"
