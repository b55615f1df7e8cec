#include <grpo/model/config.h>
#include <grpo/model/transformer.h>

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using grpo::ModelConfig;
using grpo::Transformer;

ModelConfig tiny_config() {
  return ModelConfig()
      .vocab_size(29)
      .hidden_size(24)
      .intermediate_size(40)
      .num_hidden_layers(2)
      .num_attention_heads(4)
      .num_key_value_heads(2)
      .head_dim(6)
      .max_position_embeddings(32);
}

std::string error_of(const ModelConfig& config) {
  try {
    config.validate();
  } catch (const c10::Error& e) {
    return e.msg();
  }
  return "";
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(ModelConfig, DefaultsAreValid) {
  EXPECT_NO_THROW(ModelConfig().validate());
  EXPECT_NO_THROW(Transformer{ModelConfig()});
}

TEST(ModelConfig, ErrorsNameTheFieldAndTheValue) {
  EXPECT_NE(error_of(ModelConfig().vocab_size(0)).find("vocab_size must be >= 1, got 0"), std::string::npos);
  EXPECT_NE(error_of(ModelConfig().hidden_size(-3)).find("hidden_size must be >= 1, got -3"), std::string::npos);
  EXPECT_NE(error_of(ModelConfig().num_attention_heads(4).num_key_value_heads(3))
                .find("num_attention_heads (4) must be a multiple of num_key_value_heads, got 3"),
            std::string::npos);
  EXPECT_NE(error_of(ModelConfig().head_dim(7)).find("head_dim must be even and >= 2, got 7"), std::string::npos);
  EXPECT_NE(error_of(ModelConfig().rms_norm_eps(0.0)).find("rms_norm_eps must be > 0, got 0"), std::string::npos);
  EXPECT_NE(error_of(ModelConfig().rope_theta(-1.0)).find("rope_theta must be > 0, got -1"), std::string::npos);
  EXPECT_NE(error_of(ModelConfig().max_position_embeddings(0)).find("max_position_embeddings must be >= 1, got 0"),
            std::string::npos);
  EXPECT_THROW(Transformer(ModelConfig().num_hidden_layers(0)), c10::Error);
}

TEST(RMSNorm, MatchesHandComputation) {
  grpo::RMSNorm norm(4, 1e-6);
  {
    torch::NoGradGuard no_grad;
    norm->weight.copy_(torch::tensor({1.0F, 0.5F, 2.0F, 1.0F}));
  }
  const auto y = norm(torch::tensor({{1.0F, 2.0F, 3.0F, 4.0F}}));
  // mean square = (1 + 4 + 9 + 16) / 4 = 7.5; y_i = x_i / sqrt(7.5 + 1e-6) * w_i.
  const double r = 1.0 / std::sqrt(7.5 + 1e-6);
  const std::vector<double> expected = {1 * r * 1.0, 2 * r * 0.5, 3 * r * 2.0, 4 * r * 1.0};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[0][i].item<double>(), expected[static_cast<size_t>(i)], 1e-6);
}

TEST(Rotary, MatchesHandComputation) {
  // head_dim 4, theta 100: frequencies 1 and 100^(-1/2) = 0.1; position 3 -> angles 3 and 0.3.
  const auto tables = grpo::rotary_tables(torch::tensor({{0L, 3L}}),
                                           grpo::rope_inverse_frequencies(grpo::ModelConfig().head_dim(4).rope_theta(100.0)));
  const auto x = torch::tensor({1.0F, 2.0F, 3.0F, 4.0F}).view({1, 1, 1, 4}).expand({1, 1, 2, 4});
  const auto y = grpo::apply_rotary(x, tables);
  // rotate_half([1, 2, 3, 4]) = [-3, -4, 1, 2]; y = x cos + rotate_half(x) sin.
  const double c3 = std::cos(3.0), s3 = std::sin(3.0), c03 = std::cos(0.3), s03 = std::sin(0.3);
  const std::vector<double> expected = {1 * c3 - 3 * s3, 2 * c03 - 4 * s03, 3 * c3 + 1 * s3, 4 * c03 + 2 * s03};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(y[0][0][0][i].item<double>(), x[0][0][0][i].item<double>(), 1e-6) << "position 0 is the identity";
    EXPECT_NEAR(y[0][0][1][i].item<double>(), expected[static_cast<size_t>(i)], 1e-5);
  }
}

TEST(Rotary, PositionsFromMaskCountRealTokens) {
  const auto positions = grpo::positions_from_mask(torch::tensor({{0L, 0L, 1L, 1L, 1L}, {1L, 1L, 1L, 1L, 1L}}));
  EXPECT_TRUE(torch::equal(positions, torch::tensor({{1L, 1L, 0L, 1L, 2L}, {0L, 1L, 2L, 3L, 4L}})));
}

TEST(Transformer, ParametersHaveHuggingFaceNames) {
  Transformer model(tiny_config().attention_bias(true).qk_norm(true));
  const auto params = model->named_parameters();
  for (const char* name : {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                           "model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.k_proj.bias",
                           "model.layers.1.self_attn.v_proj.weight", "model.layers.1.self_attn.o_proj.weight",
                           "model.layers.1.self_attn.q_norm.weight", "model.layers.1.self_attn.k_norm.weight",
                           "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight",
                           "model.layers.0.mlp.down_proj.weight", "model.layers.0.input_layernorm.weight",
                           "model.layers.0.post_attention_layernorm.weight", "model.norm.weight", "lm_head.weight"}) {
    EXPECT_TRUE(params.contains(name)) << name;
  }
  EXPECT_FALSE(params.contains("model.layers.0.self_attn.o_proj.bias"));
  int64_t count = 0;
  for (const auto& p : model->parameters()) count += p.numel();
  EXPECT_EQ(count, model->config().num_parameters());

  Transformer tied(tiny_config().tie_word_embeddings(true));
  EXPECT_FALSE(tied->named_parameters().contains("lm_head.weight"));
  count = 0;
  for (const auto& p : tied->parameters()) count += p.numel();
  EXPECT_EQ(count, tied->config().num_parameters());
}

/// Ids [3, 10] of tiny_config()'s vocabulary and their mask: row 1 left-padded by 2, row 2 by 5.
std::pair<torch::Tensor, torch::Tensor> left_padded_batch() {
  const auto ids = torch::randint(0, 29, {3, 10}, torch::kLong);
  auto mask = torch::ones({3, 10}, torch::kLong);
  mask[1].narrow(0, 0, 2).fill_(0);
  mask[2].narrow(0, 0, 5).fill_(0);
  return {ids, mask};
}

TEST(Transformer, KvCacheIncrementalLogitsEqualFullForward) {
  torch::manual_seed(0);
  Transformer model(tiny_config());
  torch::NoGradGuard no_grad;
  const auto [ids, mask] = left_padded_batch();
  const auto full = model->forward(ids, mask);

  auto cache = model->new_cache(3, 12);
  std::vector<torch::Tensor> pieces = {model->forward(ids.narrow(1, 0, 6), mask.narrow(1, 0, 6), torch::Tensor(), &cache)};
  for (int64_t t = 6; t < 10; ++t) {
    pieces.push_back(model->forward(ids.narrow(1, t, 1), mask.narrow(1, 0, t + 1), torch::Tensor(), &cache));
  }
  EXPECT_EQ(cache.length, 10);
  const auto incremental = torch::cat(pieces, 1);
  const auto real = mask.to(torch::kBool).unsqueeze(-1);
  const double diff = max_abs_diff(full.masked_fill(~real, 0), incremental.masked_fill(~real, 0));
  std::cout << "KV cache vs full forward: max abs logit difference " << diff << "\n";
  EXPECT_LE(diff, 1e-5);
}

/// A cache of `capacity` positions holding a dynamic prefill of the first `prefill` columns of
/// (ids, mask), the static-shape key mask marking those columns, and the prefill's logits.
struct Prefilled {
  grpo::KVCache cache;
  torch::Tensor key_mask;
  torch::Tensor logits;
};

Prefilled prefill_for_static_steps(Transformer& model, const torch::Tensor& ids, const torch::Tensor& mask,
                                   int64_t prefill, int64_t capacity) {
  Prefilled out{model->new_cache(ids.size(0), capacity), torch::zeros({ids.size(0), capacity}, torch::kLong), {}};
  out.logits = model->forward(ids.narrow(1, 0, prefill), mask.narrow(1, 0, prefill), torch::Tensor(), &out.cache);
  out.key_mask.narrow(1, 0, prefill).copy_(mask.narrow(1, 0, prefill));
  return out;
}

// The static-shape cache mode (KVCache::write_position): after a dynamic prefill, one-position
// calls that write at a device-held column and attend over the whole cache under a mask marked
// in place give the logits of a full forward; the caller's contract is checked.
TEST(Transformer, StaticShapeCacheStepsEqualFullForward) {
  torch::manual_seed(0);
  Transformer model(tiny_config());
  torch::NoGradGuard no_grad;
  const auto [ids, mask] = left_padded_batch();
  const auto full = model->forward(ids, mask);
  auto [cache, key_mask, prefill_logits] = prefill_for_static_steps(model, ids, mask, 6, 12);
  std::vector<torch::Tensor> pieces = {prefill_logits};
  auto positions = grpo::positions_from_mask(mask).narrow(1, 6, 1).clone();
  cache.write_position = torch::full({1}, 6, torch::kLong);
  for (int64_t t = 6; t < 10; ++t) {
    key_mask.index_fill_(1, cache.write_position, 1);
    pieces.push_back(model->forward(ids.narrow(1, t, 1), key_mask, positions, &cache));
    cache.write_position.add_(1);
    positions.add_(1);
  }
  EXPECT_EQ(cache.length, 6) << "a static-shape call leaves the length to the caller";
  const auto real = mask.to(torch::kBool).unsqueeze(-1);
  const double diff = max_abs_diff(full.masked_fill(~real, 0), torch::cat(pieces, 1).masked_fill(~real, 0));
  std::cout << "static-shape KV cache vs full forward: max abs logit difference " << diff << "\n";
  EXPECT_LE(diff, 1e-5);
  EXPECT_THROW(model->forward(ids.narrow(1, 0, 2), key_mask, positions.expand({3, 2}), &cache), c10::Error);
  EXPECT_THROW(model->forward(ids.narrow(1, 0, 1), key_mask, torch::Tensor(), &cache), c10::Error);
  EXPECT_THROW(model->forward(ids.narrow(1, 0, 1), key_mask.narrow(1, 0, 8), positions, &cache), c10::Error);
}

// Per-row write positions ([B] KVCache::write_position, as continuous batching uses): rows at
// different points of their sequences, each with its cache written at its own column, give the
// logits of a full forward. Row r starts its one-position steps at column 4 + r.
TEST(Transformer, StaticShapeCacheWithPerRowColumnsEqualsFullForward) {
  torch::manual_seed(2);
  Transformer model(tiny_config());
  torch::NoGradGuard no_grad;
  const auto [ids, mask] = left_padded_batch();
  const auto full = model->forward(ids, mask);
  auto [cache, key_mask, prefill_logits] = prefill_for_static_steps(model, ids, mask, 4, 12);
  const auto all_positions = grpo::positions_from_mask(mask);
  std::vector<std::vector<torch::Tensor>> logits(3);
  cache.write_position = torch::tensor({4L, 4L, 4L});
  for (int64_t step = 0; step < 8; ++step) {
    // Row r feeds token 4 + step - r while that is in [4, 10); before, it feeds its token 4
    // (written again later), after, its token 9 again. The key it writes is marked as the
    // full forward's mask has it (row 2's column 4 is padding).
    const auto t = torch::tensor({4 + step, 3 + step, 2 + step}).clamp(4, 9).unsqueeze(1);
    cache.write_position.copy_(t.squeeze(1));
    key_mask.scatter_(1, t, mask.gather(1, t));
    const auto out = model->forward(ids.gather(1, t), key_mask, all_positions.gather(1, t), &cache);
    for (int64_t r = 0; r < 3; ++r) {
      const int64_t column = 4 + step - r;
      if (column >= 4 && column < 10) logits[static_cast<size_t>(r)].push_back(out[r]);
    }
  }
  for (int64_t r = 0; r < 3; ++r) {
    const auto expected = full[r].narrow(0, 4, 6);
    const auto real = mask[r].narrow(0, 4, 6).to(torch::kBool).unsqueeze(-1);
    const auto got = torch::cat(logits[static_cast<size_t>(r)]);
    EXPECT_LE(max_abs_diff(expected.masked_fill(~real, 0), got.masked_fill(~real, 0)), 1e-5) << "row " << r;
  }
  cache.write_position = torch::tensor({4L, 4L});
  EXPECT_THROW(model->forward(ids.narrow(1, 0, 1), key_mask, all_positions.narrow(1, 0, 1), &cache), c10::Error);
}

// Under autocast to bfloat16 a bfloat16 KV cache gives exactly the logits of a float32 one:
// attention reads its keys and values in bfloat16 either way.
TEST(Transformer, HalfPrecisionCacheUnderAutocastEqualsAFloat32Cache) {
  torch::manual_seed(3);
  Transformer model(tiny_config());
  torch::NoGradGuard no_grad;
  const auto [ids, mask] = left_padded_batch();
  at::autocast::set_autocast_enabled(at::kCPU, true);
  at::autocast::set_autocast_dtype(at::kCPU, torch::kBFloat16);
  std::vector<torch::Tensor> results;
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    auto cache = model->new_cache(3, 10, dtype);
    EXPECT_EQ(cache.keys[0].scalar_type(), dtype);
    std::vector<torch::Tensor> pieces = {model->forward(ids.narrow(1, 0, 6), mask.narrow(1, 0, 6), torch::Tensor(), &cache)};
    for (int64_t t = 6; t < 10; ++t) {
      pieces.push_back(model->forward(ids.narrow(1, t, 1), mask.narrow(1, 0, t + 1), torch::Tensor(), &cache));
    }
    results.push_back(torch::cat(pieces, 1));
  }
  at::autocast::set_autocast_enabled(at::kCPU, false);
  at::autocast::clear_cache();
  EXPECT_EQ(results[0].scalar_type(), torch::kBFloat16) << "autocast was on";
  EXPECT_TRUE(torch::equal(results[0], results[1]));
  EXPECT_THROW(model->new_cache(3, 10, torch::kLong), c10::Error);
}

TEST(Transformer, LeftPaddedBatchEqualsEachSequenceAlone) {
  torch::manual_seed(1);
  Transformer model(tiny_config().num_key_value_heads(4));
  torch::NoGradGuard no_grad;
  const std::vector<int64_t> lengths = {3, 7, 5};
  const int64_t width = 7;
  auto ids = torch::full({3, width}, 0L, torch::kLong);
  auto mask = torch::zeros({3, width}, torch::kLong);
  std::vector<torch::Tensor> alone;
  for (size_t b = 0; b < lengths.size(); ++b) {
    const auto n = lengths[b];
    const auto seq = torch::randint(1, 29, {1, n}, torch::kLong);
    ids[static_cast<int64_t>(b)].narrow(0, width - n, n).copy_(seq[0]);
    mask[static_cast<int64_t>(b)].narrow(0, width - n, n).fill_(1);
    alone.push_back(model->forward(seq, torch::ones({1, n}, torch::kLong)));
  }
  const auto batched = model->forward(ids, mask);
  double diff = 0;
  for (size_t b = 0; b < lengths.size(); ++b) {
    const auto n = lengths[b];
    diff = std::max(diff, max_abs_diff(batched[static_cast<int64_t>(b)].narrow(0, width - n, n), alone[b][0]));
  }
  std::cout << "left-padded batch vs alone: max abs logit difference " << diff << "\n";
  EXPECT_LE(diff, 1e-5);
}

// ---------------------------------------------------------------------------------------------
// Parity with Hugging Face transformers (tests/model/hf_reference.py writes the reference).

struct Reference {
  ModelConfig config;
  std::map<std::string, torch::Tensor> tensors;
};

Reference read_reference(const std::string& dir, const std::string& family) {
  Reference ref;
  std::ifstream config_file(dir + "/" + family + ".config");
  EXPECT_TRUE(config_file.good()) << "missing " << dir << "/" << family << ".config";
  std::map<std::string, double> fields;
  std::string key;
  double value = 0;
  while (config_file >> key >> value) fields[key] = value;
  auto as_int = [&](const char* name) { return static_cast<int64_t>(fields.at(name)); };
  ref.config = ModelConfig()
                   .vocab_size(as_int("vocab_size"))
                   .hidden_size(as_int("hidden_size"))
                   .intermediate_size(as_int("intermediate_size"))
                   .num_hidden_layers(as_int("num_hidden_layers"))
                   .num_attention_heads(as_int("num_attention_heads"))
                   .num_key_value_heads(as_int("num_key_value_heads"))
                   .head_dim(as_int("head_dim"))
                   .rms_norm_eps(fields.at("rms_norm_eps"))
                   .rope_theta(fields.at("rope_theta"))
                   .max_position_embeddings(as_int("max_position_embeddings"))
                   .tie_word_embeddings(as_int("tie_word_embeddings") != 0)
                   .attention_bias(as_int("attention_bias") != 0)
                   .o_proj_bias(as_int("o_proj_bias") != 0)
                   .qk_norm(as_int("qk_norm") != 0);
  std::ifstream manifest(dir + "/" + family + ".tensors");
  std::ifstream data(dir + "/" + family + ".bin", std::ios::binary);
  std::string line;
  while (std::getline(manifest, line)) {
    std::istringstream in(line);
    std::string name;
    int64_t ndim = 0;
    in >> name >> ndim;
    std::vector<int64_t> shape(static_cast<size_t>(ndim));
    for (auto& s : shape) in >> s;
    auto t = torch::empty(shape, torch::kFloat);
    data.read(reinterpret_cast<char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * sizeof(float)));
    ref.tensors[name] = t;
  }
  EXPECT_TRUE(data.good()) << "truncated " << family << ".bin";
  return ref;
}

class HuggingFaceParity : public ::testing::TestWithParam<std::string> {};

TEST_P(HuggingFaceParity, LogitsMatchTransformers) {
  const char* dir = std::getenv("GRPO_HF_REFERENCE_DIR");
  if (dir == nullptr) GTEST_SKIP() << "GRPO_HF_REFERENCE_DIR not set (ctest sets it when GRPO_PYTHON is configured)";
  const auto ref = read_reference(dir, GetParam());
  Transformer model(ref.config);
  torch::NoGradGuard no_grad;
  size_t loaded = 0;
  for (auto& item : model->named_parameters()) {
    const auto found = ref.tensors.find(item.key());
    ASSERT_NE(found, ref.tensors.end()) << "no reference tensor for " << item.key();
    ASSERT_EQ(item.value().sizes(), found->second.sizes()) << item.key();
    item.value().copy_(found->second);
    ++loaded;
  }
  EXPECT_EQ(loaded + 3, ref.tensors.size()) << "every reference parameter is used";
  const auto ids = ref.tensors.at("input_ids").to(torch::kLong);
  const auto mask = ref.tensors.at("attention_mask").to(torch::kLong);
  const auto logits = model->forward(ids, mask);
  const auto real = mask.to(torch::kBool).unsqueeze(-1);
  const auto expected = ref.tensors.at("logits");
  const double diff = max_abs_diff(logits.masked_fill(~real, 0), expected.masked_fill(~real, 0));
  std::cout << GetParam() << " vs transformers: max abs logit difference " << diff << " (logit scale "
            << expected.abs().max().item<double>() << ")\n";
  EXPECT_LE(diff, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Families, HuggingFaceParity, ::testing::Values("llama", "qwen2", "qwen3"));

}  // namespace
