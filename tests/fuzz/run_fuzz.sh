#!/usr/bin/env bash
# Builds the reward parsers' libFuzzer targets with clang (ASan + UBSan) and runs each for a
# bounded time. They need no LibTorch: the checkers are plain C++ (plus GiNaC). Leak detection is
# off: GiNaC 1.8 leaks a few bytes when its parser or arithmetic throws (for example on 1/0).
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
build fuzz_answer "$root/tests/fuzz/fuzz_answer.cpp" "$root/src/rewards/answer_check.cpp" -lginac -lcln
build fuzz_countdown "$root/tests/fuzz/fuzz_countdown.cpp" "$root/src/rewards/countdown_check.cpp"

for name in fuzz_answer fuzz_countdown; do
  corpus=$work/corpus_$name
  mkdir -p "$corpus"
  echo "== running $name for $seconds s"
  (cd "$work" && "./$name" "$corpus" "$root/tests/fuzz/seeds" -max_total_time="$seconds" -max_len=4096 \
     -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 2>&1 | tail -n 12)
done
echo "== no crashes"
