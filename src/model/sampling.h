#pragma once
/// @file Pieces of Policy::generate() that its two decoding loops share (internal): the draw of
/// one token per row, the output buffers, and the host-side match of EOS and stop strings.
///
/// Shapes as grpo/model/policy.h: n = rows in the decoding batch, V = vocab_size.

#include <grpo/model/policy.h>
#include <grpo/model/transformer.h>
#include <grpo/tokenizer/tokenizer.h>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grpo::detail {

/// A generator seeded with `seed` for `device`, independent of the global one.
at::Generator make_generator(torch::Device device, uint64_t seed);

/// Tokens between looks at the device: SamplingOptions::done_check_interval, or when it is 0,
/// every token on the CPU (where a look costs nothing) and every 8 elsewhere.
int64_t look_interval(const SamplingOptions& options, torch::Device device);

/// One decoding step's draw.
struct Draw {
  torch::Tensor tokens;    // [n] int64
  torch::Tensor logprobs;  // [n] float32, under log_softmax(logits / temperature); NaN or -Inf
                           // for a row whose logits were not finite
};

/// Samples one token per row from `logits` [n, V] after temperature, top-k and top-p, with the
/// step's `noise` [n, V] float32 draws of Exponential(1): the token is argmax(probs / noise),
/// the exponential race, which draws from `probs` exactly (the minimum of independent
/// Exp(1) / p_i is attained at i with probability p_i). It is what torch::multinomial(probs, 1)
/// computes from the same generator, without its host-side check of the probabilities, so the
/// step never waits for the device.
Draw draw(const torch::Tensor& logits, const torch::Tensor& noise, const SamplingOptions& options);

/// The rollout's outputs while decoding, [rows, columns] by original row, on the device: token
/// ids (pad where nothing was sampled), completion mask and sampling log-probabilities.
struct CompletionBuffers {
  CompletionBuffers(int64_t rows, int64_t columns, int64_t pad_id, torch::Device device);
  torch::Tensor ids;       // int64, pad_id
  torch::Tensor mask;      // int64, 0
  torch::Tensor logprobs;  // float32, 0
  /// Clears row r's columns from cut[r] on (cut has one entry per row): pad_id, mask 0, logprob 0.
  void clear_from(const std::vector<int64_t>& cut, int64_t pad_id);
};

/// What both decoding loops start from. Tensors on the policy's device.
struct DecodingInputs {
  torch::Tensor prompt_ids;   // [B, P] int64, left-padded with pad_id
  torch::Tensor prompt_mask;  // [B, P] int64, 1 for prompt tokens
  int64_t pad_id = 0;
  std::vector<int64_t> eos_ids;
  int64_t vocab = 0;  // V: the logits past it are ignored
  std::optional<torch::ScalarType> cache_dtype;  // the KV cache's (the autocast dtype); unset: the model's
  std::vector<at::Generator> generators;         // one for all rows, or one per prompt
};

/// What both decoding loops return: the outputs, [N, max_new] by original row, and for each row
/// whether it ended on EOS or a stop string (1) or ran to max_new_tokens (0).
struct DecodedRows {
  CompletionBuffers out;
  std::vector<char> ended;
};

/// Keeps the cache rows `index` ([n] int64, on the cache's device), in that order: a compaction
/// of the decoding batch.
void keep_cache_rows(KVCache& cache, const torch::Tensor& index);

/// Finds, token by token on the host, where each row's completion ends: at an EOS id, or at the
/// token that completes a stop string in the row's text (decoded with special tokens). A stop
/// string of k bytes spans at most k tokens (each decodes to at least one byte), so only a
/// window of the last tokens is decoded.
class StopMatcher {
 public:
  StopMatcher(const Tokenizer& tokenizer, std::vector<std::string> stop_strings, std::vector<int64_t> eos_ids,
              int64_t rows);
  /// Appends `id` to row's completion; true when the completion ends with it.
  bool feed(int64_t row, int64_t id);

 private:
  const Tokenizer& tokenizer_;
  std::vector<std::string> stops_;
  std::vector<int64_t> eos_;
  size_t window_ = 0;
  std::vector<std::vector<int64_t>> history_;
};

}  // namespace grpo::detail
