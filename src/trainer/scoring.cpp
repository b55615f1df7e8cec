#include <grpo/trainer/scoring.h>

#include <grpo/support/log.h>

#include <c10/util/Exception.h>
#include <torch/torch.h>

#include <limits>

namespace grpo {

std::vector<RewardInput> reward_inputs(const Rollout& rollout, const std::vector<const PromptRow*>& prompt_rows) {
  const int64_t n = rollout.num_rows(), g = rollout.num_generations;
  TORCH_CHECK(static_cast<int64_t>(prompt_rows.size()) * g == n, "reward_inputs: ", prompt_rows.size(),
              " prompt rows x ", g, " completions each, but the rollout has ", n, " rows");
  // One copy from the device: ids [N, T], then the length and the truncation flag of each row.
  const auto host = torch::cat({rollout.completion_ids, rollout.completion_mask.sum(1, /*keepdim=*/true),
                                rollout.truncated.to(torch::kLong).unsqueeze(1)},
                               1)
                        .to(torch::kCPU, torch::kLong)
                        .contiguous();
  const int64_t width = host.size(1);
  const auto* data = host.data_ptr<int64_t>();
  std::vector<RewardInput> rows;
  rows.reserve(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    const auto* row_data = data + r * width;
    const PromptRow& prompt_row = *prompt_rows[static_cast<size_t>(r / g)];
    RewardInput in;
    in.prompt = prompt_row.prompt;
    in.completion = rollout.completions[static_cast<size_t>(r)];
    in.completion_ids.assign(row_data, row_data + row_data[width - 2]);
    in.truncated = row_data[width - 1] != 0;
    in.fields = prompt_row.fields;
    in.group = r / g;
    rows.push_back(std::move(in));
  }
  return rows;
}

RewardErrorPolicy parse_reward_error_policy(const std::string& text) {
  if (text == "fail") return RewardErrorPolicy::kFail;
  TORCH_CHECK(text == "nan", "reward_error_policy must be fail or nan, got '", text, "'");
  return RewardErrorPolicy::kNaN;
}

RewardTable score_rewards(const std::vector<std::shared_ptr<RewardFn>>& rewards, const std::vector<RewardInput>& rows,
                          RewardErrorPolicy policy, const std::string& context) {
  const auto n = static_cast<int64_t>(rows.size()), k = static_cast<int64_t>(rewards.size());
  RewardTable table{torch::empty({n, k}, torch::kFloat64), 0};
  auto values = table.rewards_per_func.accessor<double, 2>();
  for (int64_t j = 0; j < k; ++j) {
    const RewardFn& reward = *rewards[static_cast<size_t>(j)];
    std::vector<double> column;
    try {
      column = reward.score(rows);
    } catch (const c10::Error& e) {
      TORCH_CHECK(policy == RewardErrorPolicy::kNaN, context, ": ", e.what_without_backtrace());
      // Rescore row by row so that only the failing rows become NaN.
      column.clear();
      for (const auto& row : rows) {
        try {
          column.push_back(reward.score({row})[0]);
        } catch (const c10::Error& row_error) {
          column.push_back(std::numeric_limits<double>::quiet_NaN());
          ++table.errors;
          log::warn(c10::str(context, ": reward '", reward.name(), "' failed on a row, scored NaN: ",
                             row_error.what_without_backtrace()));
        }
      }
    }
    for (int64_t i = 0; i < n; ++i) values[i][j] = column[static_cast<size_t>(i)];
  }
  return table;
}

}  // namespace grpo
