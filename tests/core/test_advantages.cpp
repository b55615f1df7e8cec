// compute_advantages against values computed by hand (written out below each case).
#include <grpo/core/advantages.h>

#include "support/expect_error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTol = 1e-12;  // float64 throughout

torch::Tensor f64(std::vector<double> values) { return torch::tensor(values, torch::kFloat64); }

void expect_close(const torch::Tensor& got, const std::vector<double>& want) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  auto g = got.contiguous();
  for (size_t i = 0; i < want.size(); ++i) {
    const double v = g.data_ptr<double>()[i];
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(v)) << "element " << i << " = " << v << ", want NaN";
    } else {
      EXPECT_NEAR(v, want[i], kTol) << "element " << i;
    }
  }
}

}  // namespace

TEST(Advantages, GroupNormalisedWithUnbiasedStd) {
  // G = 3. Group 0: rewards 1, 0, 0 -> mean 1/3, unbiased var ((2/3)^2 + 2 (1/3)^2) / 2 = 1/3.
  // Group 1: 2, 2, 2 -> std 0, advantages 0 / (0 + 1e-4) = 0.
  auto rewards = f64({1, 0, 0, 2, 2, 2}).view({6, 1});
  auto r = grpo::compute_advantages(rewards, f64({1}), grpo::AdvantageOptions(3));
  const double s = std::sqrt(1.0 / 3.0) + 1e-4;
  expect_close(r.advantages, {(2.0 / 3) / s, (-1.0 / 3) / s, (-1.0 / 3) / s, 0, 0, 0});
  expect_close(r.rewards, {1, 0, 0, 2, 2, 2});
  // Half the rows sit in a zero-std group.
  EXPECT_NEAR(r.frac_reward_zero_std.item<double>(), 0.5, kTol);
  // Batch mean 7/6; squared deviations 1/36 + 2 * 49/36 + 3 * 25/36 = 29/6 -> var 29/30.
  EXPECT_NEAR(r.reward_mean.item<double>(), 7.0 / 6, kTol);
  EXPECT_NEAR(r.reward_std.item<double>(), std::sqrt(29.0 / 30), kTol);
}

TEST(Advantages, WeightedSumSkipsNaNAndZeroesUnscorableRows) {
  // G = 2, K = 2, weights (1, 2).
  // row 0: (1, NaN) -> 1;  row 1: (0, 0.5) -> 1        => group 0 equal: advantages 0.
  // row 2: (NaN, NaN) -> unscorable (NaN); row 3: (1, 1) -> 3
  //   => group 1 has one scorable value: std NaN, both advantages forced to 0.
  auto rewards = f64({1, kNaN, 0, 0.5, kNaN, kNaN, 1, 1}).view({4, 2});
  auto r = grpo::compute_advantages(rewards, f64({1, 2}), grpo::AdvantageOptions(2));
  expect_close(r.rewards, {1, 1, kNaN, 3});
  expect_close(r.advantages, {0, 0, 0, 0});
  // Column 0: {1, 0, 1} mean 2/3, var 1/3. Column 1: {0.5, 1} mean 0.75, var 0.125.
  expect_close(r.reward_mean_per_func, {2.0 / 3, 0.75});
  expect_close(r.reward_std_per_func, {std::sqrt(1.0 / 3), std::sqrt(0.125)});
  EXPECT_NEAR(r.reward_mean.item<double>(), 5.0 / 3, kTol);
  // Group 0's std is exactly 0; group 1's is NaN, which is not "zero".
  EXPECT_NEAR(r.frac_reward_zero_std.item<double>(), 0.5, kTol);
}

TEST(Advantages, ScaleNoneOnlyCentres) {
  // Dr. GRPO: A = r - mean(group). Groups {1, 0} and {3, 1}.
  auto rewards = f64({1, 0, 3, 1}).view({4, 1});
  auto r = grpo::compute_advantages(rewards, f64({1}),
                                    grpo::AdvantageOptions(2).scale_rewards(grpo::ScaleRewards::kNone));
  expect_close(r.advantages, {0.5, -0.5, 1, -1});
}

TEST(Advantages, ScaleBatchCentresPerGroupAndDividesByBatchStd) {
  // Batch {1, 0, 3, 1}: mean 1.25, squared deviations 1/16 + 25/16 + 49/16 + 1/16 = 76/16,
  // unbiased var 76/48. Group means 0.5 and 2.
  auto rewards = f64({1, 0, 3, 1}).view({4, 1});
  auto r = grpo::compute_advantages(rewards, f64({1}),
                                    grpo::AdvantageOptions(2).scale_rewards(grpo::ScaleRewards::kBatch));
  const double s = std::sqrt(76.0 / 48) + 1e-4;
  expect_close(r.advantages, {0.5 / s, -0.5 / s, 1 / s, -1 / s});
  EXPECT_NEAR(r.frac_reward_zero_std.item<double>(), 0.0, kTol);
}

TEST(Advantages, EpsilonIsConfigurable) {
  auto rewards = f64({1, 0}).view({2, 1});
  auto r = grpo::compute_advantages(rewards, f64({1}), grpo::AdvantageOptions(2).std_epsilon(0.0));
  // mean 0.5, unbiased std sqrt(0.5).
  expect_close(r.advantages, {0.5 / std::sqrt(0.5), -0.5 / std::sqrt(0.5)});
}

TEST(Advantages, KeepsDtypeAndSumsFloat32WeightsIntoFloat64) {
  auto rewards = torch::tensor({1.0f, 0.0f}).view({2, 1});
  auto r = grpo::compute_advantages(rewards, torch::ones({1}), grpo::AdvantageOptions(2));
  EXPECT_EQ(r.advantages.scalar_type(), torch::kFloat32);
  EXPECT_FALSE(r.advantages.requires_grad());
}

using grpo::testing::expect_error;

TEST(Advantages, RejectsBadInput) {
  auto ok = f64({1, 0, 1, 0}).view({4, 1});
  auto w = f64({1});
  expect_error([&] { grpo::compute_advantages(ok, w, grpo::AdvantageOptions(1)); },
               "num_generations must be >= 2, got 1");
  expect_error([&] { grpo::compute_advantages(ok, w, grpo::AdvantageOptions(3)); },
               "N = 4 rows is not a positive multiple of num_generations 3");
  expect_error([&] { grpo::compute_advantages(ok, w, grpo::AdvantageOptions(2).std_epsilon(-1)); },
               "std_epsilon must be >= 0, got -1");
  expect_error([&] { grpo::compute_advantages(ok.view({4}), w, grpo::AdvantageOptions(2)); },
               "rewards_per_func must be [N, K], got shape [4]");
  expect_error([&] { grpo::compute_advantages(ok.to(torch::kInt64), w, grpo::AdvantageOptions(2)); },
               "rewards_per_func must be floating, got Long");
  expect_error([&] { grpo::compute_advantages(ok, f64({1, 1}), grpo::AdvantageOptions(2)); },
               "reward_weights must be [K] = [1], got shape [2]");
  expect_error([&] { grpo::compute_advantages(torch::empty({0, 1}, torch::kFloat64), w, grpo::AdvantageOptions(2)); },
               "N = 0 rows is not a positive multiple");
}
