#include <grpo/model/config.h>

#include <c10/util/Exception.h>

namespace grpo {

void ModelConfig::validate() const {
  TORCH_CHECK(vocab_size_ >= 1, "ModelConfig: vocab_size must be >= 1, got ", vocab_size_);
  TORCH_CHECK(hidden_size_ >= 1, "ModelConfig: hidden_size must be >= 1, got ", hidden_size_);
  TORCH_CHECK(intermediate_size_ >= 1, "ModelConfig: intermediate_size must be >= 1, got ",
              intermediate_size_);
  TORCH_CHECK(num_hidden_layers_ >= 1, "ModelConfig: num_hidden_layers must be >= 1, got ",
              num_hidden_layers_);
  TORCH_CHECK(num_attention_heads_ >= 1, "ModelConfig: num_attention_heads must be >= 1, got ",
              num_attention_heads_);
  TORCH_CHECK(num_key_value_heads_ >= 1, "ModelConfig: num_key_value_heads must be >= 1, got ",
              num_key_value_heads_);
  TORCH_CHECK(num_attention_heads_ % num_key_value_heads_ == 0,
              "ModelConfig: num_attention_heads (", num_attention_heads_,
              ") must be a multiple of num_key_value_heads, got ", num_key_value_heads_);
  TORCH_CHECK(head_dim_ >= 2 && head_dim_ % 2 == 0,
              "ModelConfig: head_dim must be even and >= 2, got ", head_dim_);
  TORCH_CHECK(rms_norm_eps_ > 0, "ModelConfig: rms_norm_eps must be > 0, got ", rms_norm_eps_);
  TORCH_CHECK(rope_theta_ > 0, "ModelConfig: rope_theta must be > 0, got ", rope_theta_);
  TORCH_CHECK(rope_scaling_type_.empty() || rope_scaling_type_ == "llama3",
              "ModelConfig: rope_scaling_type must be \"\" or \"llama3\", got \"", rope_scaling_type_, "\"");
  if (rope_scaling_type_ == "llama3") {
    TORCH_CHECK(rope_scaling_factor_ >= 1, "ModelConfig: rope_scaling_factor must be >= 1, got ", rope_scaling_factor_);
    TORCH_CHECK(rope_low_freq_factor_ > 0, "ModelConfig: rope_low_freq_factor must be > 0, got ",
                rope_low_freq_factor_);
    TORCH_CHECK(rope_high_freq_factor_ > rope_low_freq_factor_, "ModelConfig: rope_high_freq_factor (",
                rope_high_freq_factor_, ") must be > rope_low_freq_factor, got ", rope_low_freq_factor_);
    TORCH_CHECK(rope_original_max_position_embeddings_ >= 1,
                "ModelConfig: rope_original_max_position_embeddings must be >= 1, got ",
                rope_original_max_position_embeddings_);
  }
  TORCH_CHECK(max_position_embeddings_ >= 1,
              "ModelConfig: max_position_embeddings must be >= 1, got ", max_position_embeddings_);
}

int64_t ModelConfig::num_parameters() const {
  const int64_t q = num_attention_heads_ * head_dim_;
  const int64_t kv = num_key_value_heads_ * head_dim_;
  int64_t attention = hidden_size_ * (q + 2 * kv) + q * hidden_size_;
  if (attention_bias_) attention += q + 2 * kv;
  if (o_proj_bias_) attention += hidden_size_;
  if (qk_norm_) attention += 2 * head_dim_;
  const int64_t mlp = 3 * hidden_size_ * intermediate_size_;
  const int64_t layer = attention + mlp + 2 * hidden_size_;
  const int64_t embedding = vocab_size_ * hidden_size_;
  return embedding + num_hidden_layers_ * layer + hidden_size_ +
         (tie_word_embeddings_ ? 0 : embedding);
}

}  // namespace grpo
