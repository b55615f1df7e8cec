// The launcher's environment read into WorldInfo, and ProcessGroup's collectives on two Gloo
// ranks run as two threads of this process (c10d allows several groups per process), checked
// against sums computed here by hand. The multi-process runs are in distributed.sh.
#include <grpo/distributed/process_group.h>

#include "support/expect_error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <unistd.h>

namespace {

using grpo::testing::expect_error;

const char* const kLauncherVariables[] = {"RANK",         "WORLD_SIZE",  "LOCAL_RANK",   "MASTER_ADDR",
                                          "MASTER_PORT",  "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"};

// Sets exactly `vars` among the launcher's variables for the scope, then restores the old ones.
class ScopedLauncherEnv {
 public:
  explicit ScopedLauncherEnv(const std::map<std::string, std::string>& vars) {
    for (const char* name : kLauncherVariables) {
      if (const char* v = std::getenv(name)) saved_[name] = v;
      ::unsetenv(name);
    }
    for (const auto& [name, value] : vars) ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedLauncherEnv() {
    for (const char* name : kLauncherVariables) ::unsetenv(name);
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }

 private:
  std::map<std::string, std::string> saved_;
};

TEST(WorldInfo, NoLauncherIsOneProcess) {
  ScopedLauncherEnv env({});
  const auto w = grpo::WorldInfo::from_environment();
  EXPECT_EQ(w.launcher, "");
  EXPECT_EQ(w.rank, 0);
  EXPECT_EQ(w.world_size, 1);
}

TEST(WorldInfo, ReadsTorchrunVariables) {
  ScopedLauncherEnv env({{"RANK", "5"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "node7"},
                         {"MASTER_PORT", "1234"}});
  const auto w = grpo::WorldInfo::from_environment();
  EXPECT_EQ(w.launcher, "torchrun");
  EXPECT_EQ(w.rank, 5);
  EXPECT_EQ(w.world_size, 8);
  EXPECT_EQ(w.local_rank, 1);
  EXPECT_EQ(w.master_addr, "node7");
  EXPECT_EQ(w.master_port, 1234);
}

TEST(WorldInfo, ReadsSlurmVariablesAndTorchrunWins) {
  {
    ScopedLauncherEnv env({{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "1"}});
    const auto w = grpo::WorldInfo::from_environment();
    EXPECT_EQ(w.launcher, "slurm");
    EXPECT_EQ(w.rank, 3);
    EXPECT_EQ(w.world_size, 4);
    EXPECT_EQ(w.local_rank, 1);
    EXPECT_EQ(w.master_addr, "127.0.0.1");
    EXPECT_EQ(w.master_port, 29500);
  }
  ScopedLauncherEnv env({{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "4"}, {"RANK", "0"}, {"WORLD_SIZE", "2"}});
  const auto w = grpo::WorldInfo::from_environment();
  EXPECT_EQ(w.launcher, "torchrun");
  EXPECT_EQ(w.world_size, 2);
}

TEST(WorldInfo, MalformedVariablesNameTheVariable) {
  const std::pair<std::map<std::string, std::string>, std::string> cases[] = {
      {{{"RANK", "x"}, {"WORLD_SIZE", "2"}}, "environment variable RANK is 'x'"},
      {{{"RANK", "2"}, {"WORLD_SIZE", "2"}}, "environment variable RANK is '2'; it must be an integer in [0, 1]"},
      {{{"RANK", "0"}}, "RANK is set but WORLD_SIZE is not"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "0"}}, "environment variable WORLD_SIZE is '0'"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"MASTER_PORT", "70000"}}, "environment variable MASTER_PORT is '70000'"},
      {{{"SLURM_PROCID", "-1"}, {"SLURM_NTASKS", "2"}}, "environment variable SLURM_PROCID is '-1'"},
  };
  for (const auto& [vars, message] : cases) {
    ScopedLauncherEnv env(vars);
    expect_error([] { grpo::WorldInfo::from_environment(); }, message);
  }
}

TEST(ProcessGroup, BadBackendOrDeviceIsNamed) {
  grpo::WorldInfo w;
  w.launcher = "torchrun";
  grpo::DistributedOptions o;
  o.backend = "mpi";
  expect_error([&] { grpo::ProcessGroup::create(w, torch::kCPU, o); }, "ddp_backend must be auto, gloo or nccl, got 'mpi'");
  o.backend = "nccl";
  expect_error([&] { grpo::ProcessGroup::create(w, torch::kCPU, o); }, "ddp_backend 'nccl' needs a CUDA device");
  o.backend = "gloo";
  o.bucket_cap_mb = 0;
  expect_error([&] { grpo::ProcessGroup::create(w, torch::kCPU, o); }, "bucket_cap_mb must be >= 1, got 0");
}

// A port for this test's store: distinct per process, so that parallel test runs do not meet.
int test_port(int offset) { return 30000 + static_cast<int>(::getpid() % 10000) * 3 + offset; }

// Runs `body(group)` as ranks 0 and 1 of a two-rank Gloo world, each in its own thread.
void run_two_ranks(int port, const std::function<void(grpo::ProcessGroup&)>& body,
                   std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto rank_main = [&](int rank) {
    grpo::WorldInfo w;
    w.rank = rank;
    w.world_size = 2;
    w.master_port = port;
    w.launcher = "torchrun";
    grpo::DistributedOptions o;
    o.backend = "gloo";
    o.timeout = timeout;
    o.bucket_cap_mb = 1;
    auto group = grpo::ProcessGroup::create(w, torch::kCPU, o);
    body(*group);
  };
  auto rank1 = std::async(std::launch::async, rank_main, 1);
  rank_main(0);
  rank1.get();
}

TEST(ProcessGroup, CollectivesOnTwoRanks) {
  run_two_ranks(test_port(0), [](grpo::ProcessGroup& g) {
    const double r = static_cast<double>(g.rank());
    auto t = torch::tensor({1.0 + r, 10.0 * r}, torch::kFloat64);
    g.all_reduce_sum(t);
    EXPECT_TRUE(torch::equal(t, torch::tensor({3.0, 10.0}, torch::kFloat64)));

    const auto parts = g.all_gather(torch::full({2}, g.rank() + 7, torch::kLong));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_TRUE(torch::equal(parts[0], torch::full({2}, 7, torch::kLong)));
    EXPECT_TRUE(torch::equal(parts[1], torch::full({2}, 8, torch::kLong)));

    // Different lengths, an empty one, and bytes that are not text.
    const std::string mine = g.rank() == 0 ? std::string("") : std::string("a\0b\n", 4);
    const auto texts = g.all_gather_bytes(mine);
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(texts[0], "");
    EXPECT_EQ(texts[1], std::string("a\0b\n", 4));
    g.barrier();
  });
}

TEST(ProcessGroup, AverageGradientsOverBucketsAndMissingGradients) {
  // Three parameters: one of 2^19 floats (2 MiB, more than the 1 MiB bucket cap, so the
  // reduction takes several buckets), one with a gradient on rank 1 only (rank 0 takes part with
  // zeros), one without a gradient anywhere (left undefined, as the optimizer would skip it).
  run_two_ranks(test_port(1), [](grpo::ProcessGroup& g) {
    const auto r = static_cast<float>(g.rank());
    auto big = torch::zeros({1 << 19}, torch::requires_grad());
    auto small = torch::zeros({3}, torch::requires_grad());
    auto unused = torch::zeros({2}, torch::requires_grad());
    big.mutable_grad() = torch::arange(1 << 19, torch::kFloat) * (r + 1.0f);  // rank 0: x, rank 1: 2x
    if (g.rank() == 1) small.mutable_grad() = torch::tensor({2.0f, 4.0f, 6.0f});
    const double seconds = g.average_gradients({big, small, unused});
    EXPECT_GE(seconds, 0.0);
    EXPECT_TRUE(torch::equal(big.grad(), torch::arange(1 << 19, torch::kFloat) * 1.5f));
    ASSERT_TRUE(small.grad().defined());
    EXPECT_TRUE(torch::equal(small.grad(), torch::tensor({1.0f, 2.0f, 3.0f})));
    EXPECT_FALSE(unused.grad().defined());
  });
}

TEST(ProcessGroup, FailedCollectiveNamesTheRankAndItsMessage) {
  // Rank 1 records a failure and leaves without joining the all-reduce; rank 0's all-reduce
  // times out and names rank 1 with its message.
  std::string error;
  run_two_ranks(
      test_port(2),
      [&](grpo::ProcessGroup& g) {
        if (g.rank() == 1) {
          g.report_failure("step 3: loss is nan");
          return;
        }
        auto t = torch::ones({1});
        try {
          g.all_reduce_sum(t);
        } catch (const c10::Error& e) {
          error = e.what_without_backtrace();
        }
      },
      std::chrono::seconds(3));
  EXPECT_NE(error.find("rank 0 of 2: all-reduce failed; rank 1 failed: step 3: loss is nan"), std::string::npos)
      << error;
}

}  // namespace
