#pragma once
// The normalizer of tokenizer.json ("normalizer"): NFC, NFD, NFKC, NFKD and Sequences of them,
// on utf8proc. Invalid UTF-8 passes through unchanged.

#include "tokenizer/json_fields.h"

#include <string>
#include <string_view>
#include <vector>

namespace grpo::detail {

class Normalizer {
 public:
  /// The normalizer of `j` (null: none). `path` names tokenizer.json in errors.
  /// @throws c10::Error for a type other than NFC, NFD, NFKC, NFKD or Sequence.
  static Normalizer from_json(const TokenizerJson& j, const std::string& path);

  /// Whether there is nothing to apply.
  bool empty() const { return forms_.empty(); }

  /// `text` under each form in turn; ASCII and invalid UTF-8 runs are left as they are.
  std::string normalize(std::string_view text) const;

 private:
  void add(const TokenizerJson& j, const std::string& path);

  std::vector<int> forms_;  // utf8proc_option_t flags, one per form
};

}  // namespace grpo::detail
