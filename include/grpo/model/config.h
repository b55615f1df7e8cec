#pragma once
/// @file Sizes and options of the built-in decoder (the Llama / Qwen2 / Qwen3 family).

#include <torch/arg.h>

#include <cstdint>
#include <string>

namespace grpo {

/// Hyper-parameters of a Transformer, named as the fields of a Hugging Face `config.json`
/// (`LlamaConfig`, `Qwen2Config`, `Qwen3Config`) so that a pretrained model's config maps
/// field by field. The defaults describe a small model (about 0.8M parameters with a
/// character vocabulary) that trains on a CPU in minutes.
///
/// Mapping of the Hugging Face families:
/// - Llama: attention_bias = o_proj_bias = config.attention_bias, qk_norm = false.
/// - Qwen2: attention_bias = true, o_proj_bias = false, qk_norm = false.
/// - Qwen3: attention_bias = o_proj_bias = config.attention_bias, qk_norm = true.
struct ModelConfig {
  /// Rows of the token embedding and of the output head, >= 1. Default: 64.
  TORCH_ARG(int64_t, vocab_size) = 64;
  /// Width of the residual stream, >= 1. Default: 128.
  TORCH_ARG(int64_t, hidden_size) = 128;
  /// Width of the SwiGLU MLP's inner layer, >= 1. Default: 384.
  TORCH_ARG(int64_t, intermediate_size) = 384;
  /// Decoder layers, >= 1. Default: 4.
  TORCH_ARG(int64_t, num_hidden_layers) = 4;
  /// Query heads, >= 1 and a multiple of num_key_value_heads. Default: 4.
  TORCH_ARG(int64_t, num_attention_heads) = 4;
  /// Key/value heads (grouped-query attention; equal to num_attention_heads for multi-head
  /// attention), >= 1. Default: 2.
  TORCH_ARG(int64_t, num_key_value_heads) = 2;
  /// Width of one attention head, even (RoPE rotates pairs) and >= 2. It need not equal
  /// hidden_size / num_attention_heads (Qwen3 sets it separately). Default: 32.
  TORCH_ARG(int64_t, head_dim) = 32;
  /// Epsilon of every RMSNorm, > 0. Default: 1e-6.
  TORCH_ARG(double, rms_norm_eps) = 1e-6;
  /// Base of the rotary position embedding's frequencies, > 0. Default: 10000.
  TORCH_ARG(double, rope_theta) = 10000.0;
  /// RoPE frequency scaling: "" (none) or "llama3" (Llama 3.1's `rope_scaling` with
  /// `rope_type: llama3`: wavelengths above original_max_position_embeddings / low_freq_factor
  /// are divided by rope_scaling_factor, those below original / high_freq_factor kept, and
  /// those between interpolated). Default: "".
  TORCH_ARG(std::string, rope_scaling_type) = "";
  /// llama3 scaling: `factor`, >= 1. Default: 8.
  TORCH_ARG(double, rope_scaling_factor) = 8.0;
  /// llama3 scaling: `low_freq_factor`, > 0. Default: 1.
  TORCH_ARG(double, rope_low_freq_factor) = 1.0;
  /// llama3 scaling: `high_freq_factor`, > low_freq_factor. Default: 4.
  TORCH_ARG(double, rope_high_freq_factor) = 4.0;
  /// llama3 scaling: `original_max_position_embeddings`, >= 1. Default: 8192.
  TORCH_ARG(int64_t, rope_original_max_position_embeddings) = 8192;
  /// Longest sequence (prompt + completion) the model is meant for, >= 1; a KV cache is
  /// never longer. Default: 512.
  TORCH_ARG(int64_t, max_position_embeddings) = 512;
  /// Whether the output head reuses the token embedding matrix (no `lm_head.weight`
  /// parameter then). Default: false.
  TORCH_ARG(bool, tie_word_embeddings) = false;
  /// Whether q_proj, k_proj and v_proj have a bias (Qwen2: true). Default: false.
  TORCH_ARG(bool, attention_bias) = false;
  /// Whether o_proj has a bias (Llama and Qwen3 with `attention_bias: true`). Default: false.
  TORCH_ARG(bool, o_proj_bias) = false;
  /// Whether queries and keys go through a per-head RMSNorm before RoPE (Qwen3's
  /// `q_norm` / `k_norm`). Default: false.
  TORCH_ARG(bool, qk_norm) = false;

 public:
  /// Checks every field against its documented range.
  /// @throws c10::Error naming the first field out of range and its value.
  void validate() const;

  /// Number of parameters a Transformer of this config has (tied head counted once).
  int64_t num_parameters() const;
};

}  // namespace grpo
