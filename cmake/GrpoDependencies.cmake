# Finds grpo's dependencies: LibTorch (from CMAKE_PREFIX_PATH, for example the
# torch wheel's torch.utils.cmake_prefix_path or an unpacked official LibTorch 2.x)
# and the Debian packages fmt, spdlog and nlohmann_json; PCRE2 and utf8proc (tokenizer regexes
# and Unicode normalisation) through pkg-config.
find_package(Torch 2.0 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
# The rewards' symbolic algebra (GiNaC) and Unicode tables (utf8proc), Debian libginac-dev and libutf8proc-dev.
find_package(PkgConfig REQUIRED)
pkg_check_modules(GINAC REQUIRED IMPORTED_TARGET ginac)
# utf8proc by hand: its pkg-config flags define UTF8PROC_EXPORTS, which would differ from the precompiled header's.
find_path(UTF8PROC_INCLUDE_DIR utf8proc.h REQUIRED)
find_library(UTF8PROC_LIBRARY utf8proc REQUIRED)
# The tokenizer's pre-tokenizer regexes (PCRE2).
pkg_check_modules(PCRE2 REQUIRED libpcre2-8)
# TensorBoard event files (report_to: ["tensorboard"]): the protobuf runtime and protoc,
# Debian libprotobuf-dev and protobuf-compiler.
find_package(Protobuf 3.12 REQUIRED)
# `grpo plot` draws with Cairo (Debian libcairo2-dev); only the command-line program links it.
if(GRPO_BUILD_CLI OR GRPO_BUILD_TESTS)
  pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
endif()
# Data parallelism (src/distributed) uses c10d's process groups compiled into LibTorch. The Gloo
# group's header includes Gloo's headers, which the torch wheel does not ship: Debian libgloo-dev
# gives them (only the headers; the code is LibTorch's). NCCL on a CUDA LibTorch: nccl.h from the
# nvidia-nccl wheel installed beside torch, or NCCL_INCLUDE_DIR.
find_path(GLOO_INCLUDE_DIR gloo/context.h HINTS ${TORCH_INCLUDE_DIRS})
if(NOT GLOO_INCLUDE_DIR)
  message(FATAL_ERROR "Gloo's headers (gloo/context.h) were not found: install Debian's libgloo-dev "
                      "(bash cmake/setup.sh does) or set GLOO_INCLUDE_DIR")
endif()
set(GRPO_WITH_NCCL OFF)
# A CUDA LibTorch: Policy can capture its decoding step as a CUDA graph (src/model/decode_graph.cpp).
set(GRPO_WITH_CUDA OFF)
if(TORCH_CUDA_LIBRARIES)
  set(GRPO_WITH_CUDA ON)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS "${TORCH_INSTALL_PREFIX}/../nvidia/nccl/include" ENV NCCL_INCLUDE_DIR)
  if(NCCL_INCLUDE_DIR)
    set(GRPO_WITH_NCCL ON)
  else()
    message(WARNING "nccl.h not found: ddp_backend 'nccl' will be unavailable (set NCCL_INCLUDE_DIR)")
  endif()
endif()
