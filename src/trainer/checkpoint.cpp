#include "trainer/checkpoint.h"

#include <grpo/support/files.h>

#include <c10/util/Exception.h>

#include <dirent.h>

#include <algorithm>
#include <fstream>
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

std::string checkpoint_dir(const std::string& output_dir, int64_t step) {
  return output_dir + "/checkpoint-" + std::to_string(step);
}

}  // namespace

std::string write_checkpoint(const std::string& output_dir, int64_t step, int64_t keep,
                             const std::function<void(const std::string&)>& fill) {
  const std::string dir = checkpoint_dir(output_dir, step);
  const std::string tmp = dir + ".tmp";
  remove_tree(tmp);
  create_directories(tmp);
  fill(tmp);
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
