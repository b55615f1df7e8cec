#include "trainer/checkpoint.h"

#include <grpo/support/files.h>

#include <c10/util/Exception.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

namespace grpo::detail {
namespace {

// Steps of the complete checkpoints in `output_dir`, ascending.
std::vector<int64_t> checkpoint_steps(const std::string& output_dir) {
  std::vector<int64_t> steps;
  DIR* dir = ::opendir(output_dir.c_str());
  if (dir == nullptr) return steps;
  const std::string prefix = "checkpoint-";
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    steps.push_back(std::stoll(digits));
  }
  ::closedir(dir);
  std::sort(steps.begin(), steps.end());
  return steps;
}

}  // namespace

std::string checkpoint_dir(const std::string& output_dir, int64_t step) {
  return output_dir + "/checkpoint-" + std::to_string(step);
}

// One open, flock'ed lock file per (device, inode) in this process, shared by its trainers.
struct OutputDirLock::Shared {
  int fd = -1;
  std::pair<dev_t, ino_t> id;
  ~Shared();
};

namespace {
std::mutex lock_mutex;
std::map<std::pair<dev_t, ino_t>, std::weak_ptr<OutputDirLock::Shared>>& lock_table() {
  static std::map<std::pair<dev_t, ino_t>, std::weak_ptr<OutputDirLock::Shared>> table;
  return table;
}
}  // namespace

OutputDirLock::Shared::~Shared() {
  std::lock_guard<std::mutex> guard(lock_mutex);
  auto& table = lock_table();
  const auto it = table.find(id);
  if (it != table.end() && it->second.expired()) table.erase(it);
  ::close(fd);  // releases the flock
}

OutputDirLock::OutputDirLock(const std::string& output_dir) {
  const std::string path = output_dir + "/.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  TORCH_CHECK(fd >= 0, "cannot open the lock file '", path, "': ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    TORCH_CHECK(false, "cannot stat the lock file '", path, "': ", std::strerror(error));
  }
  const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
  std::lock_guard<std::mutex> guard(lock_mutex);
  auto& table = lock_table();
  const auto it = table.find(id);
  if (it != table.end()) {
    if (auto held = it->second.lock()) {
      ::close(fd);
      shared_ = std::move(held);
      return;
    }
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    TORCH_CHECK(error != EWOULDBLOCK, "output_dir '", output_dir, "' is in use by another run (it holds '", path,
                "'); wait for it to finish or choose another output_dir");
    TORCH_CHECK(false, "cannot lock '", path, "': ", std::strerror(error));
  }
  auto shared = std::make_shared<Shared>();
  shared->fd = fd;
  shared->id = id;
  table[id] = shared;
  shared_ = std::move(shared);
}

OutputDirLock::~OutputDirLock() = default;

void test_kill_point(const char* phase, int64_t step) {
  const char* want = std::getenv("GRPO_TEST_KILL_AT");
  if (want == nullptr) return;
  if (std::string(want) == std::string(phase) + ":" + std::to_string(step)) std::raise(SIGKILL);
}

std::string step_log_up_to(const std::string& text, int64_t last_step) {
  std::istringstream in(text);
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object() && j.contains("step") && j["step"].is_number_integer() &&
        j["step"].get<int64_t>() <= last_step) {
      kept += line + '\n';
    }
  }
  return kept;
}

void truncate_step_log(const std::string& path, int64_t last_step) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return;
  std::ostringstream text;
  text << in.rdbuf();
  in.close();
  const auto kept = step_log_up_to(text.str(), last_step);
  if (kept == text.str()) return;
  write_file_atomically(path, [&](std::ostream& out) { out << kept; });
}

std::string write_checkpoint(const std::string& output_dir, int64_t step, int64_t keep,
                             const std::function<void(const std::string&)>& fill) {
  const std::string dir = checkpoint_dir(output_dir, step);
  const std::string tmp = dir + ".tmp";
  remove_tree(tmp);
  create_directories(tmp);
  try {
    fill(tmp);
  } catch (const c10::Error& e) {
    try {
      remove_tree(tmp);
    } catch (const c10::Error&) {  // the first error is the one to report
    }
    TORCH_CHECK(false, "cannot write checkpoint '", dir, "' (in '", tmp, "'): ", e.what_without_backtrace());
  } catch (const std::exception& e) {
    try {
      remove_tree(tmp);
    } catch (const c10::Error&) {
    }
    TORCH_CHECK(false, "cannot write checkpoint '", dir, "' (in '", tmp, "'): ", e.what());
  }
  remove_tree(dir);
  commit_file(tmp, dir);
  auto steps = checkpoint_steps(output_dir);
  while (static_cast<int64_t>(steps.size()) > keep) {
    remove_tree(checkpoint_dir(output_dir, steps.front()));
    steps.erase(steps.begin());
  }
  return dir;
}

nlohmann::json read_trainer_state(const std::string& dir, std::initializer_list<const char*> required) {
  for (const char* name : required) {
    TORCH_CHECK(path_exists(dir + "/" + name), "checkpoint '", dir, "' has no ", name);
  }
  std::ifstream in(dir + "/trainer_state.json");
  TORCH_CHECK(in.is_open(), "checkpoint '", dir, "' has no trainer_state.json");
  const auto state = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  TORCH_CHECK(!state.is_discarded() && state.is_object(), "checkpoint '", dir, "': trainer_state.json is malformed");
  TORCH_CHECK(state.contains("global_step") && state["global_step"].is_number_integer(), "checkpoint '", dir,
              "': trainer_state.json has no integer global_step");
  return state;
}

std::string resolve_checkpoint(const std::string& path, const std::string& output_dir) {
  if (path != "latest") return path;
  const auto steps = checkpoint_steps(output_dir);
  TORCH_CHECK(!steps.empty(), "no checkpoint to resume in '", output_dir, "'");
  return checkpoint_dir(output_dir, steps.back());
}

}  // namespace grpo::detail
