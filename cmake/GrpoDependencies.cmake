# Finds grpo's dependencies: LibTorch (from CMAKE_PREFIX_PATH, for example the
# torch wheel's torch.utils.cmake_prefix_path or an unpacked official LibTorch 2.x)
# and the Debian packages fmt, spdlog and nlohmann_json; PCRE2 and utf8proc (tokenizer regexes
# and Unicode normalisation) through pkg-config.
find_package(Torch 2.0 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
# Only the libraries are taken: libutf8proc.pc's cflags carry its own build's -DUTF8PROC_EXPORTS,
# which would make the library's precompiled header unusable for the programs that reuse it.
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED libpcre2-8)
pkg_check_modules(UTF8PROC REQUIRED libutf8proc)
