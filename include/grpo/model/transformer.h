#pragma once
/// @file The built-in causal language model: the Llama / Qwen2 / Qwen3 decoder family.
///
/// Architecture (Llama, arXiv:2302.13971 sec. 2.2; Qwen2 arXiv:2407.10671; Qwen3
/// arXiv:2505.09388): token embedding -> L x [pre-norm RMSNorm -> grouped-query attention
/// with rotary position embeddings -> residual -> RMSNorm -> SwiGLU MLP -> residual] ->
/// final RMSNorm -> output head. Parameter names are those of Hugging Face
/// `LlamaForCausalLM` (`model.embed_tokens.weight`, `model.layers.N.self_attn.q_proj.weight`,
/// `model.layers.N.mlp.gate_proj.weight`, `model.norm.weight`, `lm_head.weight`, ...), so a
/// pretrained checkpoint maps onto named_parameters() by name.
///
/// Shapes: B = batch rows, S = new positions in this call, C = cached positions before this
/// call, L = C + S, D = hidden_size, V = vocab_size, Hq / Hkv = query / key-value heads,
/// Dh = head_dim.

#include <grpo/model/config.h>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace grpo {

/// Keys and values of past positions, one preallocated buffer per layer, for incremental
/// decoding. Make one with TransformerImpl::new_cache(); each forward with it writes its
/// positions at [length, length + S) and advances `length`. For inference (no gradient).
struct KVCache {
  /// Per layer: [B, Hkv, capacity, Dh] keys after RoPE, model dtype and device.
  std::vector<torch::Tensor> keys;
  /// Per layer: [B, Hkv, capacity, Dh] values, model dtype and device.
  std::vector<torch::Tensor> values;
  /// Positions written so far, in [0, capacity].
  int64_t length = 0;
  /// Static shapes (for CUDA graphs): when defined, an int64 tensor on the model's device holding
  /// the column that the next one-position call writes: [1], the same column for every row, or
  /// [B], one column per row (rows at different points of their sequences, as in continuous
  /// batching); each in [0, capacity). Such a call then attends over all capacity() positions
  /// under its attention mask, which must be [B, capacity] and mark every key already written,
  /// this call's included; neither `length` nor `write_position` changes (the caller advances the
  /// position and the mask in place, on the device). Undefined: the dynamic mode, which writes at
  /// `length` and attends over the first length + S positions.
  torch::Tensor write_position;

  /// Positions the buffers can hold.
  int64_t capacity() const { return keys.empty() ? 0 : keys.front().size(2); }
};

/// Root-mean-square layer norm (Zhang & Sennrich, arXiv:1910.07467):
/// y = x / sqrt(mean(x^2 over the last dim) + eps) * weight, with the normalisation computed
/// in float32 and the result cast back to x's dtype before the weight (as Hugging Face Llama).
class RMSNormImpl : public torch::nn::Module {
 public:
  /// @param size length of the normalised (last) dimension, >= 1.
  /// @param eps added to the mean square, > 0.
  /// @throws c10::Error if size < 1 or eps <= 0.
  RMSNormImpl(int64_t size, double eps);
  /// @param x [..., size] floating, any device. @return same shape, dtype and device.
  torch::Tensor forward(const torch::Tensor& x);

  /// [size] scale, initialised to ones.
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

/// Cosine and sine tables of the rotary position embedding (Su et al., RoFormer,
/// arXiv:2104.09864 sec. 3.4) in the Hugging Face "rotate half" layout: frequency i of
/// theta^(-2i/Dh) fills columns i and i + Dh/2.
struct RotaryTables {
  /// [B, S, Dh] cos(position * frequency), float32, positions' device.
  torch::Tensor cos;
  /// [B, S, Dh] sin(position * frequency), float32, positions' device.
  torch::Tensor sin;
};

/// Inverse frequencies of the rotary embedding, [Dh/2] float32 on the CPU:
/// 1 / rope_theta^(2i / Dh), then rescaled when config.rope_scaling_type() is "llama3" (Llama
/// 3.1, as transformers' `_compute_llama3_parameters`).
/// @throws c10::Error if head_dim is odd or < 2, or rope_theta <= 0.
torch::Tensor rope_inverse_frequencies(const ModelConfig& config);

/// Rotary tables for `position_ids` [B, S] int64 (any device) and `inv_freq` [Dh/2] float32
/// (rope_inverse_frequencies(); moved to the positions' device).
/// @throws c10::Error if position_ids is not a 2-D int64 tensor or inv_freq not a 1-D float32 one.
RotaryTables rotary_tables(const torch::Tensor& position_ids, const torch::Tensor& inv_freq);

/// Rotates `x` [B, H, S, Dh] (any floating dtype) by the tables of rotary_tables():
/// x * cos + rotate_half(x) * sin, where rotate_half(x) = cat(-x[..., Dh/2:], x[..., :Dh/2]).
/// Computed in x's dtype; the result has x's shape, dtype and device.
torch::Tensor apply_rotary(const torch::Tensor& x, const RotaryTables& tables);

/// Position ids of a left-padded batch: the number of real tokens before each position, i.e.
/// cumsum(attention_mask) - 1, with 1 at padding positions (as Hugging Face generation).
/// @param attention_mask [B, S] int64 or bool, 1 / true for real tokens, any device.
/// @return [B, S] int64 on the mask's device.
torch::Tensor positions_from_mask(const torch::Tensor& attention_mask);

/// Grouped-query self-attention (Ainslie et al., arXiv:2305.13245) with RoPE, optional q/k/v
/// and o biases and optional per-head q/k RMSNorm. Submodules: q_proj, k_proj, v_proj, o_proj,
/// q_norm, k_norm (the last two only with config.qk_norm()).
class AttentionImpl : public torch::nn::Module {
 public:
  /// @param config a validated configuration.
  explicit AttentionImpl(const ModelConfig& config);

  /// @param x [B, S, D] hidden states.
  /// @param rotary tables for the S new positions.
  /// @param mask [B, 1, S, L] bool, true where a query may attend to a key.
  /// @param cache null, or the cache whose buffers of layer `layer` receive this call's keys and
  ///        values at [cache->length, cache->length + S); it is not advanced here.
  /// @param layer index of this layer in the cache.
  /// @return [B, S, D] attention output after o_proj.
  torch::Tensor forward(const torch::Tensor& x, const RotaryTables& rotary, const torch::Tensor& mask,
                        KVCache* cache, int64_t layer);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  RMSNorm q_norm{nullptr}, k_norm{nullptr};

 private:
  int64_t num_heads_;
  int64_t num_kv_heads_;
  int64_t head_dim_;
};
TORCH_MODULE(Attention);

/// SwiGLU feed-forward block (Shazeer, arXiv:2002.05202): down_proj(silu(gate_proj(x)) * up_proj(x)),
/// without biases.
class MlpImpl : public torch::nn::Module {
 public:
  /// @param config a validated configuration.
  explicit MlpImpl(const ModelConfig& config);
  /// @param x [B, S, D]. @return [B, S, D].
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Mlp);

/// One pre-norm decoder layer: x + attn(norm(x)), then + mlp(norm(.)). Submodules:
/// input_layernorm, self_attn, post_attention_layernorm, mlp.
class DecoderLayerImpl : public torch::nn::Module {
 public:
  /// @param config a validated configuration.
  explicit DecoderLayerImpl(const ModelConfig& config);
  /// Arguments as AttentionImpl::forward(). @return [B, S, D].
  torch::Tensor forward(const torch::Tensor& x, const RotaryTables& rotary, const torch::Tensor& mask,
                        KVCache* cache, int64_t layer);

  RMSNorm input_layernorm{nullptr};
  Attention self_attn{nullptr};
  RMSNorm post_attention_layernorm{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(DecoderLayer);

/// The decoder stack without the output head (Hugging Face `LlamaModel`). Submodules:
/// embed_tokens, layers, norm.
class DecoderStackImpl : public torch::nn::Module {
 public:
  /// @param config a validated configuration.
  explicit DecoderStackImpl(const ModelConfig& config);

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
};
TORCH_MODULE(DecoderStack);

/// The causal language model: DecoderStack (registered as `model`) plus the output head
/// (`lm_head`, absent with tied embeddings). Parameters are initialised as Hugging Face
/// Llama does: normal(0, 0.02) for linear and embedding weights, zeros for biases, ones for
/// norm weights.
///
/// Left padding: padding positions (attention mask 0) are never attended to by real tokens;
/// each padding position attends only to itself so that no softmax row is empty, and its
/// outputs are meaningless. Real tokens therefore get the same logits as in an unpadded
/// sequence with the same position ids.
class TransformerImpl : public torch::nn::Module {
 public:
  /// @throws c10::Error from ModelConfig::validate().
  explicit TransformerImpl(ModelConfig config);

  /// Final-norm hidden states of the new positions.
  /// @param input_ids [B, S] int64, ids in [0, V), model device.
  /// @param attention_mask [B, L] int64 or bool, model device: 1 for real tokens, 0 for padding,
  ///        covering the cached positions followed by the S new ones (L = S without a cache);
  ///        with a static-shape cache (KVCache::write_position), [B, capacity] and S = 1.
  /// @param position_ids [B, S] int64, model device; undefined: the last S columns of
  ///        positions_from_mask(attention_mask) (required with a static-shape cache).
  /// @param cache null, or a cache with room for S more positions; it receives this call's keys
  ///        and values and its length advances by S.
  /// @return [B, S, D] in the model's dtype and device.
  /// @throws c10::Error on a wrong rank, dtype or size, a full cache, or, with a static-shape
  ///         cache, more than one new position, no position_ids or a write_position that is
  ///         not int64 [1] or [B].
  torch::Tensor hidden_states(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                              const torch::Tensor& position_ids = {}, KVCache* cache = nullptr);

  /// Output head: [..., D] hidden states -> [..., V] logits (model dtype).
  torch::Tensor logits(const torch::Tensor& hidden);

  /// logits(hidden_states(...)): [B, S, V] next-token logits of every new position.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& position_ids = {}, KVCache* cache = nullptr);

  /// A zeroed cache of `capacity` positions for `batch` rows on the model's device, in `dtype`
  /// (a floating dtype), or in the model's dtype when unset. Under autocast to a half dtype, a
  /// cache in that dtype holds exactly what attention reads (keys and values are computed in it
  /// and attention casts its inputs to it) at half the memory of float32.
  /// @throws c10::Error if batch < 1, capacity < 1, capacity > max_position_embeddings or dtype
  ///         is not floating.
  KVCache new_cache(int64_t batch, int64_t capacity, std::optional<torch::ScalarType> dtype = std::nullopt) const;

  /// The configuration the model was built from.
  const ModelConfig& config() const { return config_; }

  DecoderStack model{nullptr};
  /// Null with tie_word_embeddings.
  torch::nn::Linear lm_head{nullptr};

 private:
  ModelConfig config_;
  torch::Tensor inv_freq_;  // [Dh/2] float32, on the device of the last forward
};
TORCH_MODULE(Transformer);

}  // namespace grpo
