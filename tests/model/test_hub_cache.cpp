// Models by name: repo ids resolved through a fake Hugging Face cache tree
// (models--org--name/{refs,snapshots}), as huggingface_hub lays it out.
#include <grpo/model/hub_cache.h>
#include <grpo/model/policy.h>

#include <grpo/support/files.h>

#include "support/temp_dir.h"
#include "support/tiny_policy.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <unistd.h>

namespace grpo {
namespace {

const std::string kMain = "0123456789abcdef0123456789abcdef01234567";
const std::string kDev = "fedcba9876543210fedcba9876543210fedcba98";

// A cache with HuggingFaceTB/SmolLM2-135M-Instruct at two commits: refs/main -> kMain (with a
// trailing newline, as some tools write it), refs/dev -> kDev.
struct FakeCache {
  testing::TempDir dir;
  std::string repo = dir.file("models--HuggingFaceTB--SmolLM2-135M-Instruct");
  FakeCache() {
    create_directories(repo + "/refs");
    create_directories(repo + "/snapshots/" + kMain);
    create_directories(repo + "/snapshots/" + kDev);
    std::ofstream(repo + "/refs/main") << kMain << "\n";
    std::ofstream(repo + "/refs/dev") << kDev;
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

TEST(HubCache, RepoIdResolvesToTheSnapshotOfRefsMain) {
  FakeCache cache;
  EXPECT_EQ(resolve_model_path("HuggingFaceTB/SmolLM2-135M-Instruct", "", cache.dir.path()),
            cache.repo + "/snapshots/" + kMain);
}

TEST(HubCache, RevisionNamesABranchOrACommit) {
  FakeCache cache;
  EXPECT_EQ(resolve_model_path("HuggingFaceTB/SmolLM2-135M-Instruct", "dev", cache.dir.path()),
            cache.repo + "/snapshots/" + kDev);
  EXPECT_EQ(resolve_model_path("HuggingFaceTB/SmolLM2-135M-Instruct", kDev, cache.dir.path()),
            cache.repo + "/snapshots/" + kDev);
}

TEST(HubCache, MissingSnapshotNamesThePathsTried) {
  FakeCache cache;
  std::ofstream(cache.repo + "/refs/stale") << "1111111111111111111111111111111111111111";
  const auto message = error_of([&] { resolve_model_path("HuggingFaceTB/SmolLM2-135M-Instruct", "stale", cache.dir.path()); });
  EXPECT_NE(message.find(cache.repo + "/refs/stale"), std::string::npos) << message;
  EXPECT_NE(message.find(cache.repo + "/snapshots/1111111111111111111111111111111111111111"), std::string::npos)
      << message;
  const auto unknown = error_of([&] { resolve_model_path("HuggingFaceTB/SmolLM2-135M-Instruct", "v9", cache.dir.path()); });
  EXPECT_NE(unknown.find(cache.repo + "/snapshots/v9"), std::string::npos) << unknown;
}

TEST(HubCache, UncachedRepoNamesTheCacheDirectory) {
  FakeCache cache;
  const auto message = error_of([&] { resolve_model_path("org/absent", "", cache.dir.path()); });
  EXPECT_NE(message.find("model 'org/absent'"), std::string::npos) << message;
  EXPECT_NE(message.find(cache.dir.file("models--org--absent")), std::string::npos) << message;
}

TEST(HubCache, LocalDirectoryWinsOverARepoIdOfTheSameName) {
  FakeCache cache;
  testing::TempDir work;
  create_directories(work.file("HuggingFaceTB/SmolLM2-135M-Instruct"));
  char old_cwd[4096];
  ASSERT_NE(::getcwd(old_cwd, sizeof old_cwd), nullptr);
  ASSERT_EQ(::chdir(work.path().c_str()), 0);
  const auto resolved = resolve_model_path("HuggingFaceTB/SmolLM2-135M-Instruct", "", cache.dir.path());
  ASSERT_EQ(::chdir(old_cwd), 0);
  EXPECT_EQ(resolved, "HuggingFaceTB/SmolLM2-135M-Instruct");
}

TEST(HubCache, PathsThatCannotBeRepoIdsPassThrough) {
  FakeCache cache;
  EXPECT_EQ(resolve_model_path("/no/such/model", "", cache.dir.path()), "/no/such/model");
  EXPECT_EQ(resolve_model_path("./model", "", cache.dir.path()), "./model");
}

// Sets an environment variable for the object's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { saved_ ? ::setenv(name_, saved_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST(HubCache, PolicyFromPretrainedLoadsARepoIdAtARevision) {
  FakeCache cache;
  const ScopedEnv hub("HF_HUB_CACHE", cache.dir.path());
  auto main_model = testing::tiny_policy(1), dev_model = testing::tiny_policy(2);
  main_model.save_pretrained(cache.repo + "/snapshots/" + kMain);
  dev_model.save_pretrained(cache.repo + "/snapshots/" + kDev);
  const auto equal_parameters = [](Policy& a, Policy& b) {
    const auto pa = a.model()->parameters(), pb = b.model()->parameters();
    if (pa.size() != pb.size()) return false;
    for (size_t i = 0; i < pa.size(); ++i) {
      if (!torch::equal(pa[i], pb[i])) return false;
    }
    return true;
  };
  auto loaded = Policy::from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct");
  EXPECT_TRUE(equal_parameters(loaded, main_model));
  EXPECT_FALSE(equal_parameters(loaded, dev_model));
  auto loaded_dev = Policy::from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct", PretrainedOptions().revision("dev"));
  EXPECT_TRUE(equal_parameters(loaded_dev, dev_model));
  const auto message = error_of([] { Policy::from_pretrained("HuggingFaceTB/not-cached"); });
  EXPECT_NE(message.find(cache.dir.path() + "/models--HuggingFaceTB--not-cached"), std::string::npos) << message;
}

TEST(HubCache, CacheDirectoryFollowsTheHubsEnvironmentOrder) {
  const auto saved = [](const char* name) {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const auto hub = saved("HF_HUB_CACHE"), home = saved("HF_HOME"), xdg = saved("XDG_CACHE_HOME");
  ::setenv("HF_HUB_CACHE", "/a/hub", 1);
  ::setenv("HF_HOME", "/b", 1);
  EXPECT_EQ(hub_cache_dir(), "/a/hub");
  ::unsetenv("HF_HUB_CACHE");
  EXPECT_EQ(hub_cache_dir(), "/b/hub");
  ::unsetenv("HF_HOME");
  ::setenv("XDG_CACHE_HOME", "/c", 1);
  EXPECT_EQ(hub_cache_dir(), "/c/huggingface/hub");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(hub_cache_dir(), std::string(std::getenv("HOME")) + "/.cache/huggingface/hub");
  const auto restore = [](const char* name, const std::optional<std::string>& v) {
    v ? ::setenv(name, v->c_str(), 1) : ::unsetenv(name);
  };
  restore("HF_HUB_CACHE", hub);
  restore("HF_HOME", home);
  restore("XDG_CACHE_HOME", xdg);
}

}  // namespace
}  // namespace grpo
