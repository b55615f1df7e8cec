// GrpoLoss against values computed by hand. The case: N = 2 rows, T = 3 tokens,
//   log_ratio = logp - old = [[0.5, -0.5, 0], [0.1, 0, 0.3]], A = [1, -1],
//   mask = [[1, 1, 1], [1, 1, 0]], epsilon 0.2 (clip range [0.8, 1.2]).
// Token losses -min(r A, clip(r) A):
//   row 0 (A = 1):  r = e^0.5 -> clipped to 1.2: -1.2 (zero gradient);
//                   r = e^-0.5 = 0.6065 < 0.8, unclipped: -e^-0.5;  r = 1: -1
//   row 1 (A = -1): r = e^0.1 inside the range: +e^0.1;  r = 1: +1;  third token masked.
#include <grpo/core/loss.h>

#include "support/expect_error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

using grpo::testing::expect_error;

namespace {

constexpr double kTol = 1e-12;  // float64 throughout

struct Case {
  torch::Tensor logp = torch::tensor({-1.0, -2.0, -0.5, -0.3, -1.2, -2.0}, torch::kFloat64).view({2, 3});
  torch::Tensor log_ratio = torch::tensor({0.5, -0.5, 0.0, 0.1, 0.0, 0.3}, torch::kFloat64).view({2, 3});
  torch::Tensor advantages = torch::tensor({1.0, -1.0}, torch::kFloat64);
  torch::Tensor mask = torch::tensor({1, 1, 1, 1, 1, 0}, torch::kBool).view({2, 3});

  grpo::GrpoLossInputs inputs() {
    grpo::GrpoLossInputs in;
    in.logprobs = logp.clone().requires_grad_(true);
    in.old_logprobs = logp - log_ratio;
    in.advantages = advantages;
    in.completion_mask = mask;
    return in;
  }
};

const double kRow0Sum = -1.2 - std::exp(-0.5) - 1.0;  // three active tokens
const double kRow1Sum = std::exp(0.1) + 1.0;          // two active tokens

// Runs the loss, backpropagates, returns d loss / d logprobs.
torch::Tensor grad_of(grpo::GrpoLossOutput& out, grpo::GrpoLossInputs& in) {
  out.loss.backward();
  return in.logprobs.grad();
}

void expect_tensor(const torch::Tensor& got, std::vector<double> want) {
  auto w = torch::tensor(want, torch::kFloat64).view(got.sizes());
  EXPECT_TRUE(torch::allclose(got, w, 0.0, kTol)) << "got\n" << got << "\nwant\n" << w;
}

}  // namespace

TEST(GrpoLoss, GrpoAveragesTokensThenSequences) {
  Case c;
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kGrpo))(in);
  EXPECT_NEAR(out.loss.item<double>(), (kRow0Sum / 3 + kRow1Sum / 2) / 2, kTol);
  // d/dlogp of -r A is -r A; each row's tokens weigh 1 / (|m_i| N).
  expect_tensor(grad_of(out, in), {0, -std::exp(-0.5) / 6, -1.0 / 6, std::exp(0.1) / 4, 1.0 / 4, 0});
}

TEST(GrpoLoss, BnpoAveragesOverActiveTokens) {
  Case c;
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kBnpo))(in);
  EXPECT_NEAR(out.loss.item<double>(), (kRow0Sum + kRow1Sum) / 5, kTol);
  expect_tensor(grad_of(out, in), {0, -std::exp(-0.5) / 5, -1.0 / 5, std::exp(0.1) / 5, 1.0 / 5, 0});
}

TEST(GrpoLoss, DrGrpoDividesByRowsTimesMaxCompletionLength) {
  Case c;
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(
      grpo::GrpoLossOptions().loss_type(grpo::LossType::kDrGrpo).max_completion_length(4))(in);
  EXPECT_NEAR(out.loss.item<double>(), (kRow0Sum + kRow1Sum) / 8, kTol);
}

TEST(GrpoLoss, DapoDividesByTheGenerationBatchTokenCount) {
  Case c;
  auto in = c.inputs();
  in.num_items_in_batch = 10.0;      // this micro-batch is half of the generation batch
  in.gradient_accumulation_steps = 2;  // does not rescale dapo
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kDapo))(in);
  EXPECT_NEAR(out.loss.item<double>(), (kRow0Sum + kRow1Sum) / 10, kTol);
  // Without num_items_in_batch: the local active tokens (5).
  auto in_local = c.inputs();
  auto local = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kDapo))(in_local);
  EXPECT_NEAR(local.loss.item<double>(), (kRow0Sum + kRow1Sum) / 5, kTol);
}

TEST(GrpoLoss, GradientAccumulationDividesGrpoBnpoDrGrpo) {
  for (auto type : {grpo::LossType::kGrpo, grpo::LossType::kBnpo, grpo::LossType::kDrGrpo}) {
    Case c;
    auto one = c.inputs();
    auto two = c.inputs();
    two.gradient_accumulation_steps = 2;
    grpo::GrpoLoss loss(grpo::GrpoLossOptions().loss_type(type));
    EXPECT_NEAR(loss(two).loss.item<double>(), loss(one).loss.item<double>() / 2, kTol)
        << grpo::to_string(type);
  }
}

TEST(GrpoLoss, ClipHigherWidensTheUpperRange) {
  // epsilon_high 0.7: e^0.5 = 1.6487 < 1.7 is no longer clipped and now has a gradient.
  Case c;
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(
      grpo::GrpoLossOptions().loss_type(grpo::LossType::kBnpo).epsilon_high(0.7))(in);
  EXPECT_NEAR(out.loss.item<double>(), (kRow0Sum + 1.2 - std::exp(0.5) + kRow1Sum) / 5, kTol);
  expect_tensor(grad_of(out, in),
                {-std::exp(0.5) / 5, -std::exp(-0.5) / 5, -1.0 / 5, std::exp(0.1) / 5, 1.0 / 5, 0});
  EXPECT_NEAR(out.clip_ratio_high_mean.item<double>(), 0.0, kTol);
}

TEST(GrpoLoss, DeltaCapsTheUnclippedRatio) {
  // epsilon_high 1.0 (clip at 2), delta 1.5: row 0 token 0 has r = e^0.5 = 1.6487,
  // min(min(r, 1.5) * 1, clip(r) * 1) = 1.5, and the cap has zero gradient.
  Case c;
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions()
                                .loss_type(grpo::LossType::kBnpo)
                                .epsilon_high(1.0)
                                .delta(1.5))(in);
  EXPECT_NEAR(out.loss.item<double>(), (kRow0Sum + 1.2 - 1.5 + kRow1Sum) / 5, kTol);
  expect_tensor(grad_of(out, in), {0, -std::exp(-0.5) / 5, -1.0 / 5, std::exp(0.1) / 5, 1.0 / 5, 0});
}

TEST(GrpoLoss, K3KlPenaltyAndItsGradient) {
  // A = 0, so only beta * KL remains. d = ref - logp; kl = e^d - d - 1; d kl / d logp = 1 - e^d.
  Case c;
  auto in = c.inputs();
  const std::vector<double> d = {0.2, -0.1, 0.0, 0.0, 0.3, 1.0};
  in.advantages = torch::zeros({2}, torch::kFloat64);
  in.ref_logprobs = c.logp + torch::tensor(d, torch::kFloat64).view({2, 3});
  auto out = grpo::GrpoLoss(
      grpo::GrpoLossOptions().loss_type(grpo::LossType::kBnpo).beta(0.5).use_bias_correction_kl(false))(in);
  auto kl = [](double x) { return std::exp(x) - x - 1.0; };
  const double kl_sum = kl(0.2) + kl(-0.1) + kl(0.0) + kl(0.0) + kl(0.3);  // token 6 masked
  EXPECT_NEAR(out.loss.item<double>(), 0.5 * kl_sum / 5, kTol);
  EXPECT_NEAR(out.kl_mean.item<double>(), kl_sum / 5, kTol);
  std::vector<double> want;
  for (size_t i = 0; i < d.size(); ++i) want.push_back(i == 5 ? 0.0 : 0.5 * (1 - std::exp(d[i])) / 5);
  expect_tensor(grad_of(out, in), want);
}

TEST(GrpoLoss, BiasCorrectedKlIsWeightedByTheRatio) {
  // DeepSeek-V3.2: term r_t * kl_t with r_t = e^{log_ratio_t}; its derivative in logp_t is
  // r_t kl_t + r_t (1 - e^{d_t}) (d = ref - logp). A = 0 leaves only this term.
  Case c;
  auto in = c.inputs();
  const std::vector<double> d = {0.2, -0.1, 0.0, 0.0, 0.3, 1.0};
  const std::vector<double> lr = {0.5, -0.5, 0.0, 0.1, 0.0, 0.3};
  in.advantages = torch::zeros({2}, torch::kFloat64);
  in.ref_logprobs = c.logp + torch::tensor(d, torch::kFloat64).view({2, 3});
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kBnpo).beta(0.5))(in);
  double sum = 0.0;
  std::vector<double> want;
  for (size_t i = 0; i < d.size(); ++i) {
    const double r = std::exp(lr[i]), kl = std::exp(d[i]) - d[i] - 1.0;
    if (i != 5) sum += r * kl;
    want.push_back(i == 5 ? 0.0 : 0.5 * (r * kl + r * (1 - std::exp(d[i]))) / 5);
  }
  EXPECT_NEAR(out.loss.item<double>(), 0.5 * sum / 5, kTol);
  EXPECT_NEAR(out.kl_mean.item<double>(), sum / 5, kTol);
  expect_tensor(grad_of(out, in), want);
}

TEST(GrpoLoss, SequenceLevelRatioIsTheMaskedMeanLogRatio) {
  // GSPO: row 0 log weight (0.5 - 0.5 + 0) / 3 = 0 -> r = 1; row 1 (0.1 + 0) / 2 = 0.05.
  // grpo aggregation: rows -r0 * A0 = -1 and -min(-r1, -r1) = e^0.05; loss = (e^0.05 - 1) / 2.
  // Gradient: d r_i / d logp_t = r_i m_t / |m_i|, then / N.
  Case c;
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions()
                                .loss_type(grpo::LossType::kGrpo)
                                .importance_sampling_level(grpo::ImportanceSamplingLevel::kSequence))(in);
  const double r1 = std::exp(0.05);
  EXPECT_NEAR(out.loss.item<double>(), (r1 - 1.0) / 2, kTol);
  expect_tensor(grad_of(out, in), {-1.0 / 6, -1.0 / 6, -1.0 / 6, r1 / 4, r1 / 4, 0});
  EXPECT_NEAR(out.ratio_mean.item<double>(), (1.0 + r1) / 2, kTol);
}

TEST(GrpoLoss, StatisticsMatchTheHandCount) {
  Case c;
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions())(in);
  // One of five active tokens is high-clipped (row 0 token 0); none is low-clipped.
  EXPECT_NEAR(out.clip_ratio_high_mean.item<double>(), 1.0 / 5, kTol);
  EXPECT_NEAR(out.clip_ratio_low_mean.item<double>(), 0.0, kTol);
  EXPECT_NEAR(out.clip_ratio_region_mean.item<double>(), 1.0 / 5, kTol);
  EXPECT_NEAR(out.clip_ratio_high_max.item<double>(), 1.0 / 3, kTol);  // row 0: 1 of 3
  EXPECT_NEAR(out.clip_ratio_low_min.item<double>(), 0.0, kTol);
  const double ratio_sum = std::exp(0.5) + std::exp(-0.5) + 1 + std::exp(0.1) + 1;
  EXPECT_NEAR(out.ratio_mean.item<double>(), ratio_sum / 5, kTol);
  EXPECT_NEAR(out.kl_mean.item<double>(), 0.0, kTol);  // beta = 0
  EXPECT_FALSE(out.clip_ratio_high_mean.requires_grad());
}

TEST(GrpoLoss, LowClipCountsNegativeAdvantagesOnly) {
  // Flip the advantages: row 0 (A = -1) token 1 has r = e^-0.5 < 0.8 -> low-clipped.
  Case c;
  c.advantages = -c.advantages;
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions())(in);
  EXPECT_NEAR(out.clip_ratio_low_mean.item<double>(), 1.0 / 5, kTol);
  EXPECT_NEAR(out.clip_ratio_low_min.item<double>(), 0.0, kTol);  // row 1 has none
  EXPECT_NEAR(out.clip_ratio_high_mean.item<double>(), 0.0, kTol);
}

TEST(GrpoLoss, WithoutOldLogprobsTheRatioIsOne) {
  // mu = 1: pi_old is the detached current policy, the loss is -A averaged, the gradient -A / (|m| N).
  Case c;
  auto in = c.inputs();
  in.old_logprobs = torch::Tensor();
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kGrpo))(in);
  EXPECT_NEAR(out.loss.item<double>(), (-1.0 + 1.0) / 2, kTol);
  expect_tensor(grad_of(out, in), {-1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 4, 1.0 / 4, 0});
}

TEST(GrpoLoss, FullyMaskedRowContributesNothingAndNoNaN) {
  Case c;
  c.mask = torch::tensor({1, 1, 1, 0, 0, 0}, torch::kBool).view({2, 3});
  for (auto type : {grpo::LossType::kGrpo, grpo::LossType::kBnpo, grpo::LossType::kDrGrpo,
                    grpo::LossType::kDapo}) {
    auto in = c.inputs();
    auto out = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(type).max_completion_length(3))(in);
    const double want = type == grpo::LossType::kGrpo     ? kRow0Sum / 3 / 2
                        : type == grpo::LossType::kDrGrpo ? kRow0Sum / 6
                                                          : kRow0Sum / 3;
    EXPECT_NEAR(out.loss.item<double>(), want, kTol) << grpo::to_string(type);
    auto grad = grad_of(out, in);
    EXPECT_TRUE(torch::isfinite(grad).all().item<bool>());
    EXPECT_EQ(grad[1].abs().sum().item<double>(), 0.0);
    // Row 1 has no tokens: its per-row clip share is NaN and left out of the max.
    EXPECT_NEAR(out.clip_ratio_high_max.item<double>(), 1.0 / 3, kTol);
  }
}

TEST(GrpoLoss, AllMaskedBatchGivesZeroLoss) {
  Case c;
  c.mask = torch::zeros({2, 3}, torch::kBool);
  auto in = c.inputs();
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kBnpo))(in);
  EXPECT_EQ(out.loss.item<double>(), 0.0);
  EXPECT_TRUE(std::isnan(out.clip_ratio_high_max.item<double>()));
}

TEST(GrpoLoss, OneTokenCompletions) {
  // T = 1: r = [e^0.1, e^-0.3], A = [1, -1] -> losses -min(e^0.1, 1.2)= -e^0.1 and +max(e^-0.3, 0.8) = 0.8.
  grpo::GrpoLossInputs in;
  in.logprobs = torch::tensor({-0.5, -0.7}, torch::kFloat64).view({2, 1}).requires_grad_(true);
  in.old_logprobs = torch::tensor({-0.6, -0.4}, torch::kFloat64).view({2, 1});
  in.advantages = torch::tensor({1.0, -1.0}, torch::kFloat64);
  in.completion_mask = torch::ones({2, 1}, torch::kFloat64);
  auto out = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kGrpo))(in);
  EXPECT_NEAR(out.loss.item<double>(), (-std::exp(0.1) + 0.8) / 2, kTol);
  EXPECT_NEAR(out.clip_ratio_low_mean.item<double>(), 0.5, kTol);  // e^-0.3 = 0.74 < 0.8, A < 0
}

TEST(GrpoLoss, AcceptsPerTokenAdvantages) {
  Case c;
  auto in = c.inputs();
  in.advantages = c.advantages.unsqueeze(1).expand({2, 3}).contiguous();
  auto per_token = grpo::GrpoLoss(grpo::GrpoLossOptions().loss_type(grpo::LossType::kGrpo))(in);
  EXPECT_NEAR(per_token.loss.item<double>(), (kRow0Sum / 3 + kRow1Sum / 2) / 2, kTol);
}

TEST(GrpoLoss, RejectsBadOptions) {
  using O = grpo::GrpoLossOptions;
  expect_error([] { grpo::GrpoLoss(O().epsilon_low(-0.1)); }, "epsilon_low must be in [0, 1), got -0.1");
  expect_error([] { grpo::GrpoLoss(O().epsilon_low(1.0)); }, "epsilon_low must be in [0, 1), got 1");
  expect_error([] { grpo::GrpoLoss(O().epsilon_high(-1)); }, "epsilon_high must be finite and >= 0, got -1");
  expect_error([] { grpo::GrpoLoss(O().beta(-0.01)); }, "beta must be finite and >= 0, got -0.01");
  expect_error([] { grpo::GrpoLoss(O().delta(0.9)); }, "delta must be finite and > 1 when set, got 0.9");
  expect_error([] { grpo::GrpoLoss(O().max_completion_length(0)); },
               "max_completion_length must be >= 1, got 0");
}

TEST(GrpoLoss, RejectsBadInputs) {
  grpo::GrpoLoss loss;
  Case c;
  {
    auto in = c.inputs();
    in.completion_mask = torch::ones({2, 4});
    expect_error([&] { loss(in); }, "completion_mask must have the shape of logprobs [2, 3], got [2, 4]");
  }
  {
    auto in = c.inputs();
    in.old_logprobs = in.old_logprobs.to(torch::kFloat32);
    expect_error([&] { loss(in); }, "old_logprobs must be Double like logprobs, got Float");
  }
  {
    auto in = c.inputs();
    in.advantages = torch::zeros({3}, torch::kFloat64);
    expect_error([&] { loss(in); }, "advantages must be [N] = [2] or [N, T], got [3]");
  }
  {
    auto in = c.inputs();
    in.logprobs = torch::zeros({2, 3}, torch::kInt64);
    expect_error([&] { loss(in); }, "logprobs must be floating, got Long");
  }
  {
    auto in = c.inputs();
    in.logprobs = torch::zeros({6}, torch::kFloat64);
    expect_error([&] { loss(in); }, "logprobs must be [N, T], got [6]");
  }
  {
    auto in = c.inputs();
    expect_error([&] { grpo::GrpoLoss(grpo::GrpoLossOptions().beta(0.1))(in); },
                 "beta = 0.1 > 0 needs ref_logprobs");
  }
  {
    auto in = c.inputs();
    in.num_items_in_batch = 0.0;
    expect_error([&] { loss(in); }, "num_items_in_batch must be > 0 when set, got 0");
  }
  {
    auto in = c.inputs();
    in.gradient_accumulation_steps = 0;
    expect_error([&] { loss(in); }, "gradient_accumulation_steps must be >= 1, got 0");
  }
}
