#pragma once
// Test helper: a one-layer Llama-style policy over the characters "abcd>" (or `characters`; plus
// the tokenizer's special tokens), seeded, on the CPU with one intra-op thread (tiny operations:
// threads only add waiting). Trainer tests use it as the policy, its copies as the reference.

#include <grpo/model/policy.h>
#include <grpo/tokenizer/char_tokenizer.h>

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

namespace grpo::testing {

inline Policy tiny_policy(uint64_t seed, const std::string& characters = "abcd>") {
  torch::set_num_threads(1);
  torch::manual_seed(seed);
  auto tokenizer = std::make_shared<CharTokenizer>(CharTokenizerOptions(characters));
  auto config = ModelConfig()
                    .vocab_size(tokenizer->vocab_size())
                    .hidden_size(32)
                    .intermediate_size(64)
                    .num_hidden_layers(1)
                    .num_attention_heads(2)
                    .num_key_value_heads(1)
                    .head_dim(16)
                    .max_position_embeddings(32);
  return Policy(Transformer(config), tokenizer);
}

}  // namespace grpo::testing
