#!/usr/bin/env bash
# Everything that needs a CUDA device, in one command, for a machine with a GPU and a built tree:
# the CUDA tests (which skip on machines without one), the rollout benchmark against TRL's
# GRPOTrainer and transformers' generate on the 135m and 1b shapes with the eager loop and with
# CUDA graphs, and data-parallel scaling over NCCL. Each part runs even when an earlier one
# failed; the exit status is non-zero when any did.
#   bench/gpu_suite.sh BUILD_DIR PYTHON TOKENIZER_DIR WORK_DIR [WORLD_SIZES]
# PYTHON: a Python with torch, transformers and TRL (the project's .venv/bin/python);
# TOKENIZER_DIR: the SmolLM2 tokenizer files (models/SmolLM2-135M-Instruct, from
# `bash cmake/setup.sh models`); WORLD_SIZES: process counts for the NCCL scaling (default "1 2";
# on one GPU the processes share it). Results: docs/performance.md, docs/distributed.md.
set -uo pipefail
build=$1
python=$2
tokenizer=$3
work=$4
sizes=${5:-1 2}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p "$work"
failed=()
part() {
  printf '\n== %s\n' "$*"
  "$@" || failed+=("$*")
}
# The CUDA tests skip (and pass) without a device: refuse to report a green suite there.
"$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  { echo "gpu suite: no CUDA device visible to $python" >&2; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
part "$build/tests/core/grpo_core_tests" --gtest_filter='Cuda.*'
part "$build/tests/model/grpo_model_tests" --gtest_filter='CudaPolicy.*:Pretrained.LoadsOntoCuda*'
part "$build/tests/trainer/grpo_trainer_tests" --gtest_filter='GrpoTrainer.RejectsAPolicyOnAnotherDevice*'
part "$python" bench/rollout_vs_trl.py --grpo "$build/grpo" --tokenizer "$tokenizer" --work-dir "$work/rollout" \
  --shapes 135m,1b
part "$python" bench/rollout_vs_trl.py --grpo "$build/grpo" --tokenizer "$tokenizer" --work-dir "$work/rollout-graphs" \
  --shapes 135m,1b --cuda-graphs
part bash bench/distributed_scaling.sh "$build/grpo" "$work/ddp" "" cuda "$sizes"
if ((${#failed[@]})); then
  printf '\nFAILED: %s\n' "${failed[@]}"
  exit 1
fi
printf '\ngpu suite: ok\n'
