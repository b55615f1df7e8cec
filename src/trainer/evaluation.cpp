#include <grpo/trainer/evaluation.h>

#include <grpo/distributed/process_group.h>
#include <grpo/trainer/scoring.h>

#include "support/progress.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <tuple>

namespace grpo {

std::string EvalResult::to_json() const {
  nlohmann::ordered_json j;
  j["num_prompts"] = num_prompts;
  j["greedy_accuracy"] = greedy_accuracy;
  j["greedy_stderr"] = greedy_stderr;
  j["pass_at_1"] = pass_at_1;
  j["pass_at_1_stderr"] = pass_at_1_stderr;
  j["num_samples"] = num_samples;
  return j.dump();
}

EvalResult evaluate(Policy& policy, const PromptDataset& dataset, const RewardFn& correctness,
                    const EvalOptions& options) {
  TORCH_CHECK(options.num_samples() >= 1, "EvalOptions: num_samples must be >= 1, got ", options.num_samples());
  TORCH_CHECK(options.batch_prompts() >= 1, "EvalOptions: batch_prompts must be >= 1, got ",
              options.batch_prompts());
  TORCH_CHECK(dataset.size() >= 1, "evaluate: the dataset is empty");
  const int64_t n = dataset.size();
  std::vector<double> greedy(n), pass(n);
  // Correct-answer share of `g` samples per prompt for prompts [begin, end).
  auto judge = [&](int64_t begin, int64_t end, int64_t g, const SamplingOptions& sampling, std::vector<double>& out) {
    std::vector<std::string> prompts;
    std::vector<const PromptRow*> rows;
    for (int64_t i = begin; i < end; ++i) {
      prompts.push_back(dataset[i].prompt);
      rows.push_back(&dataset[i]);
    }
    const auto rollout = policy.generate(prompts, sampling);
    const auto scores = correctness.score(reward_inputs(rollout, rows));
    for (int64_t r = 0; r < rollout.num_rows(); ++r) {
      out[begin + r / g] += (scores[r] >= options.correct_threshold() ? 1.0 : 0.0) / static_cast<double>(g);
    }
  };
  // Distributed, rank r judges batches r, r + W, ... (each with its own seed, as in one process)
  // and the per-prompt shares are summed over the ranks.
  const auto world = distributed_group();
  const int64_t rank = world ? world->rank() : 0, ranks = world ? world->world_size() : 1;
  detail::Progress progress("eval", n, "prompts");
  for (int64_t begin = 0; begin < n; begin += options.batch_prompts()) {
    const int64_t end = std::min(n, begin + options.batch_prompts());
    if ((begin / options.batch_prompts()) % ranks != rank) continue;
    judge(begin, end, 1,
          SamplingOptions().num_generations(1).top_k(1).max_new_tokens(options.max_new_tokens())
              .stop_strings(options.stop_strings()).seed(options.seed()),
          greedy);
    judge(begin, end, options.num_samples(),
          SamplingOptions().num_generations(options.num_samples()).temperature(options.temperature())
              .max_new_tokens(options.max_new_tokens()).stop_strings(options.stop_strings())
              .seed(options.seed() + static_cast<uint64_t>(begin) + 1),
          pass);
    progress.advance(end - begin);
  }
  if (world) {
    auto shares = torch::cat({torch::tensor(greedy, torch::kFloat64), torch::tensor(pass, torch::kFloat64)})
                      .to(policy.device());
    world->all_reduce_sum(shares);
    const auto host = shares.to(torch::kCPU).contiguous();
    const auto* v = host.data_ptr<double>();
    std::copy(v, v + n, greedy.begin());
    std::copy(v + n, v + 2 * n, pass.begin());
  }
  auto mean_and_stderr = [n](const std::vector<double>& v) {
    double mean = 0, var = 0;
    for (double x : v) mean += x / static_cast<double>(n);
    for (double x : v) var += (x - mean) * (x - mean);
    const double sample_var = n > 1 ? var / static_cast<double>(n - 1) : 0.0;
    return std::make_pair(mean, std::sqrt(sample_var / static_cast<double>(n)));
  };
  EvalResult result;
  result.num_prompts = n;
  result.num_samples = options.num_samples();
  std::tie(result.greedy_accuracy, result.greedy_stderr) = mean_and_stderr(greedy);
  std::tie(result.pass_at_1, result.pass_at_1_stderr) = mean_and_stderr(pass);
  return result;
}

}  // namespace grpo
