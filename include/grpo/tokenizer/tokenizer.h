#pragma once
/// @file The tokenizer interface a Policy samples and scores through.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// Maps text to token ids and back. Implementations: CharTokenizer (the built-in tasks'
/// character vocabulary) and BpeTokenizer (Hugging Face `tokenizer.json` byte-level BPE).
/// Implementations are immutable after construction and safe to call from several threads.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  /// Token ids of `text`. Special tokens written in the text (for example `<think>` where the
  /// vocabulary has it as one token) are recognised; nothing is prepended or appended.
  /// Never throws on any byte string (invalid UTF-8 included).
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;

  /// Text of `ids`; with `skip_special_tokens`, special tokens (EOS, padding, ...) are left out.
  /// @throws c10::Error if an id is outside [0, vocab_size()).
  virtual std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const = 0;

  /// Number of token ids, the size of the model's embedding table at least.
  virtual int64_t vocab_size() const = 0;

  /// Id that ends a completion, if the vocabulary has one.
  virtual std::optional<int64_t> eos_token_id() const = 0;

  /// Id used to pad batches, if the vocabulary has one (samplers fall back to EOS).
  virtual std::optional<int64_t> pad_token_id() const = 0;

  /// Id of a token given by its vocabulary string, if present.
  virtual std::optional<int64_t> token_to_id(const std::string& token) const = 0;

  /// Writes the files that load_tokenizer() (grpo/tokenizer/load.h) reads back into
  /// `directory`, which must exist; each file atomically. The default throws: a tokenizer
  /// without files cannot be saved.
  /// @throws c10::Error naming the file on a write error.
  virtual void save(const std::string& directory) const;
};

}  // namespace grpo
