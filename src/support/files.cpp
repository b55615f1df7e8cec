#include <grpo/support/files.h>

#include <c10/util/Exception.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

namespace grpo {
namespace {

// fsync of a file or directory; returns false (errno set) on failure.
bool sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::string parent_directory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path) == 0 ? 0 : -1;
}

}  // namespace

void create_directories(const std::string& path) {
  TORCH_CHECK(!path.empty(), "create_directories: empty path");
  for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    const std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      TORCH_CHECK(false, "cannot create directory '", prefix, "': ", std::strerror(errno));
    }
    if (pos == std::string::npos) break;
  }
  struct stat info {};
  TORCH_CHECK(::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode), "'", path, "' is not a directory");
}

void remove_tree(const std::string& path) {
  if (!path_exists(path)) return;
  TORCH_CHECK(::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0, "cannot remove '", path,
              "': ", std::strerror(errno));
}

bool path_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

void commit_file(const std::string& from, const std::string& to) {
  TORCH_CHECK(sync_path(from, false), "cannot sync '", from, "': ", std::strerror(errno));
  TORCH_CHECK(std::rename(from.c_str(), to.c_str()) == 0, "cannot rename '", from, "' to '", to,
              "': ", std::strerror(errno));
  // The rename itself is durable once the directory is synced; failing that is not fatal.
  sync_path(parent_directory(to), true);
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      TORCH_CHECK(out.is_open(), "cannot create '", tmp, "': ", std::strerror(errno));
      write(out);
      out.flush();
      TORCH_CHECK(out.good(), "cannot write '", tmp, "'");
    }
    commit_file(tmp, path);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  TORCH_CHECK(out.is_open(), "cannot append to '", path, "'");
  out << line << '\n';
  out.flush();
  TORCH_CHECK(out.good(), "cannot write to '", path, "'");
}

}  // namespace grpo
