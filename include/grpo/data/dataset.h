#pragma once
/// @file Prompt datasets (GRPO) and prompt-completion datasets (SFT), read from JSON Lines.

#include <grpo/data/columns.h>

#include <cstdint>
#include <string>
#include <vector>

namespace grpo {

/// One dataset row: the prompt and every other column, kept for the rewards.
struct PromptRow {
  /// The prompt text the policy completes.
  std::string prompt;
  /// The row's other columns, parsed (RewardInput::fields shares them), for example
  /// `{{"target", "24"}, {"nums", "[3, 8, 1]"}, {"solution", "\"1/2\""}}` as JSON texts.
  Columns fields;
};

/// Rows of a dataset, in file order, with a deterministic shuffle per epoch.
class PromptDataset {
 public:
  PromptDataset() = default;
  /// @throws c10::Error if a row's prompt is empty.
  explicit PromptDataset(std::vector<PromptRow> rows);

  /// Reads JSON Lines: one JSON object per line with a string column `prompt_column`; blank
  /// lines are skipped; every other column goes to PromptRow::fields.
  /// @throws c10::Error naming the file and the 1-based line number if the file cannot be
  ///         read, a line is not a JSON object, the prompt column is missing, not a string
  ///         or empty, or the file holds no rows.
  static PromptDataset from_jsonl(const std::string& path, const std::string& prompt_column = "prompt");

  /// Writes the rows as JSON Lines (prompt under `prompt_column`, then the fields), atomically.
  /// @throws c10::Error naming the file if it cannot be written.
  void to_jsonl(const std::string& path, const std::string& prompt_column = "prompt") const;

  int64_t size() const { return static_cast<int64_t>(rows_.size()); }
  const PromptRow& operator[](int64_t index) const { return rows_.at(static_cast<size_t>(index)); }
  const std::vector<PromptRow>& rows() const { return rows_; }

  /// The order rows are visited in epoch `epoch` (0-based): a permutation of [0, size()) that
  /// depends only on (seed, epoch), the same on every machine.
  std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch) const;

 private:
  std::vector<PromptRow> rows_;
};

/// The order `size` rows are visited in epoch `epoch` (0-based): a permutation of [0, size)
/// that depends only on (size, seed, epoch), the same on every machine.
/// @throws c10::Error if size < 0.
std::vector<int64_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch);

/// Positions [begin, begin + count) of the endless stream of row indices that visits `size` rows
/// epoch after epoch, each epoch in epoch_order(size, seed, epoch). The trainers draw their
/// batches from it (step s of a trainer taking b rows per step reads [s * b, s * b + b)), so a
/// resumed run continues the data order of an unbroken one.
/// @throws c10::Error if size < 1, begin < 0 or count < 0.
std::vector<int64_t> stream_indices(int64_t size, uint64_t seed, int64_t begin, int64_t count);

/// One supervised example: a prompt and the completion to imitate (loss on its tokens only).
struct SftExample {
  std::string prompt;
  std::string completion;
};

/// Reads JSON Lines with string columns `prompt` and `completion` (other columns ignored).
/// @throws c10::Error naming the file and the 1-based line number for an unreadable file, a
///         line that is not a JSON object, a missing or non-string column, an empty
///         completion, or a file without rows.
std::vector<SftExample> read_sft_jsonl(const std::string& path);

/// Writes SFT examples as JSON Lines (`prompt`, `completion`), atomically.
/// @throws c10::Error naming the file if it cannot be written.
void write_sft_jsonl(const std::string& path, const std::vector<SftExample>& examples);

}  // namespace grpo
