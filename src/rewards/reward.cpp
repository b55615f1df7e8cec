#include <grpo/rewards/reward.h>

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <cmath>
#include <exception>
#include <optional>
#include <utility>

namespace grpo {
namespace {

// Row-level failure inside score_batch(), turned into an error naming the reward by score().
struct RowError : std::exception {
  RowError(size_t row, std::string message) : row(row), message(std::move(message)) {}
  const char* what() const noexcept override { return message.c_str(); }
  size_t row;
  std::string message;
};

std::string message_of(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

class LambdaReward final : public RewardFn {
 public:
  LambdaReward(std::string name, std::function<double(const RewardInput&)> fn)
      : RewardFn(std::move(name)), fn_(std::move(fn)) {
    TORCH_CHECK(fn_, "make_reward: the callable of reward '", this->name(), "' is empty");
  }

 protected:
  double score_row(const RewardInput& row) const override { return fn_(row); }

 private:
  std::function<double(const RewardInput&)> fn_;
};

}  // namespace

bool RewardInput::has_field(const std::string& name) const { return fields.has(name); }

std::string RewardInput::field_string(const std::string& name) const { return fields.string(name); }

double RewardInput::field_number(const std::string& name) const { return fields.number(name); }

std::vector<double> RewardInput::field_numbers(const std::string& name) const { return fields.numbers(name); }

RewardFn::RewardFn(std::string name) : name_(std::move(name)) {
  TORCH_CHECK(!name_.empty(), "RewardFn: name must be non-empty");
}

std::vector<double> RewardFn::score_batch(const std::vector<RewardInput>& rows) const {
  const auto n = static_cast<int64_t>(rows.size());
  std::vector<double> rewards(rows.size());
  std::vector<std::optional<std::string>> errors(rows.size());
  // Each row writes only its own slots, so the result does not depend on the scheduling.
  at::parallel_for(0, n, /*grain_size=*/1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        rewards[i] = score_row(rows[i]);
      } catch (const std::exception& e) {
        errors[i] = message_of(e);
      } catch (...) {
        errors[i] = "unknown exception";
      }
    }
  });
  for (size_t i = 0; i < errors.size(); ++i) {
    if (errors[i]) throw RowError(i, *errors[i]);
  }
  return rewards;
}

std::vector<double> RewardFn::score(const std::vector<RewardInput>& rows) const {
  std::vector<double> rewards;
  try {
    rewards = score_batch(rows);
  } catch (const RowError& e) {
    TORCH_CHECK(false, "reward '", name_, "' failed on row ", e.row, ": ", e.message);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "reward '", name_, "' failed: ", message_of(e));
  }
  TORCH_CHECK(rewards.size() == rows.size(), "reward '", name_, "' returned ", rewards.size(), " rewards for ",
              rows.size(), " rows");
  for (size_t i = 0; i < rewards.size(); ++i) {
    TORCH_CHECK(!std::isinf(rewards[i]), "reward '", name_, "' returned ", rewards[i], " for row ", i,
                "; rewards must be finite, or NaN for 'does not apply'");
  }
  return rewards;
}

std::shared_ptr<RewardFn> make_reward(std::string name, std::function<double(const RewardInput&)> fn) {
  return std::make_shared<LambdaReward>(std::move(name), std::move(fn));
}

}  // namespace grpo
