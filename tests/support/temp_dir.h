#pragma once
// Test helper: a fresh directory under /tmp (or $TMPDIR), removed with its contents at scope exit.
// Uses grpo's POSIX file helpers: std::filesystem operations are unsafe beside the torch wheel's
// LibTorch (see include/grpo/support/files.h).

#include <grpo/support/files.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace grpo::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/grpo-test-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    path_ = ::mkdtemp(buffer.data());
  }
  ~TempDir() { grpo::remove_tree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The directory.
  const std::string& path() const { return path_; }
  /// Path of `name` inside the directory.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace grpo::testing
