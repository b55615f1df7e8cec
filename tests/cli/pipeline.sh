#!/usr/bin/env bash
# The CLI end to end on the demo's tiny model: demo --smoke (data and a model directory), then
# sft -> train -> eval -> sample -> reject -> sft -> distill (teacher traces, then on policy) on
# that directory, and bad input that must fail naming the thing.
#   pipeline.sh GRPO_BINARY WORK_DIR
set -euo pipefail
grpo=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
source "$(dirname "${BASH_SOURCE[0]}")/../support/check.sh"

"$grpo" demo --smoke --output-dir "$work/demo" >/dev/null
model=$work/demo/grpo/model
for f in config.json model.safetensors generation_config.json char_tokenizer.json; do expect_file "$model/$f"; done

"$grpo" sft --model "$model" --data "$work/demo/sft.jsonl" --output-dir "$work/sft" --max-steps 3 \
  --set per_device_train_batch_size=4 --set save_steps=2 --set logging_steps=1 >/dev/null
expect_file "$work/sft/config.json"
expect_file "$work/sft/checkpoint-2/model.safetensors"
expect_file "$work/sft/model/model.safetensors"
[ "$(wc -l <"$work/sft/metrics.jsonl")" -eq 3 ] || fail "sft wrote $(wc -l <"$work/sft/metrics.jsonl") metric lines, want 3"
grep -q '"max_steps": 3' "$work/sft/config.json" || fail "the --max-steps override is not in the resolved config"
# Resume from the latest checkpoint and continue to 5 steps.
"$grpo" sft --model "$model" --data "$work/demo/sft.jsonl" --output-dir "$work/sft" --max-steps 5 \
  --set per_device_train_batch_size=4 --resume latest >/dev/null
[ "$(wc -l <"$work/sft/metrics.jsonl")" -eq 5 ] || fail "resumed sft did not continue at step 4"

cat >"$work/grpo.json" <<'JSON'
{"num_generations": 2, "per_device_train_batch_size": 4, "max_completion_length": 12,
 "reward_funcs": [{"name": "countdown"}, {"name": "format"}], "reward_weights": [1.0, 0.1]}
JSON
"$grpo" train --model "$work/sft/model" --data "$work/demo/train.jsonl" --config "$work/grpo.json" \
  --output-dir "$work/grpo" --max-steps 2 --set learning_rate=1e-4 --set log_completions_steps=1 \
  --eval-data "$work/demo/eval.jsonl" --eval-reward countdown --eval-samples 1 --set eval_steps=2 >/dev/null
for f in config.json metrics.jsonl samples.jsonl eval.jsonl checkpoint-2/optimizer.pt model/model.safetensors; do
  expect_file "$work/grpo/$f"
done
grep -q '"learning_rate": 0.0001' "$work/grpo/config.json" || fail "--set learning_rate is not in the resolved config"

"$grpo" eval --model "$work/grpo/model" --data "$work/demo/eval.jsonl" --reward countdown --samples 2 \
  --max-new-tokens 12 --output "$work/eval.json" >"$work/eval.out"
grep -q '"num_prompts":16' "$work/eval.json" || fail "eval: $(cat "$work/eval.json")"
grep -q '"num_samples":2' "$work/eval.out" || fail "eval printed: $(cat "$work/eval.out")"

"$grpo" sample --model "$work/grpo/model" -p "3 5 7 -> 22" -p "2 4 8 -> 16" -n 3 --max-new-tokens 8 --seed 1 \
  >"$work/sample.jsonl"
[ "$(wc -l <"$work/sample.jsonl")" -eq 6 ] || fail "sample wrote $(wc -l <"$work/sample.jsonl") lines, want 6"
grep -q '"prompt":"2 4 8 -> 16"' "$work/sample.jsonl" || fail "sample: $(cat "$work/sample.jsonl")"
"$grpo" sample --model "$work/grpo/model" -p "3 5 7 -> 22" -p "2 4 8 -> 16" -n 3 --max-new-tokens 8 --seed 1 \
  >"$work/again.jsonl"
cmp -s "$work/sample.jsonl" "$work/again.jsonl" || fail "the same seed gave other completions"
# One prompt per batch: batch b samples with seed + b, as two runs of one prompt each do; the
# progress (stderr, not a terminal here) ends with a line for all prompts.
"$grpo" sample --model "$work/grpo/model" -p "3 5 7 -> 22" -p "2 4 8 -> 16" -n 3 --max-new-tokens 8 --seed 1 \
  --batch-prompts 1 >"$work/batched.jsonl" 2>"$work/batched.err"
{ "$grpo" sample --model "$work/grpo/model" -p "3 5 7 -> 22" -n 3 --max-new-tokens 8 --seed 1 2>/dev/null
  "$grpo" sample --model "$work/grpo/model" -p "2 4 8 -> 16" -n 3 --max-new-tokens 8 --seed 2 2>/dev/null
} >"$work/one_by_one.jsonl"
cmp -s "$work/batched.jsonl" "$work/one_by_one.jsonl" || fail "batch b did not sample with seed + b"
grep -q 'sample 2/2 prompts' "$work/batched.err" || fail "sample progress: $(cat "$work/batched.err")"

# Rejection sampling into SFT data (format >= 0 accepts every completion; countdown filters), then SFT on it.
mkdir -p "$work/reject"
"$grpo" reject --model "$work/grpo/model" --data "$work/demo/eval.jsonl" --filter 'format>=0' --filter 'countdown>=0' \
  -k 3 --max-per-prompt 2 --max-new-tokens 12 --keep-truncated --seed 2 -o "$work/reject/kept.jsonl" \
  --report "$work/reject/report.json" >"$work/reject.out"
grep -q '"num_prompts":16,"sampled":48' "$work/reject/report.json" || fail "reject report: $(cat "$work/reject/report.json")"
kept=$(wc -l <"$work/reject/kept.jsonl")
{ [ "$kept" -ge 16 ] && [ "$kept" -le 32 ]; } || fail "reject kept $kept lines, want 16..32 (1..2 per prompt)"
"$grpo" sft --model "$work/grpo/model" --data "$work/reject/kept.jsonl" --output-dir "$work/sft2" --max-steps 1 >/dev/null
expect_file "$work/sft2/model/model.safetensors"
expect_error "--filter takes REWARD or REWARD>=MIN, got 'format>=high'" \
  "$grpo" reject --model "$model" --data "$work/demo/eval.jsonl" --filter 'format>=high' -o "$work/x.jsonl"
expect_error "num_generations must be >= 1, got 0" \
  "$grpo" reject --model "$model" --data "$work/demo/eval.jsonl" --filter format -k 0 -o "$work/x.jsonl"
expect_error "kept no completion of 16 sampled" \
  "$grpo" reject --model "$model" --data "$work/demo/eval.jsonl" --filter 'format>=2' -k 1 --max-new-tokens 4 \
  -o "$work/x.jsonl"

# Distillation of the GRPO model (teacher) into the demo's model (student): rejection-sampled teacher
# traces then SFT (R1 sec. 2.4), then on policy (the student samples, the teacher scores its tokens).
"$grpo" distill --teacher "$work/grpo/model" --student "$model" --data "$work/demo/eval.jsonl" --filter 'format>=0' \
  -k 2 --max-new-tokens 12 --keep-truncated --seed 3 --output-dir "$work/distill" --max-steps 2 \
  --set per_device_train_batch_size=4 >"$work/distill.out"
for f in traces.jsonl report.json config.json metrics.jsonl model/model.safetensors; do expect_file "$work/distill/$f"; done
grep -q '"num_prompts":16,"sampled":32' "$work/distill/report.json" || fail "distill report: $(cat "$work/distill/report.json")"
grep -q '"num_prompts":16,"sampled":32' "$work/distill.out" || fail "distill printed: $(cat "$work/distill.out")"
[ "$(wc -l <"$work/distill/metrics.jsonl")" -eq 2 ] || fail "distill SFT wrote $(wc -l <"$work/distill/metrics.jsonl") metric lines, want 2"
"$grpo" distill --on-policy --teacher "$work/grpo/model" --student "$model" --data "$work/demo/train.jsonl" \
  --output-dir "$work/distill-op" --max-steps 2 --set num_generations=2 --set per_device_train_batch_size=4 \
  --set max_completion_length=8 >/dev/null
expect_file "$work/distill-op/model/model.safetensors"
[ "$(grep -c '"distill/reverse_kl":-\?[0-9]' "$work/distill-op/metrics.jsonl")" -eq 2 ] ||
  fail "on-policy distill metrics: $(cat "$work/distill-op/metrics.jsonl")"
# A teacher whose tokenizer reads the ids otherwise (two characters swapped) cannot score the student's tokens.
cp -r "$work/grpo/model" "$work/swapped"
sed -i 's/"0123456789/"1023456789/' "$work/swapped/char_tokenizer.json"
expect_error "for the teacher's tokenizer but '0' for the student's (the policy's)" \
  "$grpo" distill --on-policy --teacher "$work/swapped" --student "$model" --data "$work/demo/train.jsonl" \
  --output-dir "$work/x"
expect_error "--filter sets the teacher's rejection sampling, which --on-policy does not run" \
  "$grpo" distill --on-policy --teacher "$work/grpo/model" --student "$model" --data "$work/demo/train.jsonl" \
  --output-dir "$work/x" --filter format
expect_error "--filter: rejection sampling of the teacher's traces needs at least one" \
  "$grpo" distill --teacher "$work/grpo/model" --student "$model" --data "$work/demo/train.jsonl" --output-dir "$work/x"

echo '{"max_steps": "ten"}' >"$work/bad.json"
expect_error "grpo train: $work/bad.json: GrpoConfig: 'max_steps' must be an integer" \
  "$grpo" train --model "$model" --data "$work/demo/train.jsonl" --config "$work/bad.json"
expect_error "SftConfig: unknown key 'learning_rat'" \
  "$grpo" sft --model "$model" --data "$work/demo/sft.jsonl" --set learning_rat=1
expect_error "model directory '$work/missing' does not exist" "$grpo" sample --model "$work/missing" -p x
expect_error "unknown reward 'nosuch'" "$grpo" eval --model "$model" --data "$work/demo/eval.jsonl" --reward nosuch
expect_error "cannot open $model/tokenizer_config.json" \
  "$grpo" sample --model "$model" -p x --chat
echo "cli pipeline: ok"
