#!/usr/bin/env bash
# Crash and disk-fault tests of the trainer through the CLI, on the demo's tiny model (CPU):
#  1. A GRPO run and an SFT run, checkpointing every step, are killed with SIGKILL at points
#     chosen from SEED (the test hook GRPO_TEST_KILL_AT=<phase>:<step>, src/trainer/checkpoint.h)
#     and resumed each time with `--resume latest`; the final model, the last checkpoint's
#     optimizer state and trainer state, metrics.jsonl and samples.jsonl must equal those of an
#     unbroken run (bit for bit, timing fields aside), each step logged once, and a `.tmp`
#     checkpoint left by a kill is never taken as the latest.
#  2. A checkpoint write that fails (RLIMIT_FSIZE below the size of optimizer.pt) stops the run
#     naming the checkpoint; the previous checkpoint stays loadable and the resumed run ends
#     equal to the unbroken one. A final model that cannot be written stops the run naming it.
#  3. A second run on an output_dir whose lock is held stops with a clear message.
#   crash.sh GRPO_BINARY WORK_DIR [SEED]
set -euo pipefail
grpo=$1
work=$2
seed=${3:-1}
rm -rf "$work"
mkdir -p "$work"
source "$(dirname "${BASH_SOURCE[0]}")/../support/check.sh"
# Metrics without the wall-clock fields (step_seconds, *_tokens_per_second).
untimed() { sed -E 's/,?"[a-z_]*(seconds|per_second)":[^,}]*//g' "$1"; }
# Two optimizer.pt archives (torch::save, zip) hold the same tensors byte for byte: equal
# multisets of tensor storages (`data/<n>` records). The record numbering, the pickled structure
# and the random `serialization_id` depend on the order the state was built in (a resumed
# optimizer writes the state it read back), so those records are not compared.
same_tensors() {
  python3 - "$1" "$2" <<'PY'
import sys, zipfile
def storages(path):
    z = zipfile.ZipFile(path)
    return sorted(z.read(n) for n in z.namelist() if "/data/" in n and not n.endswith("serialization_id"))
a, b = storages(sys.argv[1]), storages(sys.argv[2])
if not a or a != b:
    sys.exit("tensor storages differ (%d and %d records)" % (len(a), len(b)))
PY
}
# The "step" of every line of a JSON Lines file, space-separated.
steps_of() { grep -oE '"step": ?[0-9]+' "$1" | grep -oE '[0-9]+$' | tr '\n' ' '; }

"$grpo" demo --smoke --output-dir "$work/demo" >/dev/null
model=$work/demo/grpo/model
steps=4
cat >"$work/grpo.json" <<'JSON'
{"num_generations": 2, "per_device_train_batch_size": 4, "max_completion_length": 8, "beta": 0.04,
 "num_iterations": 2, "reward_funcs": [{"name": "countdown"}, {"name": "format"}], "reward_weights": [1.0, 0.1],
 "learning_rate": 1e-3, "save_steps": 1, "save_total_limit": 2, "logging_steps": 1, "log_completions_steps": 1}
JSON
run_grpo() {  # run_grpo OUTPUT_DIR [flags...]
  local out=$1; shift
  "$grpo" train --model "$model" --data "$work/demo/train.jsonl" --config "$work/grpo.json" --output-dir "$out" \
    --max-steps "${MAX_STEPS:-$steps}" "$@"
}
run_sft() {
  local out=$1; shift
  "$grpo" sft --model "$model" --data "$work/demo/sft.jsonl" --output-dir "$out" --max-steps "${MAX_STEPS:-$steps}" \
    --set per_device_train_batch_size=4 --set save_steps=1 --set save_total_limit=2 --set logging_steps=1 "$@"
}

# Kill points from the seed: one step in [2, steps] per phase (step 1 always leaves a checkpoint
# to resume), in the order a run reaches them. Drawn in this shell (a subshell reseeds RANDOM).
RANDOM=$seed
points=()
kill_points() {  # kill_points PHASE...: sets points to "phase:step" in run order
  local rank=0 phase lines=""
  for phase in "$@"; do
    rank=$((rank + 1))
    lines+="$((2 + RANDOM % (steps - 1))) $rank $phase"$'\n'
  done
  mapfile -t points < <(printf '%s' "$lines" | sort -n -k1,1 -k2,2 | awk '{print $3 ":" $1}')
}

# crash_case NAME RUNNER PHASE...: the unbroken run in WORK/NAME, moved to WORK/NAME-ref, then
# the killed and resumed run in the same directory (so that every file can be compared).
crash_case() {
  local name=$1 runner=$2; shift 2
  local out=$work/$name ref=$work/$name-ref
  "$runner" "$out" >/dev/null 2>&1 || fail "$name: the unbroken run failed"
  mv "$out" "$ref"
  local first=1 point rc
  kill_points "$@"
  for point in "${points[@]}"; do
    rc=0
    if [ $first -eq 1 ]; then
      GRPO_TEST_KILL_AT=$point "$runner" "$out" >/dev/null 2>&1 || rc=$?
      first=0
    else
      GRPO_TEST_KILL_AT=$point "$runner" "$out" --resume latest >/dev/null 2>&1 || rc=$?
    fi
    [ "$rc" -eq 137 ] || fail "$name: the run to kill at $point exited $rc, not 137 (SIGKILL)"
    echo "$name: killed at $point"
    if [ "${point%%:*}" = checkpoint ]; then
      [ -d "$out/checkpoint-${point##*:}.tmp" ] || fail "$name: no checkpoint-${point##*:}.tmp after a kill in its write"
    fi
  done
  run_out=$("$runner" "$out" --resume latest 2>&1) || fail "$name: the last resume failed: $run_out"
  ls -d "$out"/checkpoint-*.tmp >/dev/null 2>&1 && echo "$name: a .tmp checkpoint left by a kill stays beside the others"
  cmp "$ref/model/model.safetensors" "$out/model/model.safetensors" || fail "$name: final parameters differ"
  for f in model.safetensors trainer_state.json; do
    cmp "$ref/checkpoint-$steps/$f" "$out/checkpoint-$steps/$f" || fail "$name: checkpoint-$steps/$f differs"
  done
  same_tensors "$ref/checkpoint-$steps/optimizer.pt" "$out/checkpoint-$steps/optimizer.pt" ||
    fail "$name: the optimizer state differs"
  local want
  want=$(seq -s ' ' 1 "$steps")" "
  [ "$(steps_of "$out/metrics.jsonl")" = "$want" ] ||
    fail "$name: metrics.jsonl steps are '$(steps_of "$out/metrics.jsonl")', want '$want'"
  diff <(untimed "$ref/metrics.jsonl") <(untimed "$out/metrics.jsonl") || fail "$name: metrics differ"
  if [ -f "$ref/samples.jsonl" ]; then
    cmp "$ref/samples.jsonl" "$out/samples.jsonl" || fail "$name: samples.jsonl differs"
  fi
  echo "$name: resumed run equals the unbroken run"
}

crash_case grpo run_grpo sample update checkpoint between
crash_case sft run_sft update checkpoint between

# 2. Disk faults. A checkpoint write that fails: files may not grow beyond a limit between
# the size of model.safetensors and that of optimizer.pt (SIGXFSZ ignored, so that write(2)
# fails with EFBIG as on a full disk).
out=$work/disk
MAX_STEPS=2 run_sft "$out" >/dev/null 2>&1 || fail "disk: the first two steps failed"
model_kb=$(( $(stat -c %s "$out/checkpoint-2/model.safetensors") / 1024 + 1 ))
optimizer_kb=$(( $(stat -c %s "$out/checkpoint-2/optimizer.pt") / 1024 ))
[ "$model_kb" -lt "$optimizer_kb" ] || fail "disk: optimizer.pt ($optimizer_kb KiB) not larger than the model"
limited() { (trap '' XFSZ; ulimit -f "$model_kb"; "$@"); }
expect_error "cannot write checkpoint '$out/checkpoint-3'" limited run_sft "$out" --resume latest
[ ! -e "$out/checkpoint-3" ] && [ ! -e "$out/checkpoint-3.tmp" ] || fail "disk: a partial checkpoint-3 is left"
run_sft "$out" --resume latest >/dev/null 2>&1 || fail "disk: resuming from checkpoint-2 after the failed write failed"
cmp "$work/sft-ref/model/model.safetensors" "$out/model/model.safetensors" || fail "disk: final parameters differ"
[ "$(steps_of "$out/metrics.jsonl")" = "1 2 3 4 " ] || fail "disk: metrics steps '$(steps_of "$out/metrics.jsonl")'"
echo "disk: a failed checkpoint write names the checkpoint; the previous one resumes"
# A final model that cannot be written (its path is a file).
out=$work/final
mkdir -p "$out"
echo x >"$out/model"
MAX_STEPS=1 expect_error "cannot write the final model to '$out/model'" run_sft "$out"
[ -f "$out/checkpoint-1/optimizer.pt" ] || fail "final: checkpoint-1 is missing"
echo "disk: a failed final model write names the model directory"

# 3. Two runs on one output_dir: the lock is held (flock(1) on the same file), the run stops.
out=$work/locked
mkdir -p "$out"
(
  flock -n 9 || fail "lock: cannot take $out/.lock"
  MAX_STEPS=1 expect_error "output_dir '$out' is in use by another run" run_sft "$out"
) 9>"$out/.lock"
[ ! -e "$out/config.json" ] || fail "lock: the refused run wrote config.json"
MAX_STEPS=1 run_sft "$out" >/dev/null 2>&1 || fail "lock: the run after the lock was released failed"
echo "lock: a second run on a locked output_dir is refused"
echo "crash tests: ok"
