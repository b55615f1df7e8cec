// The accuracy reward: 1 if the final answer equals the gold column, 0 if not, NaN if the gold
// is unreadable (verify_answer() in answer_check.cpp decides).
#include "builtin.h"

#include <grpo/rewards/checkers.h>

#include <c10/util/Exception.h>

#include <limits>

namespace grpo {
namespace detail {
namespace {

// 1 if the final answer equals the gold column, 0 if not, NaN if the gold is unparseable.
class AccuracyReward final : public RewardFn {
 public:
  explicit AccuracyReward(std::string solution_field)
      : RewardFn("accuracy"), solution_field_(std::move(solution_field)) {}

 protected:
  double score_row(const RewardInput& row) const override {
    switch (verify_answer(row.completion, row.field_string(solution_field_))) {
      case AnswerVerdict::kCorrect:
        return 1.0;
      case AnswerVerdict::kWrong:
        return 0.0;
      case AnswerVerdict::kGoldUnparseable:
        break;
    }
    return std::numeric_limits<double>::quiet_NaN();
  }

 private:
  std::string solution_field_;
};

}  // namespace

std::shared_ptr<RewardFn> make_accuracy_reward(ParamReader& params) {
  auto field = params.text("solution_field", "solution");
  TORCH_CHECK(!field.empty(), "reward 'accuracy': parameter 'solution_field' must be non-empty");
  return std::make_shared<AccuracyReward>(field);
}

}  // namespace detail
}  // namespace grpo
