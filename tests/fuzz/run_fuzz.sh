#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time or a
# number of inputs. Targets: the reward parsers (plain C++ and GiNaC), the safetensors header
# parser, reward specs (`NAME:k=v`), GrpoConfig JSON, dataset JSON Lines rows, and a checkpoint's
# trainer_state.json with the metrics log a resume cuts back, tokenizer.json, and the Jinja
# interpreter of chat templates (fuzz_jinja, with a dictionary of Jinja tokens). Our code is instrumented; c10 and
# nlohmann_json come from the venv's torch wheel and Debian (LibTorch itself is not
# instrumented). Leak detection is off: GiNaC 1.8 leaks a few bytes when its parser or
# arithmetic throws (for example on 1/0). Each target starts from its seed directory and its
# corpus in the work dir; a crash is written to the work dir and stops the script (copy it into
# the seed directory as a regression input once fixed).
#
#   bash tests/fuzz/run_fuzz.sh [seconds per target, default 60] [work dir, default build-fuzz] [target...]
#   GRPO_FUZZ_RUNS=1000000 bash tests/fuzz/run_fuzz.sh 0 build-fuzz fuzz_config   # a number of inputs
#   GRPO_FUZZ_TIMEOUT=10 ...   # per-input limit in seconds (default 1; 10 for fuzz_answer)
#
# Exit 77 (skipped) when clang++ cannot build a libFuzzer program.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-60}
work=${2:-$root/build-fuzz}
shift $(($# < 2 ? $# : 2))
all=(fuzz_answer fuzz_countdown fuzz_safetensors fuzz_reward_spec fuzz_config fuzz_dataset fuzz_checkpoint_state
     fuzz_tokenizer fuzz_jinja)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
mkdir -p "$work"
export ASAN_OPTIONS=detect_leaks=0
export UBSAN_OPTIONS=print_stacktrace=1
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root/include"
       -I"$root/src")

if ! command -v clang++ >/dev/null ||
   ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
     clang++ -fsanitize=fuzzer -x c++ - -o "$work/.probe" 2>/dev/null; then
  echo "SKIP: no clang++ with libFuzzer (bash cmake/setup.sh installs clang)"
  exit 77
fi
python=$root/.venv/bin/python
[ -x "$python" ] || python=${GRPO_PYTHON:-python3}
# Where the torch wheel is, without importing it (slow).
torch_dir=$("$python" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("torch").origin))')
c10=(-isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include" -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -lc10)

build() {  # build <target> <sources...> -- <libraries...>
  local name=$1; shift
  echo "== building $name"
  clang++ "${flags[@]}" "$@" -o "$work/$name"
}
build_target() {
  local s=$root/src
  case $1 in
    fuzz_answer) build fuzz_answer "$root/tests/fuzz/fuzz_answer.cpp" "$s/rewards/answer_check.cpp" -lginac -lcln -lutf8proc ;;
    fuzz_countdown) build fuzz_countdown "$root/tests/fuzz/fuzz_countdown.cpp" "$s/rewards/countdown_check.cpp" ;;
    fuzz_safetensors)
      build fuzz_safetensors "$root/tests/fuzz/fuzz_safetensors.cpp" "$s/model/safetensors_header.cpp" \
        "${c10[@]}" ;;
    fuzz_reward_spec) build fuzz_reward_spec "$root/tests/fuzz/fuzz_reward_spec.cpp" "$s/trainer/reward_spec.cpp" "${c10[@]}" ;;
    fuzz_config)
      build fuzz_config "$root/tests/fuzz/fuzz_config.cpp" "$s/trainer/grpo_config.cpp" "$s/trainer/training_args.cpp" \
        "$s/core/options.cpp" "${c10[@]}" ;;
    fuzz_dataset)
      build fuzz_dataset "$root/tests/fuzz/fuzz_dataset.cpp" "$s/data/dataset.cpp" "$s/data/columns.cpp" \
        "$s/support/files.cpp" "${c10[@]}" ;;
    fuzz_checkpoint_state)
      build fuzz_checkpoint_state "$root/tests/fuzz/fuzz_checkpoint_state.cpp" "$s/trainer/checkpoint.cpp" \
        "$s/support/files.cpp" "${c10[@]}" ;;
    fuzz_tokenizer)  # every tokenizer source but the chat template (fuzzed with its Jinja engine)
      local sources=()
      for f in "$s"/tokenizer/*.cpp; do case $f in */chat_template*|*/jinja.cpp) ;; *) sources+=("$f") ;; esac; done
      build fuzz_tokenizer "$root/tests/fuzz/fuzz_tokenizer.cpp" "${sources[@]}" "$s/support/utf8.cpp" "$s/support/text.cpp" "$s/support/files.cpp" "${c10[@]}" \
        -lpcre2-8 -lutf8proc ;;
    fuzz_jinja) build fuzz_jinja "$root/tests/fuzz/fuzz_jinja.cpp" "$s/tokenizer/jinja.cpp" "$s"/tokenizer/jinja/*.cpp ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}

seeds_of() {  # the seed directory of a target
  case $1 in
    fuzz_answer | fuzz_countdown) echo "$root/tests/fuzz/seeds" ;;
    *) echo "$root/tests/fuzz/seeds_${1#fuzz_}" ;;
  esac
}
extra_of() {  # extra libFuzzer flags of a target
  case $1 in fuzz_jinja) echo "-dict=$root/tests/fuzz/jinja.dict -max_len=16384" ;; *) echo "-max_len=4096" ;; esac
}
for name in "${targets[@]}"; do
  build_target "$name"
  corpus=$work/corpus_$name
  mkdir -p "$corpus"
  if [ -n "${GRPO_FUZZ_RUNS:-}" ]; then limit=(-runs="$GRPO_FUZZ_RUNS"); what="$GRPO_FUZZ_RUNS inputs"
  else limit=(-max_total_time="$seconds"); what="$seconds s"; fi
  echo "== running $name for $what"
  # An input slower than one second is a failure (ten for GiNaC's algebra in fuzz_answer).
  # GRPO_FUZZ_TIMEOUT overrides it on a machine too busy for wall-clock limits (then read
  # slowest_unit_time_sec in the final stats).
  timeout=1
  [ "$name" != fuzz_answer ] || timeout=10
  timeout=${GRPO_FUZZ_TIMEOUT:-$timeout}
  # libFuzzer's own exit code for a crash is 77, which reads as "skipped" here: use 1.
  (cd "$work" && "./$name" "$corpus" "$(seeds_of "$name")" "${limit[@]}" $(extra_of "$name") -timeout="$timeout" \
     -rss_limit_mb=2048 -detect_leaks=0 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 2>&1 | tail -n 12;
   exit "${PIPESTATUS[0]}")
done
echo "== no crashes"
