// The countdown task reward: an arithmetic expression over the given numbers that hits the target.
#include "builtin.h"

#include <grpo/rewards/checkers.h>

#include <c10/util/Exception.h>

#include <cmath>

namespace grpo {
namespace detail {
namespace {

std::vector<int64_t> integers(const RewardInput& row, const std::string& field) {
  std::vector<int64_t> out;
  for (double x : row.field_numbers(field)) {
    TORCH_CHECK(x == std::floor(x) && std::abs(x) < 9.0e15, "reward 'countdown': column '", field,
                "' must hold integers, got ", row.fields.at(field));
    out.push_back(static_cast<int64_t>(x));
  }
  return out;
}

// 1 if the last <answer>...</answer> holds an expression that solves the row's countdown
// (fields `target` and `nums`), else 0 (TinyZero's countdown task without its format bonus).
class CountdownReward final : public RewardFn {
 public:
  CountdownReward(std::string target_field, std::string nums_field)
      : RewardFn("countdown"), target_field_(std::move(target_field)), nums_field_(std::move(nums_field)) {}

 protected:
  double score_row(const RewardInput& row) const override {
    const double target = row.field_number(target_field_);
    TORCH_CHECK(target == std::floor(target) && std::abs(target) < 9.0e15, "reward 'countdown': column '",
                target_field_, "' must be an integer, got ", row.fields.at(target_field_));
    const auto nums = integers(row, nums_field_);
    const size_t close = row.completion.rfind("</answer>");
    if (close == std::string::npos) return 0.0;
    const size_t open = row.completion.rfind("<answer>", close);
    if (open == std::string::npos) return 0.0;
    const size_t begin = open + std::string("<answer>").size();
    return countdown_solves(row.completion.substr(begin, close - begin), nums, static_cast<int64_t>(target)) ? 1.0
                                                                                                             : 0.0;
  }

 private:
  std::string target_field_, nums_field_;
};

}  // namespace

std::shared_ptr<RewardFn> make_countdown_reward(ParamReader& params) {
  return std::make_shared<CountdownReward>(params.text("target_field", "target"), params.text("nums_field", "nums"));
}

}  // namespace detail
}  // namespace grpo
