// Length-shaped rewards: cosine_length, length (Kimi k1.5), repetition_penalty, soft_overlong_punishment.
#include "builtin.h"
#include "rewards/words.h"

#include <grpo/rewards/checkers.h>

#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

namespace grpo::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;  // Python's math.pi

std::string solution_field(ParamReader& params) {
  auto field = params.text("solution_field", "solution");
  TORCH_CHECK(!field.empty(), "reward '", params.reward(), "': parameter 'solution_field' must be non-empty");
  return field;
}

// Cosine schedule over length in tokens (Yeo et al. arXiv:2502.03373 appendix C.1), with TRL's
// get_cosine_scaled_reward semantics: progress = min(len / max_len, 1), bounds swapped for wrong.
class CosineLengthReward final : public RewardFn {
 public:
  CosineLengthReward(std::string solution_field, int64_t max_len, double min_wrong, double max_wrong,
                     double min_correct, double max_correct)
      : RewardFn("cosine_length"),
        solution_field_(std::move(solution_field)),
        max_len_(max_len),
        min_wrong_(min_wrong),
        max_wrong_(max_wrong),
        min_correct_(min_correct),
        max_correct_(max_correct) {}

 protected:
  double score_row(const RewardInput& row) const override {
    const auto verdict = verify_answer(row.completion, row.field_string(solution_field_));
    if (verdict == AnswerVerdict::kGoldUnparseable) return kNaN;
    const double progress =
        std::min(static_cast<double>(row.completion_ids.size()) / static_cast<double>(max_len_), 1.0);
    const double cosine = std::cos(progress * kPi);
    const bool correct = verdict == AnswerVerdict::kCorrect;
    const double low = correct ? min_correct_ : max_wrong_;
    const double high = correct ? max_correct_ : min_wrong_;
    return low + 0.5 * (high - low) * (1.0 + cosine);
  }

 private:
  std::string solution_field_;
  int64_t max_len_;
  double min_wrong_, max_wrong_, min_correct_, max_correct_;
};

// Kimi k1.5 length penalty (arXiv:2501.12599 sec. 2.3.3): within a group (rows with the same
// RewardInput::group, or the same prompt for rows without groups), lambda = 0.5 - (len - min_len) / (max_len - min_len); correct rows get lambda, wrong
// rows min(0, lambda); 0 for the whole group when all lengths are equal.
class LengthReward final : public RewardFn {
 public:
  explicit LengthReward(std::string solution_field) : RewardFn("length"), solution_field_(std::move(solution_field)) {}

 protected:
  double score_row(const RewardInput& row) const override {
    const auto verdict = verify_answer(row.completion, row.field_string(solution_field_));
    return verdict == AnswerVerdict::kGoldUnparseable ? kNaN : verdict == AnswerVerdict::kCorrect ? 1.0 : 0.0;
  }

  std::vector<double> score_batch(const std::vector<RewardInput>& rows) const override {
    auto correct = RewardFn::score_batch(rows);  // 1 correct, 0 wrong, NaN unparseable gold
    struct Range {
      size_t min = std::numeric_limits<size_t>::max();
      size_t max = 0;
    };
    // A row's group: its index when the trainer gave one, else its prompt text.
    const auto key = [](const RewardInput& row) {
      return row.group >= 0 ? "#" + std::to_string(row.group) : "$" + row.prompt;
    };
    std::unordered_map<std::string, Range> groups;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (std::isnan(correct[i])) continue;
      auto& range = groups[key(rows[i])];
      range.min = std::min(range.min, rows[i].completion_ids.size());
      range.max = std::max(range.max, rows[i].completion_ids.size());
    }
    std::vector<double> rewards(rows.size(), kNaN);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (std::isnan(correct[i])) continue;
      const auto& range = groups.at(key(rows[i]));
      if (range.max == range.min) {
        rewards[i] = 0.0;
        continue;
      }
      const double lambda = 0.5 - static_cast<double>(rows[i].completion_ids.size() - range.min) /
                                      static_cast<double>(range.max - range.min);
      rewards[i] = correct[i] == 1.0 ? lambda : std::min(0.0, lambda);
    }
    return rewards;
  }

 private:
  std::string solution_field_;
};

// (1 - unique n-grams / n-grams) * max_penalty (Yeo et al. arXiv:2502.03373 appendix C.2), over
// token ids (TRL's get_repetition_penalty_reward) or lower-cased whitespace words (open-r1's).
class RepetitionPenaltyReward final : public RewardFn {
 public:
  RepetitionPenaltyReward(int64_t ngram_size, double max_penalty, bool words)
      : RewardFn("repetition_penalty"),
        ngram_size_(static_cast<size_t>(ngram_size)),
        max_penalty_(max_penalty),
        words_(words) {}

 protected:
  double score_row(const RewardInput& row) const override {
    return words_ ? penalty(lower_words(row.completion)) : penalty(row.completion_ids);
  }

 private:
  template <typename Unit>
  double penalty(const std::vector<Unit>& units) const {
    if (units.size() < ngram_size_) return 0.0;
    const size_t total = units.size() - ngram_size_ + 1;
    std::set<std::vector<Unit>> unique;
    for (size_t i = 0; i < total; ++i) unique.emplace(units.begin() + i, units.begin() + i + ngram_size_);
    const double scaling = 1.0 - static_cast<double>(unique.size()) / static_cast<double>(total);
    return scaling != 0.0 ? scaling * max_penalty_ : 0.0;
  }

  size_t ngram_size_;
  double max_penalty_;
  bool words_;
};

// DAPO's soft overlong punishment (arXiv:2503.14476 eq. 13), length in tokens.
class SoftOverlongPunishmentReward final : public RewardFn {
 public:
  SoftOverlongPunishmentReward(int64_t max_completion_len, int64_t soft_punish_cache)
      : RewardFn("soft_overlong_punishment"), max_len_(max_completion_len), cache_(soft_punish_cache) {}

 protected:
  double score_row(const RewardInput& row) const override {
    const auto length = static_cast<int64_t>(row.completion_ids.size());
    if (length <= max_len_ - cache_) return 0.0;
    if (length <= max_len_) return static_cast<double>(max_len_ - cache_ - length) / static_cast<double>(cache_);
    return -1.0;
  }

 private:
  int64_t max_len_, cache_;
};

}  // namespace

std::shared_ptr<RewardFn> make_cosine_length_reward(ParamReader& params) {
  auto field = solution_field(params);
  auto max_len = params.required_integer("max_len");
  TORCH_CHECK(max_len >= 1, "reward 'cosine_length': parameter 'max_len' must be >= 1, got ", max_len);
  return std::make_shared<CosineLengthReward>(
      field, max_len, params.number("min_value_wrong", -1.0), params.number("max_value_wrong", -0.5),
      params.number("min_value_correct", 0.5), params.number("max_value_correct", 1.0));
}

std::shared_ptr<RewardFn> make_length_reward(ParamReader& params) {
  return std::make_shared<LengthReward>(solution_field(params));
}

std::shared_ptr<RewardFn> make_repetition_penalty_reward(ParamReader& params) {
  auto ngram_size = params.integer("ngram_size", 3);
  TORCH_CHECK(ngram_size >= 1, "reward 'repetition_penalty': parameter 'ngram_size' must be >= 1, got ", ngram_size);
  auto max_penalty = params.number("max_penalty", -1.0);
  TORCH_CHECK(max_penalty <= 0.0, "reward 'repetition_penalty': parameter 'max_penalty' must be <= 0, got ",
              max_penalty);
  auto unit = params.text("unit", "tokens");
  TORCH_CHECK(unit == "tokens" || unit == "words",
              "reward 'repetition_penalty': parameter 'unit' must be tokens or words, got '", unit, "'");
  return std::make_shared<RepetitionPenaltyReward>(ngram_size, max_penalty, unit == "words");
}

std::shared_ptr<RewardFn> make_soft_overlong_punishment_reward(ParamReader& params) {
  auto max_len = params.required_integer("max_completion_len");
  auto cache = params.integer("soft_punish_cache", 0);
  TORCH_CHECK(max_len >= 1, "reward 'soft_overlong_punishment': parameter 'max_completion_len' must be >= 1, got ",
              max_len);
  TORCH_CHECK(cache >= 0 && cache <= max_len, "reward 'soft_overlong_punishment': parameter 'soft_punish_cache' ",
              "must be in [0, max_completion_len], got ", cache);
  return std::make_shared<SoftOverlongPunishmentReward>(max_len, cache);
}

}  // namespace grpo::detail
