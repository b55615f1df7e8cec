// Reads the cases written by trl_loss_parity.py (inputs plus TRL's loss, gradient and
// statistics), computes grpo's GrpoLoss on the same float64 inputs and compares.
// Prints each case's largest difference; exits 1 if any exceeds the tolerance.
#include <grpo/core/loss.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>

namespace {

constexpr double kTolerance = 1e-6;  // float64; observed differences are ~1e-16

torch::Tensor matrix(const nlohmann::json& rows) {
  std::vector<double> flat;
  for (const auto& row : rows) {
    for (const auto& v : row) flat.push_back(v.get<double>());
  }
  return torch::tensor(flat, torch::kFloat64).view({static_cast<int64_t>(rows.size()), -1});
}

double diff(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return 0.0;
  return std::abs(a - b);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: check_loss_parity CASES_JSON\n";
    return 2;
  }
  std::ifstream file(argv[1]);
  const auto cases = nlohmann::json::parse(file);
  double worst = 0.0;
  int failures = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    grpo::GrpoLossOptions options;
    options.loss_type(grpo::parse_loss_type(c["loss_type"]))
        .importance_sampling_level(grpo::parse_importance_sampling_level(c["importance_sampling_level"]))
        .beta(c["beta"])
        .use_bias_correction_kl(c["use_bias_correction_kl"])
        .epsilon_low(c["epsilon_low"])
        .epsilon_high(c["epsilon_high"])
        .max_completion_length(c["max_completion_length"]);
    if (!c["delta"].is_null()) options.delta(c["delta"].get<double>());

    grpo::GrpoLossInputs in;
    in.logprobs = matrix(c["logprobs"]).requires_grad_(true);
    if (!c["old_logprobs"].is_null()) in.old_logprobs = matrix(c["old_logprobs"]);
    in.ref_logprobs = matrix(c["ref_logprobs"]);
    in.completion_mask = matrix(c["completion_mask"]);
    in.advantages = torch::tensor(c["advantages"].get<std::vector<double>>(), torch::kFloat64);
    in.num_items_in_batch = c["num_items_in_batch"].get<double>();
    in.gradient_accumulation_steps = c["gradient_accumulation_steps"];

    auto out = grpo::GrpoLoss(options)(in);
    out.loss.backward();
    const auto& trl = c["trl"];
    const double loss_diff = diff(out.loss.item<double>(), trl["loss"]);
    const double grad_diff = (in.logprobs.grad() - matrix(trl["grad"])).abs().max().item<double>();
    const double stat_diff = std::max({
        diff(out.kl_mean.item<double>(), trl["kl"]),
        diff(out.clip_ratio_low_mean.item<double>(), trl["clip_ratio_low_mean"]),
        diff(out.clip_ratio_high_mean.item<double>(), trl["clip_ratio_high_mean"]),
        diff(out.clip_ratio_region_mean.item<double>(), trl["clip_ratio_region_mean"]),
        diff(out.clip_ratio_low_min.item<double>(), trl["clip_ratio_low_min"]),
        diff(out.clip_ratio_high_max.item<double>(), trl["clip_ratio_high_max"]),
    });
    const double case_worst = std::max({loss_diff, grad_diff, stat_diff});
    worst = std::max(worst, case_worst);
    const bool ok = case_worst <= kTolerance;
    failures += ok ? 0 : 1;
    std::cout << (ok ? "ok   " : "FAIL ") << std::setw(2) << i << "  " << std::setw(7)
              << c["loss_type"].get<std::string>() << " " << std::setw(8)
              << c["importance_sampling_level"].get<std::string>() << " beta=" << c["beta"]
              << " mu=" << (c["old_logprobs"].is_null() ? 1 : 2) << " eps_high=" << c["epsilon_high"]
              << " delta=" << c["delta"] << " kl_is=" << c["use_bias_correction_kl"] << " accum=" << c["gradient_accumulation_steps"]
              << std::scientific << std::setprecision(2) << "  |dloss| " << loss_diff
              << "  max|dgrad| " << grad_diff << "  max|dstat| " << stat_diff << std::defaultfloat
              << "\n";
  }
  std::cout << cases.size() - failures << " passed, " << failures << " failed; largest difference "
            << std::scientific << worst << " (tolerance " << kTolerance << ")\n";
  return failures == 0 ? 0 : 1;
}
