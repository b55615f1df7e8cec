#include <grpo/model/transformer.h>

#include <torch/torch.h>

#include <cmath>
#include <string>
#include <utility>

namespace grpo {
namespace {

/// Standard deviation of the normal initialisation (Hugging Face `initializer_range`).
constexpr double kInitStd = 0.02;

torch::nn::Linear make_linear(int64_t in, int64_t out, bool bias) {
  torch::nn::Linear linear(torch::nn::LinearOptions(in, out).bias(bias));
  torch::NoGradGuard no_grad;
  linear->weight.normal_(0.0, kInitStd);
  if (bias) linear->bias.zero_();
  return linear;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RMSNorm and RoPE

RMSNormImpl::RMSNormImpl(int64_t size, double eps) : eps_(eps) {
  TORCH_CHECK(size >= 1, "RMSNorm: size must be >= 1, got ", size);
  TORCH_CHECK(eps > 0, "RMSNorm: eps must be > 0, got ", eps);
  weight = register_parameter("weight", torch::ones({size}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  const auto xf = x.to(torch::kFloat);
  const auto mean_square = xf.pow(2).mean(-1, /*keepdim=*/true);
  return weight * (xf * torch::rsqrt(mean_square + eps_)).to(x.scalar_type());
}

torch::Tensor rope_inverse_frequencies(const ModelConfig& config) {
  const int64_t dim = config.head_dim();
  TORCH_CHECK(dim >= 2 && dim % 2 == 0, "rope_inverse_frequencies: head_dim must be even and >= 2, got ", dim);
  TORCH_CHECK(config.rope_theta() > 0, "rope_inverse_frequencies: rope_theta must be > 0, got ", config.rope_theta());
  // inv_freq[i] = 1 / theta^(2i / Dh), computed in float32 as Hugging Face does.
  const auto exponent = torch::arange(0, dim, 2, torch::kLong).to(torch::kFloat) / static_cast<double>(dim);
  auto inv_freq = torch::pow(config.rope_theta(), exponent).reciprocal();
  if (config.rope_scaling_type() == "llama3") {
    // Llama 3.1: long wavelengths are divided by `factor`, short ones kept, the band between
    // interpolated (transformers' _compute_llama3_parameters, in float32).
    const double factor = config.rope_scaling_factor();
    const double low = config.rope_low_freq_factor();
    const double high = config.rope_high_freq_factor();
    const auto old_context = static_cast<double>(config.rope_original_max_position_embeddings());
    const double low_freq_wavelen = old_context / low;
    const double high_freq_wavelen = old_context / high;
    const auto wavelen = 2 * M_PI / inv_freq;
    auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq);
    const auto smooth = (old_context / wavelen - low) / (high - low);
    const auto smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
    const auto medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
    inv_freq = torch::where(medium, smoothed, scaled);
  }
  return inv_freq;
}

RotaryTables rotary_tables(const torch::Tensor& position_ids, const torch::Tensor& inv_freq) {
  TORCH_CHECK(position_ids.dim() == 2 && position_ids.scalar_type() == torch::kLong,
              "rotary_tables: position_ids must be a [B, S] int64 tensor, got shape ",
              position_ids.sizes(), " and dtype ", position_ids.scalar_type());
  TORCH_CHECK(inv_freq.dim() == 1 && inv_freq.scalar_type() == torch::kFloat,
              "rotary_tables: inv_freq must be a [Dh/2] float32 tensor, got shape ", inv_freq.sizes(), " and dtype ",
              inv_freq.scalar_type());
  const auto freqs = position_ids.to(torch::kFloat).unsqueeze(-1) * inv_freq.to(position_ids.device());  // [B, S, Dh/2]
  const auto angles = torch::cat({freqs, freqs}, -1);                                                 // [B, S, Dh]
  return {angles.cos(), angles.sin()};
}

torch::Tensor apply_rotary(const torch::Tensor& x, const RotaryTables& tables) {
  const auto cos = tables.cos.unsqueeze(1).to(x.scalar_type());
  const auto sin = tables.sin.unsqueeze(1).to(x.scalar_type());
  const auto half = x.size(-1) / 2;
  const auto rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

torch::Tensor positions_from_mask(const torch::Tensor& attention_mask) {
  TORCH_CHECK(attention_mask.dim() == 2, "positions_from_mask: attention_mask must be [B, S], got shape ",
              attention_mask.sizes());
  const auto mask = attention_mask.to(torch::kLong);
  return (mask.cumsum(-1) - 1).masked_fill_(mask == 0, 1);
}

// ---------------------------------------------------------------------------------------------
// Attention, MLP, layer

AttentionImpl::AttentionImpl(const ModelConfig& config)
    : num_heads_(config.num_attention_heads()),
      num_kv_heads_(config.num_key_value_heads()),
      head_dim_(config.head_dim()) {
  const auto d = config.hidden_size();
  q_proj = register_module("q_proj", make_linear(d, num_heads_ * head_dim_, config.attention_bias()));
  k_proj = register_module("k_proj", make_linear(d, num_kv_heads_ * head_dim_, config.attention_bias()));
  v_proj = register_module("v_proj", make_linear(d, num_kv_heads_ * head_dim_, config.attention_bias()));
  o_proj = register_module("o_proj", make_linear(num_heads_ * head_dim_, d, config.o_proj_bias()));
  if (config.qk_norm()) {
    q_norm = register_module("q_norm", RMSNorm(head_dim_, config.rms_norm_eps()));
    k_norm = register_module("k_norm", RMSNorm(head_dim_, config.rms_norm_eps()));
  }
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const RotaryTables& rotary,
                                     const torch::Tensor& mask, KVCache* cache, int64_t layer) {
  const auto batch = x.size(0);
  const auto seq = x.size(1);
  auto q = q_proj(x).view({batch, seq, num_heads_, head_dim_});
  auto k = k_proj(x).view({batch, seq, num_kv_heads_, head_dim_});
  auto v = v_proj(x).view({batch, seq, num_kv_heads_, head_dim_}).transpose(1, 2);
  if (!q_norm.is_empty()) {
    q = q_norm(q);
    k = k_norm(k);
  }
  q = apply_rotary(q.transpose(1, 2), rotary);  // [B, Hq, S, Dh]
  k = apply_rotary(k.transpose(1, 2), rotary);  // [B, Hkv, S, Dh]
  if (cache != nullptr) {
    auto& keys = cache->keys[static_cast<size_t>(layer)];
    auto& values = cache->values[static_cast<size_t>(layer)];
    if (cache->write_position.defined()) {
      // One column for all rows, or row b's at write_position[b].
      const auto& column = cache->write_position;
      if (column.numel() == 1) {
        keys.index_copy_(2, column, k.to(keys.scalar_type()));
        values.index_copy_(2, column, v.to(values.scalar_type()));
      } else {
        const auto index = column.view({batch, 1, 1, 1}).expand({batch, num_kv_heads_, 1, head_dim_});
        keys.scatter_(2, index, k.to(keys.scalar_type()));
        values.scatter_(2, index, v.to(values.scalar_type()));
      }
      k = keys;
      v = values;
    } else {
      const auto past = cache->length;
      keys.narrow(2, past, seq).copy_(k);
      values.narrow(2, past, seq).copy_(v);
      k = keys.narrow(2, 0, past + seq);
      v = values.narrow(2, 0, past + seq);
    }
  }
  const auto out = at::scaled_dot_product_attention(
      q, k, v, mask, /*dropout_p=*/0.0, /*is_causal=*/false,
      /*scale=*/1.0 / std::sqrt(static_cast<double>(head_dim_)),
      /*enable_gqa=*/num_heads_ != num_kv_heads_);
  return o_proj(out.transpose(1, 2).reshape({batch, seq, num_heads_ * head_dim_}));
}

MlpImpl::MlpImpl(const ModelConfig& config) {
  const auto d = config.hidden_size();
  const auto inner = config.intermediate_size();
  gate_proj = register_module("gate_proj", make_linear(d, inner, false));
  up_proj = register_module("up_proj", make_linear(d, inner, false));
  down_proj = register_module("down_proj", make_linear(inner, d, false));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& config) {
  input_layernorm = register_module("input_layernorm", RMSNorm(config.hidden_size(), config.rms_norm_eps()));
  self_attn = register_module("self_attn", Attention(config));
  post_attention_layernorm =
      register_module("post_attention_layernorm", RMSNorm(config.hidden_size(), config.rms_norm_eps()));
  mlp = register_module("mlp", Mlp(config));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const RotaryTables& rotary,
                                        const torch::Tensor& mask, KVCache* cache, int64_t layer) {
  const auto h = x + self_attn(input_layernorm(x), rotary, mask, cache, layer);
  return h + mlp(post_attention_layernorm(h));
}

DecoderStackImpl::DecoderStackImpl(const ModelConfig& config) {
  embed_tokens = register_module(
      "embed_tokens", torch::nn::Embedding(config.vocab_size(), config.hidden_size()));
  {
    torch::NoGradGuard no_grad;
    embed_tokens->weight.normal_(0.0, kInitStd);
  }
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers(); ++i) layers->push_back(DecoderLayer(config));
  norm = register_module("norm", RMSNorm(config.hidden_size(), config.rms_norm_eps()));
}

// ---------------------------------------------------------------------------------------------
// Transformer

namespace {

ModelConfig validated(ModelConfig config) {
  config.validate();
  return config;
}

}  // namespace

TransformerImpl::TransformerImpl(ModelConfig config) : config_(validated(std::move(config))) {
  inv_freq_ = rope_inverse_frequencies(config_);
  model = register_module("model", DecoderStack(config_));
  if (!config_.tie_word_embeddings()) {
    lm_head = register_module("lm_head", make_linear(config_.hidden_size(), config_.vocab_size(), false));
  }
}

torch::Tensor TransformerImpl::hidden_states(const torch::Tensor& input_ids,
                                             const torch::Tensor& attention_mask,
                                             const torch::Tensor& position_ids, KVCache* cache) {
  TORCH_CHECK(input_ids.dim() == 2 && input_ids.scalar_type() == torch::kLong,
              "Transformer: input_ids must be a [B, S] int64 tensor, got shape ", input_ids.sizes(),
              " and dtype ", input_ids.scalar_type());
  const auto batch = input_ids.size(0);
  const auto seq = input_ids.size(1);
  TORCH_CHECK(seq >= 1, "Transformer: input_ids must have at least one position, got shape ",
              input_ids.sizes());
  const bool fixed = cache != nullptr && cache->write_position.defined();
  const int64_t past = cache != nullptr && !fixed ? cache->length : 0;
  const auto total = fixed ? cache->capacity() : past + seq;
  if (cache != nullptr) {
    TORCH_CHECK(static_cast<int64_t>(cache->keys.size()) == config_.num_hidden_layers() &&
                    cache->values.size() == cache->keys.size(),
                "Transformer: the KV cache has ", cache->keys.size(), " layers, the model ",
                config_.num_hidden_layers());
    TORCH_CHECK(cache->keys.front().size(0) == batch, "Transformer: the KV cache has ",
                cache->keys.front().size(0), " rows, input_ids ", batch);
    TORCH_CHECK(total <= cache->capacity(), "Transformer: the KV cache holds ", cache->capacity(),
                " positions, ", past, " used, ", seq, " more requested");
    TORCH_CHECK(!fixed || (seq == 1 && position_ids.defined()),
                "Transformer: a static-shape KV cache takes one position per call with position_ids, got shape ",
                input_ids.sizes(), position_ids.defined() ? "" : " without position_ids");
    TORCH_CHECK(!fixed || (cache->write_position.scalar_type() == torch::kLong &&
                           (cache->write_position.sizes() == torch::IntArrayRef{1} ||
                            cache->write_position.sizes() == torch::IntArrayRef{batch})),
                "Transformer: KVCache::write_position must be an int64 tensor of shape [1] or [", batch,
                "], got shape ", cache->write_position.sizes(), " and dtype ", cache->write_position.scalar_type());
  }
  TORCH_CHECK(attention_mask.dim() == 2 && attention_mask.size(0) == batch && attention_mask.size(1) == total,
              "Transformer: attention_mask must be [", batch, ", ", total,
              "] (cached + new positions), got shape ", attention_mask.sizes());
  torch::Tensor positions = position_ids;
  if (positions.defined()) {
    TORCH_CHECK(positions.sizes() == input_ids.sizes(), "Transformer: position_ids must be shaped as input_ids ",
                input_ids.sizes(), ", got ", positions.sizes());
  } else {
    positions = positions_from_mask(attention_mask).narrow(1, past, seq);
  }

  // mask[b, 0, i, j]: query i (absolute position past + i) may attend to key j if j is a real
  // token at or before it; every query also attends to itself so that padding queries never
  // have an empty softmax row (their outputs are never attended to by real tokens).
  // With a static-shape cache the one query attends to the keys its mask marks (the caller
  // marks the query's own position): the mask is used as given, so the shapes never change.
  const auto device = input_ids.device();
  torch::Tensor mask;
  if (fixed) {
    mask = attention_mask.to(torch::kBool).view({batch, 1, 1, total});
  } else {
    const auto key_pos = torch::arange(total, torch::TensorOptions().dtype(torch::kLong).device(device));
    const auto query_pos = key_pos.narrow(0, past, seq).unsqueeze(1);
    const auto causal = key_pos.unsqueeze(0) <= query_pos;  // [S, L]
    const auto own = key_pos.unsqueeze(0) == query_pos;     // [S, L]
    mask = ((causal.unsqueeze(0) & attention_mask.to(torch::kBool).unsqueeze(1)) | own).unsqueeze(1);
  }

  if (inv_freq_.device() != device) inv_freq_ = inv_freq_.to(device);
  const auto rotary = rotary_tables(positions, inv_freq_);
  auto h = model->embed_tokens(input_ids);
  for (size_t i = 0; i < model->layers->size(); ++i) {
    h = model->layers[i]->as<DecoderLayerImpl>()->forward(h, rotary, mask, cache, static_cast<int64_t>(i));
  }
  if (cache != nullptr && !fixed) cache->length = total;
  return model->norm(h);
}

torch::Tensor TransformerImpl::logits(const torch::Tensor& hidden) {
  return lm_head.is_empty() ? torch::linear(hidden, model->embed_tokens->weight) : lm_head(hidden);
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                       const torch::Tensor& position_ids, KVCache* cache) {
  return logits(hidden_states(input_ids, attention_mask, position_ids, cache));
}

KVCache TransformerImpl::new_cache(int64_t batch, int64_t capacity, std::optional<torch::ScalarType> dtype) const {
  TORCH_CHECK(batch >= 1, "Transformer::new_cache: batch must be >= 1, got ", batch);
  TORCH_CHECK(capacity >= 1 && capacity <= config_.max_position_embeddings(),
              "Transformer::new_cache: capacity must be in [1, max_position_embeddings = ",
              config_.max_position_embeddings(), "], got ", capacity);
  TORCH_CHECK(!dtype || at::isFloatingType(*dtype), "Transformer::new_cache: dtype must be floating, got ", *dtype);
  auto options = model->embed_tokens->weight.options().requires_grad(false);
  if (dtype) options = options.dtype(*dtype);
  KVCache cache;
  for (int64_t i = 0; i < config_.num_hidden_layers(); ++i) {
    cache.keys.push_back(torch::zeros({batch, config_.num_key_value_heads(), capacity, config_.head_dim()}, options));
    cache.values.push_back(torch::zeros({batch, config_.num_key_value_heads(), capacity, config_.head_dim()}, options));
  }
  return cache;
}

}  // namespace grpo
