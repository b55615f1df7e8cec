#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time: the
# reward parsers (plain C++ and GiNaC), the safetensors header parser (c10 and nlohmann_json
# from the venv's torch wheel; LibTorch itself is not instrumented) and the Jinja interpreter of
# chat templates (plain C++ and nlohmann_json). Leak detection is off:
# GiNaC 1.8 leaks a few bytes when its parser or arithmetic throws (for example on 1/0).
#
#   bash tests/fuzz/run_fuzz.sh [seconds per target, default 60] [work dir, default build-fuzz]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-60}
work=${2:-$root/build-fuzz}
mkdir -p "$work"
export ASAN_OPTIONS=detect_leaks=0
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root/include")

build() {  # build <target> <sources...> -- <libraries...>
  local name=$1; shift
  echo "== building $name"
  clang++ "${flags[@]}" "$@" -o "$work/$name"
}
build fuzz_answer "$root/tests/fuzz/fuzz_answer.cpp" "$root/src/rewards/answer_check.cpp" -lginac -lcln -lutf8proc
build fuzz_countdown "$root/tests/fuzz/fuzz_countdown.cpp" "$root/src/rewards/countdown_check.cpp"
torch_dir=$("$root/.venv/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
build fuzz_safetensors "$root/tests/fuzz/fuzz_safetensors.cpp" "$root/src/model/safetensors_header.cpp" \
  -I"$root/src" -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include" \
  -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -lc10

build fuzz_jinja "$root/tests/fuzz/fuzz_jinja.cpp" "$root/src/tokenizer/jinja.cpp" "$root"/src/tokenizer/jinja/*.cpp \
  -I"$root/src"

seeds_of() {  # the seed directory of a target
  case $1 in
    fuzz_safetensors) echo "$root/tests/fuzz/seeds_safetensors" ;;
    fuzz_jinja) echo "$root/tests/fuzz/seeds_jinja" ;;
    *) echo "$root/tests/fuzz/seeds" ;;
  esac
}
extra_of() {  # extra libFuzzer flags of a target
  case $1 in fuzz_jinja) echo "-dict=$root/tests/fuzz/jinja.dict -max_len=16384" ;; *) echo "-max_len=4096" ;; esac
}
for name in fuzz_answer fuzz_countdown fuzz_safetensors fuzz_jinja; do
  corpus=$work/corpus_$name
  mkdir -p "$corpus"
  echo "== running $name for $seconds s"
  (cd "$work" && "./$name" "$corpus" "$(seeds_of "$name")" -max_total_time="$seconds" $(extra_of "$name") \
     -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 2>&1 | tail -n 12)
done
echo "== no crashes"
