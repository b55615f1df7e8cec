#pragma once
// The post-processor of tokenizer.json ("post_processor") for single sequences: the special
// tokens TemplateProcessing, RobertaProcessing or BertProcessing put around the ids (ByteLevel
// changes offsets only), and Sequences of them.

#include "tokenizer/json_fields.h"

#include <cstdint>
#include <string>
#include <vector>

namespace grpo::detail {

class PostProcessor {
 public:
  /// The post-processor of `j` (null: none). `path` names tokenizer.json in errors.
  /// @throws c10::Error for an unsupported type, a template with two sequences, or a template
  ///   that names an unknown special token.
  static PostProcessor from_json(const TokenizerJson& j, const std::string& path);

  /// The ids that go before the sequence.
  const std::vector<int64_t>& prefix_ids() const { return prefix_ids_; }
  /// The ids that go after the sequence.
  const std::vector<int64_t>& suffix_ids() const { return suffix_ids_; }

 private:
  void add(const TokenizerJson& j, const std::string& path);

  std::vector<int64_t> prefix_ids_;
  std::vector<int64_t> suffix_ids_;
};

}  // namespace grpo::detail
