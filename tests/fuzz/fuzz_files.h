#pragma once
// Helpers of the libFuzzer targets whose parsers read files: one private temporary directory per
// fuzzing process, and the input written into a file there (replaced on every input).

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

namespace grpo::fuzz {

/// A directory made once per process under /tmp, named after `target` (`/tmp/<target>.XXXXXX`).
inline const std::string& work_dir(const char* target) {
  static const std::string dir = [target] {
    std::string name = std::string("/tmp/") + target + ".XXXXXX";
    if (::mkdtemp(name.data()) == nullptr) __builtin_trap();
    return name;
  }();
  return dir;
}

/// Writes the `size` bytes at `data` to `path`, replacing the file.
inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace grpo::fuzz
