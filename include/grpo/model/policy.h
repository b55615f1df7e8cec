#pragma once
/// @file The policy: a causal language model with its tokenizer, which samples rollouts and
/// scores completions.
///
/// Shapes: B = prompts, G = num_generations (the group size), N = B*G rows grouped
///         contiguously (row = prompt * G + k, k in [0, G)), P = longest prompt in tokens,
///         T = longest completion in tokens (<= max_new_tokens), V = the tokenizer's vocab_size.

#include <grpo/model/pretrained.h>
#include <grpo/model/transformer.h>
#include <grpo/tokenizer/tokenizer.h>

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace grpo {

/// How Policy::generate() samples completions (names as TRL's `GRPOConfig` and Hugging Face
/// `GenerationConfig`).
struct SamplingOptions {
  /// Completions per prompt, G >= 1 (TRL's `num_generations`). Default: 1.
  TORCH_ARG(int64_t, num_generations) = 1;
  /// Most tokens sampled per completion, >= 1 (TRL's `max_completion_length`); prompt length +
  /// max_new_tokens must not exceed the model's max_position_embeddings. Default: 128.
  TORCH_ARG(int64_t, max_new_tokens) = 128;
  /// Divides the logits before sampling, > 0. Default: 1.
  TORCH_ARG(double, temperature) = 1.0;
  /// Nucleus sampling (Holtzman et al., arXiv:1904.09751): keep the most probable tokens while
  /// the probability of the tokens ranked above them is < top_p; in (0, 1], 1 = off. Default: 1.
  TORCH_ARG(double, top_p) = 1.0;
  /// Keep only the top_k most probable tokens (ties at the k-th value kept); >= 0, 0 = off.
  /// top_k = 1 is greedy decoding. Default: 0.
  TORCH_ARG(int64_t, top_k) = 0;
  /// A row stops after the token that completes any of these strings in its completion text
  /// (decoded with special tokens); the string stays in the completion. Each non-empty.
  /// Default: none.
  TORCH_ARG(std::vector<std::string>, stop_strings) = {};
  /// Seed of the sampling generator: the same seed, prompts, options, parameters and device
  /// give the same rollout. Default: 0.
  TORCH_ARG(uint64_t, seed) = 0;
  /// When not empty, one seed per prompt (its size must be the number of prompts): the G
  /// completions of prompt b are drawn from a generator seeded with prompt_seeds[b], so they do
  /// not depend on the other prompts of the batch (how data-parallel ranks reproduce the batch of
  /// one process); `seed` is then unused. Default: empty.
  TORCH_ARG(std::vector<uint64_t>, prompt_seeds) = {};
  /// Every this many tokens the loop looks at the device once (a device-to-host copy, which
  /// waits for the device), >= 0: it reads how many rows are still sampling (to stop when none
  /// is, and to compact), and with stop strings the tokens sampled since the last look, which
  /// are matched on the host. Between looks finished rows emit masked padding, and a row that
  /// completed a stop string keeps sampling until the look, which then clears those extra
  /// tokens (the rollout is the same for any interval). 0 = every token on the CPU (where a
  /// look costs nothing), every 8 tokens on other devices. Default: 0.
  TORCH_ARG(int64_t, done_check_interval) = 0;
  /// Compaction: at a look at the device (done_check_interval), when at most half of the rows
  /// in the decoding batch are still sampling (and, with max_decode_rows, no prompt is waiting),
  /// the finished ones leave it (their KV cache rows are dropped), so that they stop costing a
  /// forward per token. Each row's random draws do not depend on the batch, so the tokens are
  /// those of the uncompacted loop; the sampling log-probabilities may differ in the last float
  /// bits where the matrix products round differently for a smaller batch. Default: true.
  TORCH_ARG(bool, compact_finished_rows) = true;
  /// Continuous batching: the most rows decoded at once (vLLM's `max_num_seqs`), 0 = all N rows;
  /// otherwise >= num_generations. When N is larger, the decoding batch holds the largest
  /// multiple of num_generations not above it; prompts are admitted whole (their G rows
  /// together, in order) and a waiting prompt takes the slots of finished rows at the next look
  /// at the device (done_check_interval), so the KV cache holds max_decode_rows rows, not N.
  /// Decoding then uses the static-shape step of `cuda_graphs` (whose slots keep their own
  /// positions), with or without graphs. A prompt is prefilled when it is admitted. The draws
  /// of prompt b's rows come from its own generator, so the rollout does not depend on
  /// max_decode_rows: with prompt_seeds they are those of a batch that fits; without them, and
  /// with N > max_decode_rows, prompt b's generator is seeded with the b-th 64-bit draw of a
  /// CPU generator seeded with `seed`. Default: 0.
  TORCH_ARG(int64_t, max_decode_rows) = 0;
  /// Static-shape decoding: the KV cache, masks and positions keep their shapes for the whole
  /// loop (attention covers the whole preallocated cache under a key mask marked in place; the
  /// cache column and output column are device tensors the step advances itself), so a step
  /// launches the same kernels on the same buffers every time. On a CUDA device each decoding
  /// batch size's step is captured once as a CUDA graph (after one eager step) and replayed: one
  /// launch per token instead of one per operation; a compaction or the admission of a waiting
  /// prompt (max_decode_rows) changes the batch and the next step is captured again. On the
  /// CPU the same step runs eagerly (it is slower there, attending over the whole cache; it
  /// exists to test the path and for max_decode_rows). The tokens are those of the dynamic loop;
  /// logprobs agree to float rounding. Needs a build against a CUDA LibTorch on CUDA. Off by
  /// default until its speed is measured on a GPU. Default: false.
  TORCH_ARG(bool, cuda_graphs) = false;
};

/// The completions sampled for a batch of prompts. Tensors are on the policy's device.
struct Rollout {
  /// The B prompts, as given.
  std::vector<std::string> prompts;
  /// G, completions per prompt.
  int64_t num_generations = 1;
  /// [N, P] int64 prompt token ids, left-padded with the pad id; row r holds prompt r / G.
  torch::Tensor prompt_ids;
  /// [N, P] int64, 1 for prompt tokens, 0 for left padding.
  torch::Tensor prompt_mask;
  /// [N, T] int64 sampled token ids, right-padded with the pad id after a row stopped.
  torch::Tensor completion_ids;
  /// [N, T] int64, 1 for the completion's tokens: up to and including the EOS token or the
  /// token that completed a stop string; 0 after.
  torch::Tensor completion_mask;
  /// [N] bool, true for a row that stopped neither on EOS nor on a stop string within
  /// max_new_tokens (TRL's truncated completions).
  torch::Tensor truncated;
  /// [N, T] float32 log-probability of each sampled token under the distribution
  /// log_softmax(logits / temperature) over the whole vocabulary, before top-k / top-p
  /// filtering (so it equals Policy::logprobs() at the same temperature); 0 where
  /// completion_mask is 0.
  torch::Tensor sampling_logprobs;
  /// N completion texts: the masked completion tokens decoded without special tokens.
  std::vector<std::string> completions;

  /// Rows N = B * G.
  int64_t num_rows() const { return static_cast<int64_t>(completions.size()); }
};

/// How Policy::logprobs() scores completions.
struct LogprobOptions {
  /// Divides the logits before the log-softmax, > 0 (use the sampling temperature). Default: 1.
  TORCH_ARG(double, temperature) = 1.0;
  /// Also return the entropy of each position's distribution. Default: false.
  TORCH_ARG(bool, with_entropy) = false;
  /// Most logits (rows x positions x V) held by one chunk of the output head and the
  /// log-softmax, >= 1; bounds the float32 working memory. Default: 2^22 (16 MiB).
  TORCH_ARG(int64_t, max_chunk_elements) = int64_t{1} << 22;
};

/// Per-token log-probabilities of completions.
struct TokenLogprobs {
  /// [N, T] float32 log pi(completion token | prompt, earlier completion tokens) at the given
  /// temperature, differentiable with respect to the policy's parameters; 0 where
  /// completion_mask is 0.
  torch::Tensor logprobs;
  /// [N, T] float32 entropy (nats) of each position's distribution, detached; 0 where
  /// completion_mask is 0. Undefined unless LogprobOptions::with_entropy.
  torch::Tensor entropy;
};

/// A Transformer with its tokenizer on one device: samples rollouts (Policy::generate()) and
/// scores completions (Policy::logprobs()). Copies share the model's parameters;
/// clone_frozen() makes an independent frozen copy (the reference model).
///
/// Only the tokenizer's V first logits are used (a model may have a larger, padded embedding
/// table): sampling and scoring both take the softmax over those V tokens.
class Policy {
 public:
  /// @param model the network; moved to `device` (its parameters keep their dtype).
  /// @param tokenizer non-null; its vocab_size() must not exceed the model's vocab_size and it
  ///        must have a pad or an EOS token (padding uses pad, else EOS).
  /// @throws c10::Error if the tokenizer is null, has more ids than the model or has neither
  ///         a pad nor an EOS token.
  Policy(Transformer model, std::shared_ptr<const Tokenizer> tokenizer, torch::Device device = torch::kCPU);

  /// Samples num_generations completions for each prompt, batched with a KV cache.
  ///
  /// The B prompts are encoded, left-padded and run once (prefill); their caches are copied
  /// G times and the N rows are then decoded one token per step (with
  /// SamplingOptions::max_decode_rows < N, at most that many rows at once, each prompt prefilled
  /// when it is admitted). Each step draws from
  /// softmax(filter(logits / temperature)), filter = top-k then top-p. A row stops after an
  /// EOS token (any of eos_token_ids()), after the token that completes a stop string, or after
  /// max_new_tokens tokens (then `truncated`). Runs without gradient; does not change the module's train/eval mode.
  /// @param prompts B >= 1 prompts, each encoding to at least one token.
  /// @throws c10::Error on an empty prompt list or prompt, an option out of range, a
  ///         prompt + max_new_tokens longer than max_position_embeddings, or non-finite logits
  ///         (NaN or Inf) for a row that is still sampling (naming the row and token; checked
  ///         once, after the loop, in the read of the completion lengths).
  Rollout generate(const std::vector<std::string>& prompts, const SamplingOptions& options);

  /// Per-token log-probabilities of the rollout's completions (one forward over prompt +
  /// completion; the output head and log-softmax run in chunks, as logsumexp, so the
  /// [N, T, V] float32 log-softmax is never held at once). With the sampling temperature this
  /// equals the rollout's sampling_logprobs up to float rounding.
  /// @throws c10::Error as the tensor overload below.
  TokenLogprobs logprobs(const Rollout& rollout, const LogprobOptions& options = {});

  /// As logprobs(rollout), for any rows of a rollout (for example a micro-batch).
  /// @param prompt_ids [N, P] int64, left-padded. @param prompt_mask [N, P] int64 or bool.
  /// @param completion_ids [N, T] int64. @param completion_mask [N, T] int64 or bool.
  ///        All on the policy's device; P >= 1, T >= 1.
  /// @throws c10::Error on mismatched shapes or dtypes, or an option out of range.
  TokenLogprobs logprobs(const torch::Tensor& prompt_ids, const torch::Tensor& prompt_mask,
                         const torch::Tensor& completion_ids, const torch::Tensor& completion_mask,
                         const LogprobOptions& options = {});

  /// A deep copy with requires_grad false and the module in eval mode: the reference model.
  /// Same tokenizer, device and dtype. Does not consume the global random number generator.
  Policy clone_frozen() const;

  /// Loads a Hugging Face model directory (see grpo/model/pretrained.h): config.json,
  /// safetensors weights, the tokenizer, and EOS ids from config.json and
  /// generation_config.json (added to the tokenizer's). `name_or_path` is a directory or a repo
  /// id (`HuggingFaceTB/SmolLM2-135M-Instruct`) already in the local Hugging Face cache, at
  /// `options.revision()` (resolve_model_path(), grpo/model/hub_cache.h; never downloads).
  /// @throws c10::Error naming the directory and file as parse_hf_config(), load_tokenizer()
  ///   and load_weights() do, or the cache paths tried for a repo id that is not cached.
  static Policy from_pretrained(const std::string& name_or_path, const PretrainedOptions& options = {});

  /// Writes a model directory that from_pretrained() and transformers' `from_pretrained` read:
  /// config.json, model.safetensors (the parameters' dtype), generation_config.json and the
  /// tokenizer's files (Tokenizer::save()). Creates the directory; each file is written
  /// atomically.
  /// @throws c10::Error naming the file on a write error, or when the tokenizer cannot be saved.
  void save_pretrained(const std::string& directory) const;

  /// Writes the model's parameters (safetensors, Hugging Face names) to `path` atomically.
  /// @throws c10::Error naming the file if it cannot be written (the previous file, if any, stays).
  void save(const std::string& path) const;
  /// Reads parameters written by save() into the model, onto the policy's device.
  /// @throws c10::Error naming the file and tensor if the file is missing or does not match the model.
  void load(const std::string& path);

  /// Mixed precision: with a dtype (kBFloat16 or kFloat16), generate() and logprobs() run the
  /// model under autocast to that dtype on the policy's device (matrix products in half
  /// precision, parameters and their gradients stay in their own dtype, for example float32
  /// master weights); log-probabilities and entropies are still returned in float32. Unset: no
  /// autocast. Default: unset.
  /// @throws c10::Error for another dtype.
  void set_autocast_dtype(std::optional<torch::ScalarType> dtype);
  std::optional<torch::ScalarType> autocast_dtype() const { return autocast_dtype_; }

  /// Sampling weights: under autocast with float32 master weights, generate() runs every linear
  /// layer's matrix product on a half-precision copy of its weight (the autocast dtype), kept
  /// between calls in the same storage, instead of autocast's casts, which live only as long as
  /// one autocast region. The copies are refreshed in place from the master weights at the start
  /// of every generate() (one cast of each weight per rollout, after whatever optimizer step
  /// came before), so a copy always equals its master weight cast to the autocast dtype and the
  /// rollout is bit-identical to sampling under plain autocast; buffers that keep their address
  /// are what captured CUDA graphs need. The embedding table, norms and biases are used as they
  /// are (autocast does not cast them either). Copies of a Policy share them. Costs half (bf16)
  /// the master weights' memory. Default: enabled.
  void set_sampling_weights_enabled(bool enabled);
  bool sampling_weights_enabled() const { return sampling_weights_enabled_; }
  /// The half-precision copies generate() last used, by parameter name (Hugging Face names,
  /// e.g. `model.layers.0.self_attn.q_proj.weight`), on the policy's device; empty before the
  /// first generate() that used them.
  std::vector<std::pair<std::string, torch::Tensor>> sampling_weights() const;

  /// Token ids that end a completion: the tokenizer's EOS plus those of the model's
  /// generation_config.json (for example Llama 3's `<|eot_id|>`). Possibly empty.
  const std::vector<int64_t>& eos_token_ids() const { return eos_token_ids_; }
  /// Replaces eos_token_ids(). @throws c10::Error for an id outside [0, vocab_size).
  void set_eos_token_ids(std::vector<int64_t> ids);

  /// The network.
  Transformer& model() { return model_; }
  const Transformer& model() const { return model_; }
  /// The tokenizer.
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::shared_ptr<const Tokenizer>& shared_tokenizer() const { return tokenizer_; }
  /// The device the model lives on.
  torch::Device device() const { return device_; }
  /// The model's parameters (for an optimizer).
  std::vector<torch::Tensor> parameters() const { return model_->parameters(); }

 private:
  Transformer model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  torch::Device device_;
  int64_t pad_id_;
  std::vector<int64_t> eos_token_ids_;
  std::optional<torch::ScalarType> autocast_dtype_;
  bool sampling_weights_enabled_ = true;
  // Builds or refreshes the copies; returns (layer, copy) pairs for SamplingWeightsGuard.
  std::vector<std::pair<torch::nn::LinearImpl*, torch::Tensor>> prepare_sampling_weights();
  struct SamplingWeights;
  std::shared_ptr<SamplingWeights> sampling_weights_;
};

}  // namespace grpo
