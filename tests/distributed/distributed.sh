#!/usr/bin/env bash
# Data parallelism through the CLI on the CPU (c10d Gloo), ranks started as torchrun starts them
# (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), on the demo's tiny model:
#  1. GRPO: 2 processes with per_device_train_batch_size 4 against 1 process with 8 (the same
#     global batch), 3 steps: the parameters agree within float32 reduction-order tolerance, the
#     logged metrics agree (the rewards exactly), samples.jsonl holds the same completions.
#  2. SFT the same way over examples; `grpo eval` dealt to the ranks equals one process's.
#  3. Slurm's variables (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID) and torchrun itself launch the
#     same run.
#  4. A rank killed with SIGKILL mid-run: the other exits non-zero within the timeout, naming it.
#     A rank that throws: the other names it and repeats its message.
#  5. Ranks with different configs stop at start-up naming the rank and the key.
#  6. A 2-process run killed after its step-2 checkpoint and resumed with `--resume latest` ends
#     bit-identical to the unbroken 2-process run, each step logged once.
#   distributed.sh GRPO_BINARY PYTHON WORK_DIR
set -euo pipefail
grpo=$1
python=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
source "$(dirname "${BASH_SOURCE[0]}")/../support/check.sh"
export OMP_NUM_THREADS=1

"$grpo" demo --smoke --output-dir "$work/demo" >"$work/demo.log" 2>&1
model=$work/demo/grpo/model
# Rewards that vary on the untrained model's completions, so every step has a gradient; dapo so
# that the loss depends on the global token count.
cat >"$work/grpo.json" <<'JSON'
{"num_generations": 2, "max_completion_length": 12, "beta": 0.04, "num_iterations": 2,
 "reward_funcs": [{"name": "repetition_penalty", "params": {"ngram_size": 2}},
                  {"name": "soft_overlong_punishment", "params": {"max_completion_len": 12, "soft_punish_cache": 8}}],
 "learning_rate": 1e-3, "logging_steps": 1, "log_completions_steps": 1, "scale_rewards": "batch",
 "loss_type": "dapo", "save_steps": 1, "device": "cpu", "ddp_timeout": 60}
JSON
port=$((20000 + $$ % 20000))
run_grpo() {  # run_grpo OUTPUT_DIR PER_DEVICE [flags...]
  local out=$1 per_device=$2; shift 2
  "$grpo" train --model "$model" --data "$work/demo/train.jsonl" --config "$work/grpo.json" --output-dir "$out" \
    --max-steps 3 --set per_device_train_batch_size="$per_device" "$@"
}
run_sft() {
  local out=$1 per_device=$2; shift 2
  "$grpo" sft --model "$model" --data "$work/demo/sft.jsonl" --output-dir "$out" --max-steps 3 \
    --set per_device_train_batch_size="$per_device" --set device=cpu --set logging_steps=1 "$@"
}
# with_env NAME=VALUE... COMMAND...: runs COMMAND (a function too) with the variables exported.
with_env() { ( while [[ $# -gt 0 && $1 == *=* ]]; do export "$1"; shift; done; "$@" ) }
# world2 NAME COMMAND...: runs COMMAND as ranks 0 and 1 of a torchrun-style world on a fresh
# port; each rank's output goes to $work/NAME.<rank>.log; returns rank 0's exit status and
# leaves rank 1's in $rank1_rc. RANK0_ENV and RANK1_ENV (NAME=VALUE) add a variable to one rank.
world2() {
  local name=$1; shift
  port=$((port + 1))
  with_env MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2 RANK=1 LOCAL_RANK=1 ${RANK1_ENV:-} "$@" \
    >"$work/$name.1.log" 2>&1 &
  local pid=$!
  local rc=0
  with_env MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2 RANK=0 LOCAL_RANK=0 ${RANK0_ENV:-} "$@" \
    >"$work/$name.0.log" 2>&1 || rc=$?
  rank1_rc=0
  wait "$pid" || rank1_rc=$?
  return "$rc"
}
# same_models A B RTOL ATOL: every tensor of A/model.safetensors is close to B's.
same_models() {
  "$python" - "$1/model.safetensors" "$2/model.safetensors" "$3" "$4" <<'PY'
import sys, torch
from safetensors.torch import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
rtol, atol = float(sys.argv[3]), float(sys.argv[4])
assert a.keys() == b.keys(), (sorted(a), sorted(b))
worst = max(((x - b[k]).abs() / (atol + rtol * b[k].abs())).max().item() for k, x in a.items())
if worst > 1.0:
    sys.exit(f"parameters differ: worst |a-b| / (atol + rtol |b|) = {worst:.3g}")
PY
}
# same_metrics A B: metrics.jsonl lines agree step by step. Exact: the rewards and lengths (the
# same completions); rtol 1e-5: loss, gradient norm, entropy, learning rate; rtol 0.05: kl and
# the clip ratios, means of micro-batch means whose micro-batches differ with the batch split.
same_metrics() {
  "$python" - "$1" "$2" <<'PY'
import json, math, sys
rows = [[json.loads(l) for l in open(p)] for p in sys.argv[1:3]]
assert len(rows[0]) == len(rows[1]) and rows[0], (len(rows[0]), len(rows[1]))
loose = {"kl", "clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean"}
close = {"loss", "grad_norm", "entropy", "learning_rate"}
for a, b in zip(*rows):
    for key, x in a.items():
        if "seconds" in key or "per_second" in key: continue
        y = b[key]
        if x is None or y is None:
            assert x == y, (a["step"], key, x, y)
            continue
        tol = 0.05 if key in loose else 1e-5 if key in close else 1e-12
        assert math.isclose(x, y, rel_tol=tol, abs_tol=1e-7), (a["step"], key, x, y)
PY
}
# The samples of each step: same prompts, completions and rewards in the same order.
same_samples() {
  "$python" - "$1" "$2" <<'PY'
import json, math, sys
rows = [[json.loads(l) for l in open(p)] for p in sys.argv[1:3]]
assert len(rows[0]) == len(rows[1]) and rows[0], (len(rows[0]), len(rows[1]))
for a, b in zip(*rows):
    for key in ("step", "prompt", "completion", "rewards"):
        assert a[key] == b[key], (key, a[key], b[key])
    assert math.isclose(a["advantage"], b["advantage"], rel_tol=1e-9, abs_tol=1e-9)
PY
}

# 1. GRPO, 2 processes x 4 against 1 process x 8.
run_grpo "$work/grpo-1" 8 >"$work/grpo-1.log" 2>&1 || fail "one-process GRPO run: $(tail -3 "$work/grpo-1.log")"
world2 grpo-2 run_grpo "$work/grpo-2" 4 || fail "two-process GRPO run: $(tail -3 "$work/grpo-2.0.log")"
[ "$rank1_rc" -eq 0 ] || fail "rank 1 of the GRPO run: $(tail -3 "$work/grpo-2.1.log")"
same_models "$work/grpo-1/model" "$work/grpo-2/model" 1e-4 1e-6 || fail "GRPO: 2 processes != 1 process"
same_metrics "$work/grpo-1/metrics.jsonl" "$work/grpo-2/metrics.jsonl" || fail "GRPO metrics differ"
same_samples "$work/grpo-1/samples.jsonl" "$work/grpo-2/samples.jsonl" || fail "GRPO samples differ"
grep -q '"timing/allreduce_seconds"' "$work/grpo-2/metrics.jsonl" || fail "no timing/allreduce_seconds"
grep -q "step 3/3" "$work/grpo-2.0.log" || fail "rank 0 logged no step line"
! grep -q "step 3/3" "$work/grpo-2.1.log" || fail "rank 1 logged step lines"
# The parameters did move: the check above could not pass on two untouched models.
! same_models "$model" "$work/grpo-2/model" 1e-4 1e-6 2>/dev/null || fail "GRPO did not change the parameters"

# 2. SFT, the same split.
run_sft "$work/sft-1" 8 >"$work/sft-1.log" 2>&1 || fail "one-process SFT run: $(tail -3 "$work/sft-1.log")"
world2 sft-2 run_sft "$work/sft-2" 4 || fail "two-process SFT run: $(tail -3 "$work/sft-2.0.log")"
[ "$rank1_rc" -eq 0 ] || fail "rank 1 of the SFT run: $(tail -3 "$work/sft-2.1.log")"
same_models "$work/sft-1/model" "$work/sft-2/model" 1e-4 1e-6 || fail "SFT: 2 processes != 1 process"
same_metrics "$work/sft-1/metrics.jsonl" "$work/sft-2/metrics.jsonl" || fail "SFT metrics differ"

# 2b. Evaluation dealt to the ranks in batches of 4 prompts (16 held-out prompts: 4 batches)
# equals one process's. Correct = no repeated token bigram, which some of the untrained model's
# completions are and some are not.
run_eval() {
  "$grpo" eval --model "$work/grpo-1/model" --data "$work/demo/eval.jsonl" --reward repetition_penalty:ngram_size=2 \
    --threshold 0 --batch-prompts 4 --samples 3 --max-new-tokens 12 --device cpu
}
run_eval >"$work/eval-1.json" 2>"$work/eval-1.log" || fail "one-process eval: $(cat "$work/eval-1.log")"
world2 eval-2 run_eval || fail "two-process eval: $(tail -3 "$work/eval-2.0.log")"
[ "$rank1_rc" -eq 0 ] || fail "rank 1 of the eval: $(tail -3 "$work/eval-2.1.log")"
"$python" - "$work/eval-1.json" "$work/eval-2.0.log" <<'PY' || fail "the two-process evaluation differs"
import json, sys
one = json.loads(open(sys.argv[1]).read())
two = json.loads([l for l in open(sys.argv[2]) if l.startswith("{")][-1])
assert one == two, (one, two)
assert 0 < one["pass_at_1"] < 1, one  # a measure that can tell the ranks' shares apart
PY
grep -q '^{' "$work/eval-2.1.log" && fail "rank 1 printed the evaluation"

# 3. Slurm's variables (MASTER_PORT given, as an sbatch script exports it).
port=$((port + 1))
with_env SLURM_PROCID=1 SLURM_NTASKS=2 SLURM_LOCALID=1 MASTER_PORT=$port run_sft "$work/sft-slurm" 4 \
  >"$work/sft-slurm.1.log" 2>&1 &
slurm_pid=$!
with_env SLURM_PROCID=0 SLURM_NTASKS=2 SLURM_LOCALID=0 MASTER_PORT=$port run_sft "$work/sft-slurm" 4 \
  >"$work/sft-slurm.0.log" 2>&1 || fail "Slurm-launched SFT: $(tail -3 "$work/sft-slurm.0.log")"
wait "$slurm_pid" || fail "Slurm rank 1: $(tail -3 "$work/sft-slurm.1.log")"
same_models "$work/sft-2/model" "$work/sft-slurm/model" 0 0 || fail "Slurm launch != torchrun launch"

# torchrun itself (the venv's, beside PYTHON), whose agent serves the store: the same model.
torchrun=$(dirname "$python")/torchrun
[ -x "$torchrun" ] || fail "no torchrun beside $python"
port=$((port + 1))
"$torchrun" --nproc-per-node 2 --master-port $port --no-python "$grpo" sft --model "$model" \
  --data "$work/demo/sft.jsonl" --output-dir "$work/sft-torchrun" --max-steps 3 --set per_device_train_batch_size=4 \
  --set device=cpu --set logging_steps=1 >"$work/sft-torchrun.log" 2>&1 || fail "torchrun: $(tail -5 "$work/sft-torchrun.log")"
same_models "$work/sft-2/model" "$work/sft-torchrun/model" 0 0 || fail "torchrun launch != hand launch"
! grep -q "failed to bind" "$work/sft-torchrun.log" || fail "rank 0 tried to serve torchrun's store"

# 4. Failures. Rank 1 killed with SIGKILL inside its second update: rank 0 stops naming it.
start=$SECONDS
RANK1_ENV="GRPO_TEST_KILL_AT=update:2" world2 kill run_grpo "$work/grpo-kill" 4 && fail "rank 0 survived a dead rank 1"
(( SECONDS - start < 60 )) || fail "rank 0 took $((SECONDS - start)) s to notice (timeout 60 s)"
[ "$rank1_rc" -eq 137 ] || fail "rank 1 exited $rank1_rc, not by SIGKILL"
grep -q "rank 1 stopped without a message (killed or crashed)" "$work/kill.0.log" ||
  fail "rank 0 did not name rank 1: $(cat "$work/kill.0.log")"
# Rank 1's rows lack the column its reward reads: it throws; rank 0 names it and its message.
cat >"$work/countdown.json" <<'JSON'
{"num_generations": 2, "max_completion_length": 8, "reward_funcs": [{"name": "countdown"}], "device": "cpu"}
JSON
sed 's/"target"/"goal"/g' "$work/demo/train.jsonl" >"$work/no-target.jsonl"
run_countdown() {  # run_countdown OUTPUT_DIR DATA
  "$grpo" train --model "$model" --data "$2" --config "$work/countdown.json" --output-dir "$1" --max-steps 2 \
    --set per_device_train_batch_size=4
}
port=$((port + 1))
with_env MASTER_PORT=$port WORLD_SIZE=2 RANK=1 run_countdown "$work/throw" "$work/no-target.jsonl" >"$work/throw.1.log" 2>&1 &
throw_pid=$!
with_env MASTER_PORT=$port WORLD_SIZE=2 RANK=0 run_countdown "$work/throw" "$work/demo/train.jsonl" \
  >"$work/throw.0.log" 2>&1 && fail "rank 0 survived a failing rank 1"
wait "$throw_pid" && fail "rank 1 did not fail"
grep -q "rank 1 failed: step 1: reward 'countdown' failed on row 0: the row has no column 'target' (gloo" "$work/throw.0.log" ||
  fail "rank 0 did not repeat rank 1's error: $(cat "$work/throw.0.log")"

# 5. Different configs: both ranks stop before training, naming rank 1 and the key.
run_lr_by_rank() {  # rank 1 asks for another learning rate
  local lr=1e-3
  [ "$RANK" = 1 ] && lr=2e-3
  run_grpo "$work/mismatch" 4 --set learning_rate=$lr
}
world2 mismatch run_lr_by_rank && fail "mismatched configs ran"
for r in 0 1; do
  grep -q "rank 1 has a different config from rank 0: 'learning_rate' is 0.002 on rank 1 but 0.001 on rank 0" \
    "$work/mismatch.$r.log" || fail "rank $r: $(cat "$work/mismatch.$r.log")"
done

# 6. Resume: rank 0 killed after the step-2 checkpoint (rank 1 then fails), both resumed.
RANK0_ENV="GRPO_TEST_KILL_AT=between:2" world2 resume-a run_grpo "$work/grpo-resume" 4 && fail "killed run succeeded"
[ -d "$work/grpo-resume/checkpoint-2" ] || fail "no checkpoint-2 before the kill"
[ ! -e "$work/grpo-resume/model" ] || fail "the killed run wrote a final model"
world2 resume-b run_grpo "$work/grpo-resume" 4 --resume latest || fail "resume: $(tail -3 "$work/resume-b.0.log")"
[ "$rank1_rc" -eq 0 ] || fail "rank 1 of the resumed run: $(tail -3 "$work/resume-b.1.log")"
cmp "$work/grpo-2/model/model.safetensors" "$work/grpo-resume/model/model.safetensors" ||
  fail "the resumed 2-process run differs from the unbroken one"
[ "$(grep -oE '"step":[0-9]+' "$work/grpo-resume/metrics.jsonl" | tr '\n' ' ')" = '"step":1 "step":2 "step":3 ' ] ||
  fail "metrics steps after resume: $(grep -oE '"step":[0-9]+' "$work/grpo-resume/metrics.jsonl" | tr '\n' ' ')"

echo "distributed tests: ok"
