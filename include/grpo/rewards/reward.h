#pragma once
/// @file The RewardFn extension point: what a reward sees of a completion and how it is scored.
///
/// Rule-based rewards replace a learned reward model (DeepSeek-R1 arXiv:2501.12948 sec. 2.2.2).
/// A reward maps N = prompts * G rows to N scores; NaN means "does not apply to this row"
/// (TRL's `None`). Weighting several rewards is the trainer's business, not the reward's.

#include <grpo/data/columns.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace grpo {

/// One completion to score, with the dataset row it was sampled for.
struct RewardInput {
  /// Prompt text the completion was sampled for.
  std::string prompt;
  /// Completion text (decoded, without the prompt). Any bytes, invalid UTF-8 included.
  std::string completion;
  /// Token ids of the completion; their count is the completion length in tokens.
  std::vector<int64_t> completion_ids;
  /// Whether generation stopped at the length limit rather than at EOS.
  bool truncated = false;
  /// The dataset row's other columns, parsed once when the dataset was read and shared by the
  /// row's G completions, for example `target` = 24, `nums` = [3, 8, 1], `solution` = "\\frac{1}{2}".
  Columns fields;
  /// Index of the row's group in the batch: the G completions sampled for one prompt share it
  /// (rows `group * G .. group * G + G - 1` of a trainer's batch). -1 when the rows have no groups
  /// (for example rows read by `grpo score`); group-relative rewards then group by prompt text.
  int64_t group = -1;

  /// Whether the row has column `name`.
  bool has_field(const std::string& name) const;
  /// Column `name` as text: a JSON string is unquoted and unescaped; any other JSON value
  /// (number, array, ...) is returned as its JSON text (Columns::string()).
  /// @throws c10::Error naming the column if it is missing.
  std::string field_string(const std::string& name) const;
  /// Column `name` as a number: a JSON number, or a JSON string holding a decimal number.
  /// @throws c10::Error naming the column and its text if it is missing or not a number.
  double field_number(const std::string& name) const;
  /// Column `name` as a list of numbers: a JSON array of numbers (or of strings holding numbers).
  /// @throws c10::Error naming the column and its text if it is missing or not such an array.
  std::vector<double> field_numbers(const std::string& name) const;
};

/// A reward function: scores rows, one double per row.
///
/// Subclasses override `score_row()` (and, for rewards that compare rows with each other,
/// `score_batch()`). Users call the non-virtual `score()`, which validates the result and
/// turns an exception into an error naming the reward and the row.
/// Implementations are immutable after construction; `score()` may be called from several
/// threads at once.
class RewardFn {
 public:
  /// @param name key of the reward in logs and configs, non-empty.
  /// @throws c10::Error if `name` is empty.
  explicit RewardFn(std::string name);
  virtual ~RewardFn() = default;
  RewardFn(const RewardFn&) = delete;
  RewardFn& operator=(const RewardFn&) = delete;

  /// Key of the reward in logs and configs, for example `accuracy`.
  const std::string& name() const { return name_; }

  /// Scores each row: result[i] is row i's reward, finite, or NaN for "does not apply".
  /// Rows are scored in parallel on ATen's intra-op thread pool; the result equals serial scoring.
  /// @throws c10::Error naming the reward, the row index and the original message when
  ///         scoring a row throws; naming the reward when the result has the wrong size or
  ///         a row's reward is infinite.
  std::vector<double> score(const std::vector<RewardInput>& rows) const;

 protected:
  /// Reward of one row: finite, or NaN for "does not apply". Called concurrently for
  /// different rows, so it must not modify shared state. A malformed completion is not an
  /// error: it gets the reward's penalty. Throw only for bad data or configuration
  /// (a missing column, for example).
  virtual double score_row(const RewardInput& row) const = 0;

  /// Rewards of all rows, one per row. The default calls `score_row()` for every row in
  /// parallel; override it for rewards that compare rows (for example with their group: rows
  /// with the same RewardInput::group).
  virtual std::vector<double> score_batch(const std::vector<RewardInput>& rows) const;

 private:
  std::string name_;
};

/// A reward from a callable, for one-off rewards without a class. `fn` is called
/// concurrently for different rows and must be thread-safe.
/// @throws c10::Error if `name` is empty or `fn` is empty.
std::shared_ptr<RewardFn> make_reward(std::string name, std::function<double(const RewardInput&)> fn);

/// Parameters of a built-in reward by name, as text (`{"max_len", "1024"}`), as a config file
/// or the command line gives them; each reward parses and validates its own.
using RewardParams = std::map<std::string, std::string>;

/// Creates the built-in reward `name` (see builtin_reward_names() and docs/rewards.md).
/// @throws c10::Error naming the reward or the parameter if `name` is unknown, a parameter is
///         unknown to that reward, a value does not parse or is out of range, or a required
///         parameter is missing.
std::shared_ptr<RewardFn> make_builtin_reward(const std::string& name, const RewardParams& params = {});

/// Names make_builtin_reward() accepts, sorted.
std::vector<std::string> builtin_reward_names();

}  // namespace grpo
