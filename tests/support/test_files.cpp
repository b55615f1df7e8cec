#include <grpo/support/files.h>

#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <c10/util/Exception.h>

#include <dirent.h>
#include <fstream>
#include <sstream>

using grpo::testing::TempDir;

namespace {
int count_entries(const std::string& dir) {
  int n = 0;
  DIR* d = ::opendir(dir.c_str());
  while (auto* e = ::readdir(d)) n += std::string(e->d_name) != "." && std::string(e->d_name) != "..";
  ::closedir(d);
  return n;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(AtomicFile, ReplacesTheFileWhole) {
  TempDir dir;
  const auto path = dir.file("f.txt");
  grpo::write_file_atomically(path, [](std::ostream& out) { out << "first"; });
  grpo::write_file_atomically(path, [](std::ostream& out) { out << "second"; });
  EXPECT_EQ(read(path), "second");
  EXPECT_EQ(count_entries(dir.path()), 1);  // no temporary file left beside it
}

TEST(AtomicFile, AFailedWriteKeepsThePreviousFile) {
  TempDir dir;
  const auto path = dir.file("f.txt");
  grpo::write_file_atomically(path, [](std::ostream& out) { out << "good"; });
  EXPECT_THROW(grpo::write_file_atomically(path,
                                           [](std::ostream& out) {
                                             out << "half";
                                             throw std::runtime_error("crash mid-write");
                                           }),
               std::runtime_error);
  EXPECT_EQ(read(path), "good");
  EXPECT_EQ(count_entries(dir.path()), 1);
}

TEST(AtomicFile, UnwritableDirectoryIsAnErrorNamingTheFile) {
  try {
    grpo::write_file_atomically("/nonexistent-dir/x.txt", [](std::ostream& out) { out << "x"; });
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("/nonexistent-dir/x.txt"), std::string::npos);
  }
}

TEST(Files, CreatesAndRemovesDirectoryTrees) {
  TempDir dir;
  const auto deep = dir.file("a/b/c");
  grpo::create_directories(deep);
  grpo::create_directories(deep);  // existing is fine
  grpo::write_file_atomically(deep + "/f.txt", [](std::ostream& out) { out << "x"; });
  EXPECT_TRUE(grpo::path_exists(deep + "/f.txt"));
  grpo::remove_tree(dir.file("a"));
  EXPECT_FALSE(grpo::path_exists(dir.file("a")));
  grpo::remove_tree(dir.file("a"));  // missing is fine
  grpo::write_file_atomically(dir.file("file"), [](std::ostream& out) { out << "x"; });
  EXPECT_THROW(grpo::create_directories(dir.file("file/sub")), c10::Error);
}
