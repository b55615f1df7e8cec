// Hugging Face model directories: config.json mapping, save/load round trips in every dtype
// and layout, EOS ids, llama3 RoPE scaling, and the errors bad directories give.
#include <grpo/model/policy.h>
#include <grpo/model/pretrained.h>
#include <grpo/model/safetensors.h>
#include <grpo/tokenizer/char_tokenizer.h>

#include "support/expect_error.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

using grpo::ModelConfig;
using grpo::Policy;
using grpo::testing::expect_error;
using grpo::testing::TempDir;

ModelConfig tiny_config(int64_t vocab) {
  return ModelConfig()
      .vocab_size(vocab)
      .hidden_size(32)
      .intermediate_size(48)
      .num_hidden_layers(2)
      .num_attention_heads(4)
      .num_key_value_heads(2)
      .head_dim(8)
      .max_position_embeddings(64);
}

Policy make_policy(ModelConfig config, uint64_t seed = 0) {
  torch::set_num_threads(1);
  auto tokenizer = std::make_shared<const grpo::CharTokenizer>(grpo::CharTokenizerOptions("0123456789+-=ab "));
  torch::manual_seed(seed);
  grpo::Transformer model(config.vocab_size(tokenizer->vocab_size()));
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters()) p.normal_(0.0, 0.3);  // biases and norms too: all differ from init
  return Policy(model, tokenizer);
}

void expect_same_parameters(const Policy& a, const Policy& b) {
  const auto pa = a.model()->named_parameters();
  const auto pb = b.model()->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) {
    ASSERT_NE(pb.find(item.key()), nullptr) << item.key();
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  }
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(Pretrained, SaveThenLoadGivesTheSameModelAndCompletions) {
  for (const bool tied : {false, true}) {
    TempDir dir;
    auto policy = make_policy(tiny_config(1).tie_word_embeddings(tied));
    policy.save_pretrained(dir.path());
    for (const char* file : {"config.json", "model.safetensors", "generation_config.json", "char_tokenizer.json"}) {
      EXPECT_TRUE(grpo::path_exists(dir.file(file))) << file;
    }
    const grpo::SafetensorsFile weights(dir.file("model.safetensors"));
    EXPECT_EQ(weights.contains("lm_head.weight"), !tied) << "tied models write no lm_head, as transformers";
    auto loaded = Policy::from_pretrained(dir.path());
    expect_same_parameters(policy, loaded);
    EXPECT_EQ(loaded.eos_token_ids(), policy.eos_token_ids());
    const auto options = grpo::SamplingOptions().num_generations(3).max_new_tokens(12).seed(5);
    EXPECT_EQ(policy.generate({"12+", "a"}, options).completions, loaded.generate({"12+", "a"}, options).completions);
  }
}

TEST(Pretrained, ConfigJsonNamesTheFamilyAndRoundTrips) {
  struct Case {
    ModelConfig config;
    const char* architecture;
  };
  const std::vector<Case> cases = {
      {tiny_config(1), "LlamaForCausalLM"},
      {tiny_config(1).attention_bias(true).o_proj_bias(true), "LlamaForCausalLM"},
      {tiny_config(1).attention_bias(true), "Qwen2ForCausalLM"},
      {tiny_config(1).qk_norm(true).head_dim(16), "Qwen3ForCausalLM"},
      {tiny_config(1).rope_scaling_type("llama3").rope_original_max_position_embeddings(16), "LlamaForCausalLM"},
  };
  for (const auto& c : cases) {
    const auto text = grpo::hf_config_json(c.config, torch::kBFloat16, {3, 7}, 1);
    const auto json = nlohmann::json::parse(text);
    EXPECT_EQ(json["architectures"][0], c.architecture);
    EXPECT_EQ(json["dtype"], "bfloat16");
    const auto info = grpo::parse_hf_config(text, "config.json");
    EXPECT_EQ(info.architecture, c.architecture);
    EXPECT_EQ(info.dtype, torch::kBFloat16);
    EXPECT_EQ(info.eos_token_ids, (std::vector<int64_t>{3, 7}));
    EXPECT_EQ(info.bos_token_id, 1);
    const auto& r = info.config;
    EXPECT_EQ(r.hidden_size(), c.config.hidden_size());
    EXPECT_EQ(r.head_dim(), c.config.head_dim());
    EXPECT_EQ(r.attention_bias(), c.config.attention_bias());
    EXPECT_EQ(r.o_proj_bias(), c.config.o_proj_bias());
    EXPECT_EQ(r.qk_norm(), c.config.qk_norm());
    EXPECT_EQ(r.rope_scaling_type(), c.config.rope_scaling_type());
    EXPECT_EQ(r.rope_original_max_position_embeddings(), c.config.rope_original_max_position_embeddings());
  }
  expect_error([] { (void)grpo::hf_config_json(tiny_config(1).o_proj_bias(true), torch::kFloat32); },
               "fits none of Llama, Qwen2 and Qwen3");
}

TEST(Pretrained, ReadsTransformersStyleConfigs) {
  // Defaults: head_dim = hidden / heads, kv heads = heads; transformers 5 puts rope in rope_parameters.
  const auto info = grpo::parse_hf_config(R"({
    "architectures": ["LlamaForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
    "num_hidden_layers": 2, "num_attention_heads": 4, "rms_norm_eps": 1e-5, "hidden_act": "silu",
    "max_position_embeddings": 256, "tie_word_embeddings": true, "torch_dtype": "float16",
    "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
                        "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    "eos_token_id": 2, "some_field_we_ignore": [1, 2]})",
                                          "config.json");
  EXPECT_EQ(info.config.head_dim(), 16);
  EXPECT_EQ(info.config.num_key_value_heads(), 4);
  EXPECT_DOUBLE_EQ(info.config.rope_theta(), 500000.0);
  EXPECT_EQ(info.config.rope_scaling_type(), "llama3");
  EXPECT_DOUBLE_EQ(info.config.rope_scaling_factor(), 32.0);
  EXPECT_TRUE(info.config.tie_word_embeddings());
  EXPECT_EQ(info.dtype, torch::kFloat16);
  EXPECT_EQ(info.eos_token_ids, std::vector<int64_t>{2});
  // Qwen2 always has q/k/v biases and no o bias, whatever attention_bias says.
  const auto qwen2 = grpo::parse_hf_config(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 10,
    "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
    "num_key_value_heads": 1, "rope_theta": 1000000.0, "use_sliding_window": false})",
                                           "config.json");
  EXPECT_TRUE(qwen2.config.attention_bias());
  EXPECT_FALSE(qwen2.config.o_proj_bias());
  EXPECT_DOUBLE_EQ(qwen2.config.rope_theta(), 1000000.0);
}

TEST(Pretrained, ConfigErrorsNameTheFieldAndValue) {
  const std::string base = R"("vocab_size": 10, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1,
    "num_attention_heads": 2)";
  const auto parse = [&](const std::string& extra) {
    (void)grpo::parse_hf_config("{" + base + extra + "}", "dir/config.json");
  };
  expect_error([&] { parse(R"(, "architectures": ["MistralForCausalLM"])"); },
               "unsupported architecture MistralForCausalLM");
  expect_error([&] { parse(R"(, "model_type": "gpt2")"); }, "unsupported model_type 'gpt2'");
  expect_error([&] { parse(R"(, "architectures": ["LlamaForCausalLM"], "hidden_act": "gelu")"); },
               "unsupported hidden_act 'gelu'");
  expect_error([&] { parse(R"(, "architectures": ["LlamaForCausalLM"], "mlp_bias": true)"); }, "mlp_bias");
  expect_error([&] { parse(R"(, "architectures": ["LlamaForCausalLM"], "rope_scaling": {"rope_type": "yarn"})"); },
               "unsupported rope type 'yarn'");
  expect_error([&] { parse(R"(, "architectures": ["LlamaForCausalLM"], "num_key_value_heads": 3)"); },
               "dir/config.json: ModelConfig: num_attention_heads (2) must be a multiple of num_key_value_heads");
  expect_error([&] { parse(R"(, "architectures": ["LlamaForCausalLM"], "torch_dtype": "int8")"); },
               "unsupported dtype 'int8'");
  expect_error([] { (void)grpo::parse_hf_config(R"({"architectures": ["LlamaForCausalLM"]})", "c.json"); },
               "c.json: missing 'hidden_size'");
  expect_error([] { (void)grpo::parse_hf_config("{", "c.json"); }, "c.json: not valid JSON");
  expect_error([&] { parse(R"(, "architectures": ["LlamaForCausalLM"], "eos_token_id": "x")"); },
               "'eos_token_id' must be a non-negative integer or a list of them");
}

TEST(Pretrained, Llama3RopeScalingMatchesAHandComputation) {
  // head_dim 8, theta 10000: inv_freq = 1, 0.1, 0.01, 0.001 -> wavelengths 6.28, 62.8, 628, 6283.
  // original 2048, low 1, high 4: wavelengths above 2048 are divided by the factor 8, those below
  // 512 kept, and 628 lies in the band between, interpolated.
  const auto config = ModelConfig().head_dim(8).rope_theta(10000.0).rope_scaling_type("llama3")
                          .rope_scaling_factor(8.0).rope_low_freq_factor(1.0).rope_high_freq_factor(4.0)
                          .rope_original_max_position_embeddings(2048);
  const auto inv_freq = grpo::rope_inverse_frequencies(config);
  const double base[4] = {1.0, 0.1, 0.01, 0.001};
  const double expected[4] = {
      base[0],                                   // wavelength 6.28 < 512: kept
      base[1],                                   // 62.8 < 512: kept
      [&] {                                      // 628.3 in [512, 2048]: smoothed
        const double smooth = (2048 / (2 * M_PI / base[2]) - 1.0) / (4.0 - 1.0);
        return (1 - smooth) * base[2] / 8.0 + smooth * base[2];
      }(),
      base[3] / 8.0,                             // 6283 > 2048: divided by the factor
  };
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(inv_freq[i].item<double>(), expected[i], 1e-6 * base[i]) << i;
  const auto plain = grpo::rope_inverse_frequencies(ModelConfig().head_dim(8).rope_theta(10000.0));
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(plain[i].item<double>(), base[i], 1e-7) << i;
}

TEST(Pretrained, LoadsHalfPrecisionAndShardedWeights) {
  TempDir dir;
  auto policy = make_policy(tiny_config(1));
  policy.model()->to(torch::kBFloat16);
  policy.save_pretrained(dir.path());
  EXPECT_EQ(read_json(dir.file("config.json"))["dtype"], "bfloat16");
  EXPECT_EQ(grpo::SafetensorsFile(dir.file("model.safetensors")).info("model.norm.weight").dtype, torch::kBFloat16);
  // Default: float32 parameters holding the bf16 values exactly.
  auto as_float = Policy::from_pretrained(dir.path());
  EXPECT_EQ(as_float.model()->model->norm->weight.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(as_float.model()->model->norm->weight,
                           policy.model()->model->norm->weight.to(torch::kFloat32)));
  // dtype unset: the checkpoint's.
  auto as_saved = Policy::from_pretrained(dir.path(), grpo::PretrainedOptions().dtype(std::nullopt));
  expect_same_parameters(policy, as_saved);

  // Split into two shards with an index, as transformers' max_shard_size does.
  TempDir sharded;
  std::vector<std::pair<std::string, torch::Tensor>> first, second;
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  int i = 0;
  for (const auto& item : policy.model()->named_parameters()) {
    const bool one = (i++ % 2) == 0;
    (one ? first : second).emplace_back(item.key(), item.value());
    index["weight_map"][item.key()] = one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  grpo::save_safetensors(sharded.file("model-00001-of-00002.safetensors"), first);
  grpo::save_safetensors(sharded.file("model-00002-of-00002.safetensors"), second);
  write_text(sharded.file("model.safetensors.index.json"), index.dump());
  for (const char* f : {"config.json", "char_tokenizer.json"}) {
    std::ifstream in(dir.file(f), std::ios::binary);
    std::ofstream(sharded.file(f), std::ios::binary) << in.rdbuf();
  }
  expect_same_parameters(policy, Policy::from_pretrained(sharded.path(), grpo::PretrainedOptions().dtype(std::nullopt)));

  // A missing shard is named.
  std::remove(sharded.file("model-00002-of-00002.safetensors").c_str());
  expect_error([&] { (void)Policy::from_pretrained(sharded.path()); }, "shard 'model-00002-of-00002.safetensors' is missing");
}

TEST(Pretrained, EosIdsComeFromTheTokenizerConfigAndGenerationConfig) {
  TempDir dir;
  auto policy = make_policy(tiny_config(1));
  policy.save_pretrained(dir.path());
  const int64_t eq = *policy.tokenizer().token_to_id("=");
  write_text(dir.file("generation_config.json"), "{\"eos_token_id\": [1, " + std::to_string(eq) + "]}");
  auto loaded = Policy::from_pretrained(dir.path());
  EXPECT_EQ(loaded.eos_token_ids(), (std::vector<int64_t>{1, eq}));
  // Greedy decoding now stops at '=' as well: every completion ends there or at <eos> or is truncated.
  const auto rollout = loaded.generate({"1", "2+", "ab"}, grpo::SamplingOptions().top_k(1).max_new_tokens(20));
  const auto ids = rollout.completion_ids;
  const auto lengths = rollout.completion_mask.sum(1);
  for (int64_t r = 0; r < ids.size(0); ++r) {
    const auto n = lengths[r].item<int64_t>();
    for (int64_t t = 0; t + 1 < n; ++t) EXPECT_NE(ids[r][t].item<int64_t>(), eq) << "row " << r << " went past '='";
  }
  expect_error([&] { loaded.set_eos_token_ids({1000}); }, "EOS token id 1000 is outside");
}

TEST(Pretrained, BadDirectoriesGiveClearErrors) {
  TempDir dir;
  auto policy = make_policy(tiny_config(1));
  policy.save_pretrained(dir.path());
  const auto config = read_json(dir.file("config.json"));
  const auto restore_config = [&] { write_text(dir.file("config.json"), config.dump()); };

  expect_error([&] { (void)Policy::from_pretrained(dir.file("nope")); }, "does not exist");

  // Shape mismatch with the config.
  auto wider = config;
  wider["intermediate_size"] = 64;
  write_text(dir.file("config.json"), wider.dump());
  expect_error([&] { (void)Policy::from_pretrained(dir.path()); }, "has shape [48, 32] but the config gives [64, 32]");
  restore_config();

  // Unknown architecture.
  auto mistral = config;
  mistral["architectures"] = {"MistralForCausalLM"};
  write_text(dir.file("config.json"), mistral.dump());
  expect_error([&] { (void)Policy::from_pretrained(dir.path()); }, "unsupported architecture MistralForCausalLM");
  restore_config();

  // Untied config but the file has no lm_head.
  auto tied = config;
  tied["tie_word_embeddings"] = false;
  {
    TempDir other;
    make_policy(tiny_config(1).tie_word_embeddings(true)).save_pretrained(other.path());
    write_text(other.file("config.json"), tied.dump());
    expect_error([&] { (void)Policy::from_pretrained(other.path()); }, "an untied model needs lm_head.weight");
  }

  // Weights of a wrong dtype.
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& item : policy.model()->named_parameters()) {
    tensors.emplace_back(item.key(), item.key() == "model.norm.weight" ? item.value().to(torch::kLong) : item.value());
  }
  grpo::save_safetensors(dir.file("model.safetensors"), tensors);
  expect_error([&] { (void)Policy::from_pretrained(dir.path()); },
               "tensor 'model.norm.weight' has dtype Long; weights must be F32, BF16 or F16");

  // A truncated weights file.
  policy.save_pretrained(dir.path());
  std::ifstream in(dir.file("model.safetensors"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_text(dir.file("model.safetensors"), bytes.substr(0, bytes.size() - 100));
  expect_error([&] { (void)Policy::from_pretrained(dir.path()); }, "end past the data section");

  // No weights, no tokenizer.
  std::remove(dir.file("model.safetensors").c_str());
  expect_error([&] { (void)Policy::from_pretrained(dir.path()); }, "has no weights");
  std::remove(dir.file("char_tokenizer.json").c_str());
  expect_error([&] { (void)Policy::from_pretrained(dir.path()); }, "has no tokenizer");

  // A tokenizer.json of a model type the library does not implement.
  write_text(dir.file("tokenizer.json"), R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})");
  expect_error([&] { (void)grpo::load_tokenizer(dir.path()); }, "WordPiece");
}

TEST(Pretrained, LoadsOntoCudaAndAgreesWithTheCpuUnderBf16Autocast) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  TempDir dir;
  auto cpu = make_policy(tiny_config(1));
  cpu.save_pretrained(dir.path());
  auto gpu = Policy::from_pretrained(dir.path(), grpo::PretrainedOptions().device(torch::kCUDA));
  EXPECT_TRUE(gpu.model()->model->norm->weight.is_cuda());
  const auto rollout = cpu.generate({"12+", "ab"}, grpo::SamplingOptions().num_generations(2).max_new_tokens(8));
  const auto expected = cpu.logprobs(rollout).logprobs;
  const auto on = [](const torch::Tensor& t) { return t.to(torch::kCUDA); };
  const auto exact = gpu.logprobs(on(rollout.prompt_ids), on(rollout.prompt_mask), on(rollout.completion_ids),
                                  on(rollout.completion_mask)).logprobs.cpu();
  EXPECT_LT((exact - expected).abs().max().item<double>(), 1e-4) << "float32 on CUDA equals the CPU";
  gpu.set_autocast_dtype(torch::kBFloat16);
  const auto mixed = gpu.logprobs(on(rollout.prompt_ids), on(rollout.prompt_mask), on(rollout.completion_ids),
                                  on(rollout.completion_mask));
  EXPECT_EQ(mixed.logprobs.scalar_type(), torch::kFloat32);
  EXPECT_LT((mixed.logprobs.cpu() - expected).abs().max().item<double>(), 0.1) << "bf16 autocast stays close";
  const auto sampled = gpu.generate({"12+"}, grpo::SamplingOptions().num_generations(4).max_new_tokens(8));
  EXPECT_EQ(sampled.num_rows(), 4);
}

}  // namespace

