#pragma once
/// @file A character-level tokenizer for the built-in tasks, with tags as single tokens.

#include <grpo/tokenizer/tokenizer.h>

#include <torch/arg.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace grpo {

/// Vocabulary of a CharTokenizer.
///
/// Ids are assigned in this order: pad_token (0), eos_token (1), unk_token (2), then the
/// added_tokens in order, then one id per character of `characters` in order.
struct CharTokenizerOptions {
  /// @param characters the character vocabulary, UTF-8; every Unicode code point is one token.
  explicit CharTokenizerOptions(std::string characters) : characters_(std::move(characters)) {}

  /// Characters of the vocabulary as UTF-8 text, each code point once (no duplicates),
  /// at least one. Default: none (given at construction).
  TORCH_ARG(std::string, characters);
  /// Multi-character tokens recognised as one token wherever they occur in text and always
  /// decoded (for example the R1 template's tags). Non-empty, distinct, not single
  /// characters of `characters`. Default: `<think>`, `</think>`, `<answer>`, `</answer>`.
  TORCH_ARG(std::vector<std::string>, added_tokens) =
      std::vector<std::string>{"<think>", "</think>", "<answer>", "</answer>"};
  /// Padding token (special: skipped by decode(ids, true)). Default: `<pad>`.
  TORCH_ARG(std::string, pad_token) = "<pad>";
  /// End-of-completion token (special). Default: `<eos>`.
  TORCH_ARG(std::string, eos_token) = "<eos>";
  /// Token of any character outside the vocabulary (special). Default: `<unk>`.
  TORCH_ARG(std::string, unk_token) = "<unk>";
};

/// Character tokenizer: one token per Unicode code point of the vocabulary, plus special
/// and added tokens recognised as single tokens when they occur in text.
///
/// Encoding scans the text left to right; at each position the longest special or added
/// token that starts there wins, otherwise the next UTF-8 code point (1 to 4 bytes) is one
/// token, mapped to unk_token when it is not in the vocabulary. Invalid UTF-8 never throws:
/// a byte that does not start a well-formed code point is taken alone and maps to unk_token.
/// Decoding concatenates the tokens' strings (unk_token decodes as its own text, so
/// decode(encode(text)) == text whenever every character of text is in the vocabulary).
class CharTokenizer : public Tokenizer {
 public:
  /// @throws c10::Error if `characters` is empty, not valid UTF-8 or repeats a character, or
  ///         if a special or added token is empty, repeated, or also one of the characters.
  explicit CharTokenizer(CharTokenizerOptions options);

  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(tokens_.size()); }
  std::optional<int64_t> eos_token_id() const override { return kEosId; }
  std::optional<int64_t> pad_token_id() const override { return kPadId; }
  std::optional<int64_t> token_to_id(const std::string& token) const override;

  /// Writes `directory`/char_tokenizer.json: the options as a JSON object
  /// (`characters`, `added_tokens`, `pad_token`, `eos_token`, `unk_token`).
  void save(const std::string& directory) const override;
  /// Reads a file written by save().
  /// @throws c10::Error naming the file when it cannot be read, is not valid JSON, lacks or
  ///   mistypes a field, or the options are invalid (as the constructor).
  static CharTokenizer from_file(const std::string& path);

  /// Id of unk_token.
  int64_t unk_token_id() const { return kUnkId; }
  /// The options the tokenizer was built from.
  const CharTokenizerOptions& options() const { return options_; }

 private:
  static constexpr int64_t kPadId = 0;
  static constexpr int64_t kEosId = 1;
  static constexpr int64_t kUnkId = 2;

  CharTokenizerOptions options_;
  std::vector<std::string> tokens_;                    // id -> text
  std::unordered_map<std::string, int64_t> ids_;       // text -> id
  std::vector<std::string> multi_char_by_length_;      // special + added tokens, longest first
  std::vector<bool> starts_multi_char_;                // byte -> some such token starts with it
};

}  // namespace grpo
