# Finds grpo's dependencies: LibTorch (from CMAKE_PREFIX_PATH, for example the
# torch wheel's torch.utils.cmake_prefix_path or an unpacked official LibTorch 2.x)
# and the Debian packages fmt, spdlog and nlohmann_json.
find_package(Torch 2.0 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
