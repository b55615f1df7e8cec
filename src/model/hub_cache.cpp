#include <grpo/model/hub_cache.h>

#include <c10/util/Exception.h>

#include <cstdlib>
#include <fstream>
#include <sys/stat.h>

namespace grpo {
namespace {

bool is_directory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// A repo id: `name` or `org/name`, neither part empty nor `.`/`..`.
bool looks_like_repo_id(const std::string& s) {
  if (s.empty() || s.front() == '/' || s.back() == '/' || s.find("//") != std::string::npos) return false;
  const auto slash = s.find('/');
  if (slash != std::string::npos && s.find('/', slash + 1) != std::string::npos) return false;
  for (const std::string& part : {s.substr(0, slash), slash == std::string::npos ? std::string("x") : s.substr(slash + 1)}) {
    if (part == "." || part == "..") return false;
  }
  return true;
}

}  // namespace

std::string hub_cache_dir() {
  if (const auto hub = env("HF_HUB_CACHE"); !hub.empty()) return hub;
  if (const auto home = env("HF_HOME"); !home.empty()) return home + "/hub";
  if (const auto xdg = env("XDG_CACHE_HOME"); !xdg.empty()) return xdg + "/huggingface/hub";
  return env("HOME") + "/.cache/huggingface/hub";
}

std::string resolve_model_path(const std::string& name_or_path, const std::string& revision,
                               const std::string& cache_dir) {
  if (is_directory(name_or_path)) return name_or_path;
  // A path that cannot be a repo id (absolute, ./x, a/b/c) is the loader's to report as missing.
  if (!looks_like_repo_id(name_or_path)) return name_or_path;
  const std::string cache = cache_dir.empty() ? hub_cache_dir() : cache_dir;
  std::string folder = "models--" + name_or_path;
  for (size_t at = folder.find('/'); at != std::string::npos; at = folder.find('/', at)) folder.replace(at, 1, "--");
  const std::string repo = cache + "/" + folder;
  const std::string rev = revision.empty() ? "main" : revision;
  const auto tried = [&](const std::string& also) {
    return c10::str("model '", name_or_path, "' (revision ", rev, "): not a directory; looked in the Hugging Face cache ",
                    cache, " (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub) and tried ", also,
                    ". Download it first, for example `hf download ", name_or_path, "`, or pass a model directory");
  };
  TORCH_CHECK(is_directory(repo), tried(repo));
  std::string commit = rev;
  const std::string ref = repo + "/refs/" + rev;
  if (std::ifstream in(ref); in) {
    std::getline(in, commit);
    while (!commit.empty() && (commit.back() == '\r' || commit.back() == ' ' || commit.back() == '\n')) commit.pop_back();
    TORCH_CHECK(!commit.empty(), tried(ref + " (empty)"));
  }
  const std::string snapshot = repo + "/snapshots/" + commit;
  TORCH_CHECK(is_directory(snapshot), tried(commit == rev ? ref + " (missing) and " + snapshot
                                                          : ref + " -> " + snapshot + " (missing)"));
  return snapshot;
}

}  // namespace grpo
