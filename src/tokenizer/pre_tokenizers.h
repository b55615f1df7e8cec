#pragma once
// The pre-tokenizer of tokenizer.json ("pre_tokenizer"): Split (regex or string, with the five
// delimiter behaviours), ByteLevel (GPT-2 regex and byte-level alphabet), Digits, and Sequences
// of them. Regexes run on PCRE2 (UTF + UCP) with Oniguruma's `\s`.

#include "tokenizer/json_fields.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace grpo::detail {

class PreTokenizerRegex;  // a compiled PCRE2 pattern (pre_tokenizers.cpp)

/// How a Split keeps its delimiters, as `tokenizers`' SplitDelimiterBehavior.
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

class PreTokenizer {
 public:
  /// The pre-tokenizer of `j` (null: none, the whole text is one word). `path` names
  /// tokenizer.json in errors.
  /// @throws c10::Error for an unsupported type or Split behaviour, or a regex PCRE2 rejects.
  static PreTokenizer from_json(const TokenizerJson& j, const std::string& path);

  /// Calls on_word(word) for the non-empty words of `text` in order, after every step (in the
  /// byte-level alphabet after a ByteLevel step).
  void pre_tokenize(std::string_view text, const std::function<void(std::string_view)>& on_word) const;

 private:
  struct Step {
    enum class Kind { kSplit, kByteLevel, kDigits };
    Kind kind = Kind::kSplit;
    std::shared_ptr<const PreTokenizerRegex> regex;  // kSplit
    SplitBehavior behavior = SplitBehavior::kIsolated;
    bool invert = false;
    bool add_prefix_space = false;   // kByteLevel
    bool use_regex = true;           // kByteLevel
    bool individual_digits = false;  // kDigits
  };

  void add(const TokenizerJson& j, const std::string& path);
  void run(size_t stage, std::string_view piece, const std::function<void(std::string_view)>& on_word) const;

  std::vector<Step> steps_;
};

}  // namespace grpo::detail
