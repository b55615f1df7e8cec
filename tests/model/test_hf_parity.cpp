// Parity with Hugging Face transformers on real model directories: tiny random Llama (llama3
// RoPE, two EOS ids), Llama bf16 sharded, Qwen2 f16 and Qwen3 made by make_hf_models.py, and
// SmolLM2-135M-Instruct when `bash cmake/setup.sh models` has converted it.
//
// For each model, hf_pretrained_reference.py has written transformers' float32 logits of some
// prompts and its greedy continuation. Here the same directory is loaded with
// Policy::from_pretrained and must give: the same prompt token ids, logits within 1e-3 (max abs),
// and the same greedy tokens. The model is then saved with save_pretrained to <ref>/saved, which
// hf_check_saved.py loads back with transformers (a later ctest).
//
// Environment: GRPO_HF_PARITY = comma-separated `name=model_dir=reference_dir` triples (ctest
// sets it when GRPO_PYTHON is configured); a model without a reference is skipped with the
// reason (SmolLM2 before its conversion).
#include <grpo/support/files.h>
#include <grpo/model/policy.h>
#include <grpo/model/safetensors.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct ParityCase {
  std::string name, model_dir, reference_dir;
};

std::vector<ParityCase> parity_cases() {
  std::vector<ParityCase> cases;
  const char* list = std::getenv("GRPO_HF_PARITY");
  std::stringstream in(list ? list : "");
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto first = item.find('='), second = item.find('=', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    cases.push_back({item.substr(0, first), item.substr(first + 1, second - first - 1), item.substr(second + 1)});
  }
  return cases;
}

std::vector<int64_t> to_vector(const torch::Tensor& t) {
  const auto c = t.to(torch::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

void PrintTo(const ParityCase& c, std::ostream* out) { *out << c.name; }

class HfParity : public ::testing::TestWithParam<ParityCase> {};

TEST_P(HfParity, LogitsAndGreedyTokensMatchTransformers) {
  torch::set_num_threads(2);
  const auto& name = GetParam().name;
  const auto& model_dir = GetParam().model_dir;
  const auto& ref_dir = GetParam().reference_dir;
  if (!grpo::path_exists(ref_dir + "/reference.safetensors")) {
    GTEST_SKIP() << "no reference for " << name << " in " << ref_dir
                 << " (for SmolLM2: run `bash cmake/setup.sh models` to convert it)";
  }
  auto policy = grpo::Policy::from_pretrained(model_dir);
  policy.model()->eval();
  const grpo::SafetensorsFile reference(ref_dir + "/reference.safetensors");
  const auto& tokenizer = policy.tokenizer();
  double worst_abs = 0, worst_rel = 0;
  int prompts = 0;
  for (int i = 0; reference.contains("prompt_ids." + std::to_string(i)); ++i, ++prompts) {
    const auto index = std::to_string(i);
    const auto ids = reference.tensor("prompt_ids." + index).to(torch::kLong);
    const auto expected_logits = reference.tensor("logits." + index);
    const auto prompt_text = tokenizer.decode(to_vector(ids));
    EXPECT_EQ(tokenizer.encode(prompt_text), to_vector(ids)) << name << " prompt " << i << ": token ids differ";

    torch::NoGradGuard no_grad;
    const auto input = ids.unsqueeze(0);
    const auto logits = policy.model()->forward(input, torch::ones_like(input)).squeeze(0).to(torch::kFloat);
    ASSERT_EQ(logits.sizes(), expected_logits.sizes()) << name << " prompt " << i;
    const double max_abs = (logits - expected_logits).abs().max().item<double>();
    const double scale = expected_logits.abs().max().item<double>();
    worst_abs = std::max(worst_abs, max_abs);
    worst_rel = std::max(worst_rel, max_abs / scale);
    EXPECT_LE(max_abs, 1e-3) << name << " prompt " << i << ": max abs logit difference";

    const auto expected_greedy = to_vector(reference.tensor("greedy_ids." + index));
    const auto rollout = policy.generate(
        {prompt_text}, grpo::SamplingOptions().top_k(1).max_new_tokens(static_cast<int64_t>(
                           std::max<size_t>(expected_greedy.size(), 1))));
    const auto length = rollout.completion_mask.sum().item<int64_t>();
    const auto ours = to_vector(rollout.completion_ids.narrow(1, 0, length));
    EXPECT_EQ(ours, expected_greedy) << name << " prompt " << i << ": greedy tokens differ";
  }
  ASSERT_GT(prompts, 0) << "the reference holds no prompts";
  std::cout << "[ parity ] " << name << ": " << prompts << " prompts, max abs logit difference " << worst_abs
            << ", relative to the largest logit " << worst_rel << std::endl;
  policy.save_pretrained(ref_dir + "/saved");
}

INSTANTIATE_TEST_SUITE_P(Models, HfParity, ::testing::ValuesIn(parity_cases()),
                         [](const auto& info) { return info.param.name; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(HfParity);

}  // namespace
