// Policy::generate on a CUDA device: the captured CUDA graph replays the eager static-shape step
// token for token, half-precision sampling weights follow the optimizer, and the scorer agrees
// with the sampler within bf16 rounding. Skipped without a CUDA device.
#include <grpo/model/policy.h>
#include <grpo/tokenizer/char_tokenizer.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

using grpo::Policy;
using grpo::SamplingOptions;

Policy make_cuda_policy() {
  auto tokenizer = std::make_shared<const grpo::CharTokenizer>(grpo::CharTokenizerOptions("0123456789+-=abc"));
  torch::manual_seed(0);
  grpo::Transformer model(grpo::ModelConfig()
                              .vocab_size(tokenizer->vocab_size())
                              .hidden_size(64)
                              .intermediate_size(128)
                              .num_hidden_layers(2)
                              .num_attention_heads(4)
                              .num_key_value_heads(2)
                              .head_dim(16)
                              .max_position_embeddings(128));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) {
      if (p.dim() == 2) p.normal_(0.0, 0.3);
    }
  }
  return Policy(model, tokenizer, torch::Device(torch::kCUDA, 0));
}

const std::vector<std::string> kPrompts = {"12+3=", "abc", "99-1+4=", "7"};

double masked_max_abs_diff(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  return (a - b).abs().masked_fill(mask.logical_not(), 0).max().item<double>();
}

// Graph replay equals the eager static-shape step (the same kernels on the same buffers): the
// same tokens, masks and truncation, logprobs within float rounding; and both give the tokens of
// the dynamic loop. With compaction on, the graph is re-captured at each new batch size.
TEST(CudaPolicy, GraphReplayEqualsTheEagerStep) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  auto policy = make_cuda_policy();
  for (const bool compact : {false, true}) {
    const auto options = SamplingOptions()
                             .num_generations(8)
                             .max_new_tokens(48)
                             .top_k(8)
                             .stop_strings({"ab"})
                             .compact_finished_rows(compact)
                             .seed(3);
    const auto dynamic = policy.generate(kPrompts, options);
    const auto graphed = policy.generate(kPrompts, SamplingOptions(options).cuda_graphs(true));
    SCOPED_TRACE("compact " + std::to_string(compact));
    EXPECT_TRUE(torch::equal(graphed.completion_ids, dynamic.completion_ids));
    EXPECT_TRUE(torch::equal(graphed.completion_mask, dynamic.completion_mask));
    EXPECT_TRUE(torch::equal(graphed.truncated, dynamic.truncated));
    const auto diff = masked_max_abs_diff(graphed.sampling_logprobs, dynamic.sampling_logprobs,
                                          dynamic.completion_mask.to(torch::kBool));
    std::cout << "compact " << compact << ": graph vs dynamic sampling logprobs, max abs difference " << diff << "\n";
    EXPECT_LE(diff, 1e-4);
  }
}

// Continuous batching under CUDA graphs: 4 prompts x 8 rows through 16 slots, prompts admitted
// into freed slots (each admission captures the step again), give the dynamic loop's tokens
// with the same prompt seeds.
TEST(CudaPolicy, ContinuousBatchingUnderGraphsEqualsOneBatch) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  auto policy = make_cuda_policy();
  const auto options = SamplingOptions()
                           .num_generations(8)
                           .max_new_tokens(48)
                           .top_k(8)
                           .stop_strings({"ab"})
                           .prompt_seeds({5, 6, 7, 8});
  const auto dynamic = policy.generate(kPrompts, options);
  const auto continuous = policy.generate(kPrompts, SamplingOptions(options).max_decode_rows(16).cuda_graphs(true));
  EXPECT_TRUE(torch::equal(continuous.completion_ids, dynamic.completion_ids));
  EXPECT_TRUE(torch::equal(continuous.completion_mask, dynamic.completion_mask));
  EXPECT_TRUE(torch::equal(continuous.truncated, dynamic.truncated));
  const auto diff = masked_max_abs_diff(continuous.sampling_logprobs, dynamic.sampling_logprobs,
                                        dynamic.completion_mask.to(torch::kBool));
  std::cout << "continuous batching under graphs vs dynamic sampling logprobs, max abs difference " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
}

// bf16 autocast with float32 master weights: the sampling copies equal the master weights cast
// to bf16 after every optimizer step, the graph-replayed rollout is the one plain autocast
// samples eagerly, and the scorer's logprobs equal the sampler's within bf16 rounding.
TEST(CudaPolicy, HalfSamplingWeightsFollowTheOptimizerUnderGraphs) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  auto policy = make_cuda_policy();
  policy.set_autocast_dtype(torch::kBFloat16);
  Policy plain = policy;
  plain.set_sampling_weights_enabled(false);
  torch::optim::AdamW adamw(policy.parameters(), torch::optim::AdamWOptions(1e-3));
  const auto options = SamplingOptions().num_generations(4).max_new_tokens(32).seed(1).cuda_graphs(true);
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const auto rollout = policy.generate(kPrompts, options);
    const auto params = policy.model()->named_parameters();
    for (const auto& [name, copy] : policy.sampling_weights()) {
      EXPECT_TRUE(torch::equal(copy, params[name].detach().to(torch::kBFloat16))) << name;
    }
    const auto reference = plain.generate(kPrompts, SamplingOptions(options).cuda_graphs(false));
    EXPECT_TRUE(torch::equal(rollout.completion_ids, reference.completion_ids));
    const auto scored = policy.logprobs(rollout);
    const auto mask = rollout.completion_mask.to(torch::kBool);
    const auto diff = masked_max_abs_diff(scored.logprobs.detach(), rollout.sampling_logprobs, mask);
    std::cout << "scorer vs sampler under bf16, max abs difference " << diff << "\n";
    EXPECT_LT(diff, 0.1);
    adamw.zero_grad();
    (-scored.logprobs.masked_fill(mask.logical_not(), 0).sum()).backward();
    adamw.step();
  }
}

}  // namespace
