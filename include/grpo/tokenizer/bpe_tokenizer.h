#pragma once
/// @file Byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (GPT-2, Llama 3,
/// Qwen2/3, SmolLM2, DeepSeek), giving the same ids as the `tokenizers` library.

#include <grpo/tokenizer/tokenizer.h>

#include <torch/arg.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// What BpeTokenizer needs beyond `tokenizer.json`; BpeTokenizer::from_directory fills it
/// from `tokenizer_config.json`.
struct BpeTokenizerOptions {
  /// Content of the token that ends a completion, for example "<|im_end|>"; it must be in
  /// the vocabulary. Default: unset (no EOS id).
  TORCH_ARG(std::optional<std::string>, eos_token) = std::nullopt;
  /// Content of the padding token; it must be in the vocabulary. Default: unset.
  TORCH_ARG(std::optional<std::string>, pad_token) = std::nullopt;
  /// Entries of the per-word BPE cache, >= 0; 0 turns the cache off. Default: 10000 (as the
  /// `tokenizers` library).
  TORCH_ARG(int64_t, cache_capacity) = 10000;
};

/// Byte-level BPE tokenizer loaded from a Hugging Face `tokenizer.json`.
///
/// Supported (see docs/tokenizer.md): model `BPE` (merges as "a b" strings or [a, b] pairs,
/// `ignore_merges`, `unk_token`/`fuse_unk`, `byte_fallback`, `continuing_subword_prefix`,
/// `end_of_word_suffix`; `dropout` must be null or 0); normalizers none, `NFC`, `NFD`,
/// `NFKC`, `NFKD` and `Sequence` of these; pre-tokenizers `Split` (regex or string pattern,
/// all five behaviours, `invert`), `ByteLevel` (`add_prefix_space`, `use_regex`), `Digits`
/// and `Sequence` of these; decoder `ByteLevel` or none; post-processors `ByteLevel`,
/// `TemplateProcessing` (single sequences), `RobertaProcessing`, `BertProcessing` and
/// `Sequence` of these. Added tokens are split out before normalisation and BPE, with their
/// `single_word`, `lstrip`, `rstrip` and `normalized` flags.
///
/// Input that is not valid UTF-8 never throws: each maximal run of invalid bytes stays apart
/// from the valid text around it (regexes never match across it, normalisers leave it alone)
/// and is encoded through the byte-level alphabet, so decode(encode(s)) == s for any bytes.
/// Valid UTF-8 is encoded exactly as `tokenizers` does. decode returns the raw bytes of the
/// tokens (where `tokenizers` replaces invalid UTF-8 by U+FFFD).
class BpeTokenizer final : public Tokenizer {
 public:
  /// Reads `tokenizer_json_path`.
  /// @throws c10::Error naming the file when it cannot be read, is not valid JSON, or holds
  ///   a model, normaliser, pre-tokenizer, decoder or post-processor type listed as unsupported
  ///   above (the message names the type); or when options.eos_token()/pad_token() is not in
  ///   the vocabulary, or options.cache_capacity() < 0.
  explicit BpeTokenizer(const std::string& tokenizer_json_path, BpeTokenizerOptions options = {});

  /// Reads `directory`/tokenizer.json, with EOS and padding tokens from
  /// `directory`/tokenizer_config.json (`eos_token`, `pad_token`) when that file exists.
  /// @throws c10::Error as the constructor, or when tokenizer_config.json is not valid JSON.
  static BpeTokenizer from_directory(const std::string& directory);

  BpeTokenizer(BpeTokenizer&& other) noexcept;
  BpeTokenizer& operator=(BpeTokenizer&& other) noexcept;
  ~BpeTokenizer() override;

  std::vector<int64_t> encode(const std::string& text) const override;

  /// Token ids of `text`; with `add_special_tokens`, the post-processor's tokens are added
  /// around them (for example Llama 3's `<|begin_of_text|>`), as `tokenizers`' `encode` does.
  std::vector<int64_t> encode(const std::string& text, bool add_special_tokens) const;

  /// Bytes of `ids` after the byte-level decoder. Ids inside [0, vocab_size()) that name no
  /// token are left out, as `tokenizers` does.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const override;

  /// One more than the largest id of the vocabulary and the added tokens.
  int64_t vocab_size() const override;
  std::optional<int64_t> eos_token_id() const override;
  std::optional<int64_t> pad_token_id() const override;
  std::optional<int64_t> token_to_id(const std::string& token) const override;

  /// Writes `directory`/tokenizer.json as read, and `directory`/tokenizer_config.json: as read
  /// by from_directory(), else one naming the EOS and padding tokens; also chat_template.jinja
  /// when from_directory() found one (transformers 5 keeps the chat template there).
  void save(const std::string& directory) const override;

  /// Vocabulary string of `id` (byte-level form, for example "Ġthe"), if `id` names a token.
  std::optional<std::string> id_to_token(int64_t id) const;

  /// Whether `id` is an added token marked `special`.
  bool is_special_token(int64_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grpo
