#include <grpo/model/policy.h>
#include <grpo/tokenizer/char_tokenizer.h>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using grpo::CharTokenizer;
using grpo::CharTokenizerOptions;
using grpo::LogprobOptions;
using grpo::ModelConfig;
using grpo::Policy;
using grpo::SamplingOptions;
using grpo::Transformer;

/// A tiny random policy over a character vocabulary (seeded, CPU).
Policy make_policy(const std::string& characters, uint64_t seed = 0, bool tied = false) {
  // Ops on these tiny tensors gain nothing from intra-op threads, and on a busy 2-core machine
  // waiting threads slow them down by orders of magnitude.
  torch::set_num_threads(1);
  auto tokenizer = std::make_shared<const CharTokenizer>(CharTokenizerOptions(characters));
  torch::manual_seed(seed);
  Transformer model(ModelConfig()
                        .vocab_size(tokenizer->vocab_size())
                        .hidden_size(32)
                        .intermediate_size(48)
                        .num_hidden_layers(2)
                        .num_attention_heads(4)
                        .num_key_value_heads(2)
                        .head_dim(8)
                        .max_position_embeddings(64)
                        .tie_word_embeddings(tied));
  {
    // Larger weights than the 0.02 initialisation so that the distributions are far from uniform.
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) {
      if (p.dim() == 2) p.normal_(0.0, 0.3);
    }
  }
  return Policy(model, tokenizer);
}

const std::vector<std::string> kPrompts = {"12+3=", "<think>7", "99-1+4="};

double masked_max_abs_diff(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  return (a - b).abs().masked_fill(mask.logical_not(), 0).max().item<double>();
}

/// Independent reference: full-vocabulary logits of one forward over prompt + completion.
torch::Tensor full_logits(Policy& policy, const grpo::Rollout& rollout) {
  const auto ids = torch::cat({rollout.prompt_ids, rollout.completion_ids}, 1);
  const auto mask = torch::cat({rollout.prompt_mask, rollout.completion_mask}, 1);
  const auto p = rollout.prompt_ids.size(1);
  return policy.model()->forward(ids, mask).narrow(1, p - 1, rollout.completion_ids.size(1));
}

TEST(Policy, RolloutShapesFollowTheGroupLayout) {
  auto policy = make_policy("0123456789+-=");
  const auto rollout = policy.generate(kPrompts, SamplingOptions().num_generations(4).max_new_tokens(10).seed(3));
  const int64_t rows = 12;
  EXPECT_EQ(rollout.num_rows(), rows);
  EXPECT_EQ(rollout.prompt_ids.sizes(), (std::vector<int64_t>{rows, 7}));  // "99-1+4=" is the longest
  EXPECT_EQ(rollout.completion_ids.size(0), rows);
  EXPECT_LE(rollout.completion_ids.size(1), 10);
  EXPECT_EQ(rollout.sampling_logprobs.scalar_type(), torch::kFloat);
  EXPECT_EQ(rollout.truncated.sizes(), (std::vector<int64_t>{rows}));
  // Row r holds prompt r / G, left-padded.
  const auto& tok = policy.tokenizer();
  for (int64_t r = 0; r < rows; ++r) {
    const auto n = rollout.prompt_mask[r].sum().item<int64_t>();
    const auto ids = rollout.prompt_ids[r].narrow(0, 7 - n, n).contiguous();
    EXPECT_EQ(tok.decode(std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + n)),
              kPrompts[static_cast<size_t>(r / 4)]);
    EXPECT_EQ(rollout.prompt_mask[r].narrow(0, 0, 7 - n).sum().item<int64_t>(), 0);
  }
}

TEST(Policy, NonFiniteLogitsStopSamplingNamingTheRow) {
  auto policy = make_policy("0123456789+-=");
  {
    // A NaN embedding for '-': only the prompt that contains it gets NaN hidden states and logits.
    torch::NoGradGuard no_grad;
    const auto minus = policy.tokenizer().encode("-").at(0);
    policy.model()->model->embed_tokens->weight[minus].fill_(std::numeric_limits<float>::quiet_NaN());
  }
  // One token per row, so that no other row samples '-' and feeds it back.
  const auto options = SamplingOptions().num_generations(2).max_new_tokens(1).seed(3);
  try {
    policy.generate({"12+3=", "99-1+4="}, options);
    FAIL() << "generate accepted NaN logits";
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    EXPECT_NE(message.find("non-finite logits while sampling row 2 (prompt 1, completion 0) at completion token 0"),
              std::string::npos)
        << message;
  }
  EXPECT_NO_THROW(policy.generate({"12+3="}, options));  // the other prompt alone samples normally
}

TEST(Policy, SameSeedSameCompletionsOtherSeedOthers) {
  auto policy = make_policy("0123456789+-=");
  auto options = SamplingOptions().num_generations(4).max_new_tokens(12).temperature(1.0);
  const auto a = policy.generate(kPrompts, options.seed(11));
  const auto b = policy.generate(kPrompts, options.seed(11));
  const auto c = policy.generate(kPrompts, options.seed(12));
  EXPECT_TRUE(torch::equal(a.completion_ids, b.completion_ids));
  EXPECT_TRUE(torch::equal(a.sampling_logprobs, b.sampling_logprobs));
  EXPECT_EQ(a.completions, b.completions);
  EXPECT_NE(a.completions, c.completions);
  // The G completions of one prompt differ from each other.
  std::set<std::string> group(a.completions.begin(), a.completions.begin() + 4);
  EXPECT_GT(group.size(), 1U);
}

TEST(Policy, LogprobsEqualSamplingLogprobs) {
  auto policy = make_policy("0123456789+-=");
  for (const double temperature : {1.0, 0.7}) {
    const auto rollout = policy.generate(
        kPrompts, SamplingOptions().num_generations(3).max_new_tokens(16).temperature(temperature).top_k(6).seed(5));
    const auto scored = policy.logprobs(rollout, LogprobOptions().temperature(temperature));
    const auto mask = rollout.completion_mask.to(torch::kBool);
    const double diff = masked_max_abs_diff(scored.logprobs, rollout.sampling_logprobs, mask);
    std::cout << "temperature " << temperature << ": logprobs vs sampling logprobs, max abs difference " << diff
              << "\n";
    EXPECT_LE(diff, 1e-5);
    EXPECT_EQ(scored.logprobs.masked_fill(mask, 0).abs().max().item<double>(), 0.0) << "0 outside the mask";
  }
}

TEST(Policy, ChunkedLogprobsAndEntropyMatchAFullLogSoftmax) {
  auto policy = make_policy("0123456789+-=", /*seed=*/1, /*tied=*/true);
  const auto rollout = policy.generate(kPrompts, SamplingOptions().num_generations(2).max_new_tokens(9).seed(2));
  const auto chunked = policy.logprobs(rollout, LogprobOptions().temperature(0.8).with_entropy(true).max_chunk_elements(50));
  torch::NoGradGuard no_grad;
  const auto logp = torch::log_softmax(full_logits(policy, rollout) / 0.8, -1);
  const auto expected = logp.gather(-1, rollout.completion_ids.unsqueeze(-1)).squeeze(-1);
  const auto entropy = -(logp.exp() * logp).sum(-1);
  const auto mask = rollout.completion_mask.to(torch::kBool);
  EXPECT_LE(masked_max_abs_diff(chunked.logprobs, expected, mask), 1e-5);
  EXPECT_LE(masked_max_abs_diff(chunked.entropy, entropy, mask), 1e-5);
}

TEST(Policy, LogprobsAreDifferentiable) {
  auto policy = make_policy("0123456789+-=");
  const auto rollout = policy.generate(kPrompts, SamplingOptions().num_generations(2).max_new_tokens(6).seed(9));
  policy.logprobs(rollout).logprobs.sum().backward();
  for (const auto& item : policy.model()->named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
  }
  EXPECT_GT(policy.model()->lm_head->weight.grad().abs().sum().item<double>(), 0.0);
}

TEST(Policy, TopKOneIsGreedyArgmax) {
  auto policy = make_policy("0123456789+-=");
  const auto rollout = policy.generate(kPrompts, SamplingOptions().num_generations(2).max_new_tokens(12).top_k(1).seed(1));
  torch::NoGradGuard no_grad;
  const auto vocab = policy.tokenizer().vocab_size();
  const auto argmax = full_logits(policy, rollout).narrow(-1, 0, vocab).argmax(-1);
  const auto mask = rollout.completion_mask.to(torch::kBool);
  EXPECT_TRUE(torch::equal(rollout.completion_ids.masked_select(mask), argmax.masked_select(mask)));
  // Greedy rows of the same prompt agree.
  EXPECT_EQ(rollout.completions[0], rollout.completions[1]);
}

TEST(Policy, TopPSamplesOnlyFromTheNucleus) {
  auto policy = make_policy("0123456789+-=");
  const double top_p = 0.6;
  const auto rollout =
      policy.generate(kPrompts, SamplingOptions().num_generations(4).max_new_tokens(12).top_p(top_p).seed(6));
  torch::NoGradGuard no_grad;
  const auto vocab = policy.tokenizer().vocab_size();
  const auto probs = full_logits(policy, rollout).narrow(-1, 0, vocab).softmax(-1);
  // The sampled token must be one whose more probable tokens hold less than top_p in total.
  const auto sampled = probs.gather(-1, rollout.completion_ids.unsqueeze(-1));
  const auto mass_above = probs.masked_fill(probs <= sampled, 0).sum(-1);
  const auto mask = rollout.completion_mask.to(torch::kBool);
  EXPECT_TRUE((mass_above < top_p).masked_select(mask).all().item<bool>());
  // A tiny top_p keeps only the most probable token: greedy decoding.
  const auto greedy = policy.generate(kPrompts, SamplingOptions().max_new_tokens(8).top_k(1));
  const auto nucleus = policy.generate(kPrompts, SamplingOptions().max_new_tokens(8).top_p(1e-6).seed(3));
  EXPECT_EQ(nucleus.completions, greedy.completions);
}

TEST(Policy, GreedyCompletionDoesNotDependOnTheOtherPromptsInTheBatch) {
  auto policy = make_policy("0123456789+-=");
  const auto options = SamplingOptions().max_new_tokens(10).top_k(1);
  const auto together = policy.generate(kPrompts, options);
  for (size_t b = 0; b < kPrompts.size(); ++b) {
    EXPECT_EQ(policy.generate({kPrompts[b]}, options).completions[0], together.completions[b]) << kPrompts[b];
  }
}

// With prompt_seeds, a prompt's sampled completions are those it gets alone with its own seed,
// whatever else is in the batch (how data-parallel ranks reproduce one process's batch); with
// another seed they differ, so the check can fail.
TEST(Policy, PromptSeedsMakeEachPromptsSamplesIndependentOfTheBatch) {
  auto policy = make_policy("0123456789+-=");
  const auto options = SamplingOptions().num_generations(3).max_new_tokens(10).temperature(1.0);
  std::vector<uint64_t> seeds;
  for (size_t b = 0; b < kPrompts.size(); ++b) seeds.push_back(100 + b);
  const auto together = policy.generate(kPrompts, SamplingOptions(options).prompt_seeds(seeds));
  for (size_t b = 0; b < kPrompts.size(); ++b) {
    const auto alone = policy.generate({kPrompts[b]}, SamplingOptions(options).prompt_seeds({seeds[b]}));
    for (size_t k = 0; k < 3; ++k) EXPECT_EQ(alone.completions[k], together.completions[b * 3 + k]) << kPrompts[b];
  }
  const auto other = policy.generate({kPrompts[0]}, SamplingOptions(options).prompt_seeds({7}));
  EXPECT_NE(std::vector<std::string>(other.completions.begin(), other.completions.end()),
            std::vector<std::string>(together.completions.begin(), together.completions.begin() + 3));
  try {
    policy.generate(kPrompts, SamplingOptions(options).prompt_seeds({1}));
    FAIL() << "generate accepted one seed for " << kPrompts.size() << " prompts";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("prompt_seeds has 1 seeds for"), std::string::npos);
  }
}

/// First index of `ids` at which one of `stops` (decoded text) completes, or -1.
int64_t first_stop(const grpo::Tokenizer& tok, const std::vector<int64_t>& ids, const std::vector<std::string>& stops) {
  for (size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] == *tok.eos_token_id()) return static_cast<int64_t>(t);
    const auto text = tok.decode(std::vector<int64_t>(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(t) + 1));
    for (const auto& stop : stops) {
      if (text.find(stop) != std::string::npos) return static_cast<int64_t>(t);
    }
  }
  return -1;
}

TEST(Policy, RowsStopIndependentlyOnEosAndStopStrings) {
  auto policy = make_policy("abc");
  const std::vector<std::string> stops = {"ab", "cc"};
  const int64_t max_new = 14;
  const auto rollout = policy.generate(
      {"a", "cb"}, SamplingOptions().num_generations(8).max_new_tokens(max_new).stop_strings(stops).seed(4));
  const auto& tok = policy.tokenizer();
  std::set<int64_t> lengths;
  int truncated = 0, stopped = 0;
  for (int64_t r = 0; r < rollout.num_rows(); ++r) {
    const auto length = rollout.completion_mask[r].sum().item<int64_t>();
    const auto row = rollout.completion_ids[r].narrow(0, 0, length).contiguous();
    const std::vector<int64_t> ids(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + length);
    const auto stop = first_stop(tok, ids, stops);
    lengths.insert(length);
    if (stop >= 0) {
      ++stopped;
      EXPECT_EQ(stop, length - 1) << "row " << r << " ends at the token that completes its first stop";
      EXPECT_FALSE(rollout.truncated[r].item<bool>()) << "row " << r;
    } else {
      ++truncated;
      EXPECT_EQ(length, max_new) << "row " << r << " without a stop runs to max_new_tokens";
      EXPECT_TRUE(rollout.truncated[r].item<bool>()) << "row " << r;
    }
    EXPECT_EQ(rollout.completions[static_cast<size_t>(r)], tok.decode(ids, /*skip_special_tokens=*/true));
    // After the end of the row: padding, mask 0, logprob 0.
    const auto rest = rollout.completion_ids.size(1) - length;
    EXPECT_EQ(rollout.completion_mask[r].narrow(0, length, rest).sum().item<int64_t>(), 0);
    EXPECT_TRUE(rollout.completion_ids[r].narrow(0, length, rest).eq(*tok.pad_token_id()).all().item<bool>());
    EXPECT_EQ(rollout.sampling_logprobs[r].narrow(0, length, rest).abs().sum().item<double>(), 0.0);
  }
  std::cout << stopped << " rows stopped, " << truncated << " truncated, " << lengths.size() << " distinct lengths\n";
  EXPECT_GT(lengths.size(), 2U) << "rows stop at different steps";
  EXPECT_GT(stopped, 0);
}

/// Independent reference of generate() with one seed: no KV cache, no compaction, every step a
/// full forward over prompt + the tokens so far, and torch::multinomial (which draws a whole
/// [N, V] block from the generator) instead of the library's exponential race. Rows end on EOS
/// or a stop string (first_stop); padding, mask 0 and logprob 0 after.
struct Reference {
  torch::Tensor ids, mask, logprobs;  // [N, max_new]
  torch::Tensor ended;                // [N] bool: ended on EOS or a stop string
};

Reference reference_generate(Policy& policy, const std::vector<std::string>& prompts, const SamplingOptions& o) {
  torch::NoGradGuard no_grad;
  const auto& tok = policy.tokenizer();
  const auto g = o.num_generations(), rows = static_cast<int64_t>(prompts.size()) * g, max_new = o.max_new_tokens();
  const auto vocab = tok.vocab_size(), pad = *tok.pad_token_id();
  int64_t width = 0;
  for (const auto& p : prompts) width = std::max<int64_t>(width, static_cast<int64_t>(tok.encode(p).size()));
  auto ids = torch::full({rows, width}, pad, torch::kLong);
  auto mask = torch::zeros({rows, width}, torch::kLong);
  for (int64_t r = 0; r < rows; ++r) {
    const auto seq = tok.encode(prompts[static_cast<size_t>(r / g)]);
    const auto n = static_cast<int64_t>(seq.size());
    for (int64_t i = 0; i < n; ++i) ids[r][width - n + i] = seq[static_cast<size_t>(i)];
    mask[r].narrow(0, width - n, n).fill_(1);
  }
  Reference out{torch::full({rows, max_new}, pad, torch::kLong), torch::zeros({rows, max_new}, torch::kLong),
                torch::zeros({rows, max_new}), torch::zeros({rows}, torch::kBool)};
  auto generator = at::detail::createCPUGenerator(o.seed());
  std::vector<std::vector<int64_t>> history(static_cast<size_t>(rows));
  std::vector<bool> done(static_cast<size_t>(rows), false);
  for (int64_t t = 0; t < max_new; ++t) {
    const auto logits = policy.model()->forward(ids, mask).select(1, ids.size(1) - 1).narrow(-1, 0, vocab);
    const auto logp = torch::log_softmax(logits / o.temperature(), -1);
    auto filtered = logp;
    if (o.top_k() > 0) {
      const auto kth = std::get<0>(logp.topk(o.top_k(), -1)).narrow(-1, o.top_k() - 1, 1);
      filtered = filtered.masked_fill(filtered < kth, -INFINITY);
    }
    const auto tokens = torch::multinomial(filtered.softmax(-1), 1, false, generator).squeeze(1);
    auto column = torch::full({rows}, pad, torch::kLong);
    for (int64_t r = 0; r < rows; ++r) {
      if (done[static_cast<size_t>(r)]) continue;
      const auto id = tokens[r].item<int64_t>();
      column[r] = id;
      out.ids[r][t] = id;
      out.mask[r][t] = 1;
      out.logprobs[r][t] = logp[r][id];
      history[static_cast<size_t>(r)].push_back(id);
      done[static_cast<size_t>(r)] = first_stop(tok, history[static_cast<size_t>(r)], o.stop_strings()) >= 0;
    }
    ids = torch::cat({ids, column.unsqueeze(1)}, 1);
    mask = torch::cat({mask, torch::ones({rows, 1}, torch::kLong)}, 1);
  }
  for (int64_t r = 0; r < rows; ++r) out.ended[r] = static_cast<bool>(done[static_cast<size_t>(r)]);
  return out;
}

// The KV-cached loop with its exponential-race draws, compaction of finished rows and looks at
// the device every k tokens gives the tokens of the plain reference above, whatever the check
// interval, with compaction on or off, and with the static-shape step (cuda_graphs, run eagerly
// on the CPU); the sampling logprobs agree to float rounding.
TEST(Policy, GenerateEqualsAFullRecomputationWithMultinomialInEveryMode) {
  auto policy = make_policy("abc");
  const std::vector<std::string> prompts = {"a", "cb", "bba"};
  const auto base = SamplingOptions().num_generations(6).max_new_tokens(14).stop_strings({"ab", "cc"}).top_k(3).seed(4);
  const auto expected = reference_generate(policy, prompts, base);
  int64_t ended = 0, compared = 0;
  torch::Tensor first;
  for (const bool static_shapes : {false, true}) {
  for (const bool compact : {false, true}) {
    for (const int64_t interval : {1, 3, 8}) {
      const auto options = SamplingOptions(base)
                               .compact_finished_rows(compact)
                               .done_check_interval(interval)
                               .cuda_graphs(static_shapes);
      const auto got = policy.generate(prompts, options);
      const auto width = got.completion_ids.size(1);
      SCOPED_TRACE("static shapes " + std::to_string(static_shapes) + ", compact " + std::to_string(compact) +
                   ", interval " + std::to_string(interval));
      EXPECT_TRUE(torch::equal(got.completion_ids, expected.ids.narrow(1, 0, width)));
      EXPECT_TRUE(torch::equal(got.completion_mask, expected.mask.narrow(1, 0, width)));
      EXPECT_EQ(expected.mask.narrow(1, width, expected.mask.size(1) - width).sum().item<int64_t>(), 0)
          << "the rollout is trimmed to its longest completion";
      EXPECT_LE((got.sampling_logprobs - expected.logprobs.narrow(1, 0, width)).abs().max().item<double>(), 1e-5);
      EXPECT_TRUE(torch::equal(got.truncated, expected.ended.logical_not()));
      if (compared == 0) {
        first = got.sampling_logprobs;
      } else if (first.sizes() == got.sampling_logprobs.sizes()) {
        std::cout << "static shapes " << static_shapes << ", compact " << compact << ", interval " << interval
                  << ": sampling logprobs vs the first mode, max abs difference "
                  << (got.sampling_logprobs - first).abs().max().item<double>() << "\n";
      }
      ended = expected.ended.sum().item<int64_t>();
      ++compared;
    }
  }
  }
  EXPECT_EQ(compared, 12);
  // Rows end at different steps, so compaction happened and some rows ran to the end.
  EXPECT_GT(ended, 9) << "more than half the rows stop early";
  EXPECT_LT(ended, 18);
}

// Continuous batching (max_decode_rows below the rollout's N rows): prompts wait, are admitted
// into the slots that finished rows free and decode at their own positions, and every row gets
// the tokens of the whole batch decoded at once with the same prompt seeds, for any batch size,
// look interval, with or without compaction. Without prompt seeds, prompt b draws from a
// generator seeded with the b-th 64-bit draw of a CPU generator seeded with `seed`.
TEST(Policy, ContinuousBatchingGivesTheRolloutOfOneBatch) {
  auto policy = make_policy("abc");
  const std::vector<std::string> prompts = {"a", "cb", "bba", "c", "abcab"};
  const auto base = SamplingOptions()
                        .num_generations(3)
                        .max_new_tokens(12)
                        .stop_strings({"ab", "cc"})
                        .top_k(3)
                        .top_p(0.95)
                        .prompt_seeds({11, 12, 13, 14, 15});
  const auto expected = policy.generate(prompts, base);  // the 15 rows in one batch
  const auto ended = expected.truncated.logical_not().sum().item<int64_t>();
  EXPECT_GT(ended, 3) << "rows end early and free their slots";
  EXPECT_LT(ended, 15);
  int64_t compared = 0;
  for (const int64_t max_rows : {3, 7, 9}) {
    for (const int64_t interval : {1, 4}) {
      for (const bool compact : {false, true}) {
        SCOPED_TRACE("max_decode_rows " + std::to_string(max_rows) + ", interval " + std::to_string(interval) +
                     ", compact " + std::to_string(compact));
        const auto got = policy.generate(prompts, SamplingOptions(base)
                                                      .max_decode_rows(max_rows)
                                                      .done_check_interval(interval)
                                                      .compact_finished_rows(compact));
        ASSERT_EQ(got.completion_ids.sizes(), expected.completion_ids.sizes());
        EXPECT_TRUE(torch::equal(got.completion_ids, expected.completion_ids));
        EXPECT_TRUE(torch::equal(got.completion_mask, expected.completion_mask));
        EXPECT_TRUE(torch::equal(got.truncated, expected.truncated));
        EXPECT_EQ(got.completions, expected.completions);
        EXPECT_LE((got.sampling_logprobs - expected.sampling_logprobs).abs().max().item<double>(), 1e-5);
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 12);

  auto seeder = at::detail::createCPUGenerator(5);
  std::vector<uint64_t> derived;
  for (size_t b = 0; b < prompts.size(); ++b) derived.push_back(at::check_generator<at::CPUGeneratorImpl>(seeder)->random64());
  const auto unseeded = SamplingOptions(base).prompt_seeds({}).seed(5);
  const auto continuous = policy.generate(prompts, SamplingOptions(unseeded).max_decode_rows(6));
  EXPECT_EQ(continuous.completions, policy.generate(prompts, SamplingOptions(unseeded).prompt_seeds(derived)).completions);
  EXPECT_NE(continuous.completions, policy.generate(prompts, unseeded).completions)
      << "one generator for all rows draws otherwise";
  try {
    policy.generate(prompts, SamplingOptions(base).max_decode_rows(2));
    FAIL() << "max_decode_rows below num_generations was accepted";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("max_decode_rows must be 0 (all rows) or >= num_generations (3), got 2"),
              std::string::npos);
  }
}

TEST(Policy, EosStopsARowWithoutStopStrings) {
  auto policy = make_policy("ab");
  const auto rollout = policy.generate({"ab", "b"}, SamplingOptions().num_generations(8).max_new_tokens(12)
                                                       .done_check_interval(3).seed(8));
  const auto eos = *policy.tokenizer().eos_token_id();
  int ended = 0;
  for (int64_t r = 0; r < rollout.num_rows(); ++r) {
    const auto length = rollout.completion_mask[r].sum().item<int64_t>();
    const auto row = rollout.completion_ids[r];
    const auto eos_before_last = row.narrow(0, 0, length - 1).eq(eos).any().item<bool>();
    EXPECT_FALSE(eos_before_last) << "row " << r << " continued past EOS";
    const bool ends_with_eos = row[length - 1].item<int64_t>() == eos;
    ended += ends_with_eos ? 1 : 0;
    EXPECT_EQ(rollout.truncated[r].item<bool>(), !ends_with_eos) << "row " << r;
    if (!ends_with_eos) {
      EXPECT_EQ(length, 12) << "row " << r;
    }
  }
  EXPECT_GT(ended, 0);
  EXPECT_LT(ended, rollout.num_rows());
}

TEST(Policy, SamplingOptionErrorsNameTheOption) {
  auto policy = make_policy("ab");
  auto message = [&](const SamplingOptions& options, const std::vector<std::string>& prompts = {"a"}) {
    try {
      policy.generate(prompts, options);
    } catch (const c10::Error& e) {
      return std::string(e.msg());
    }
    return std::string();
  };
  EXPECT_NE(message(SamplingOptions().temperature(0)).find("temperature must be > 0, got 0"), std::string::npos);
  EXPECT_NE(message(SamplingOptions().top_p(1.5)).find("top_p must be in (0, 1], got 1.5"), std::string::npos);
  EXPECT_NE(message(SamplingOptions().top_k(-1)).find("top_k must be >= 0, got -1"), std::string::npos);
  EXPECT_NE(message(SamplingOptions().num_generations(0)).find("num_generations must be >= 1, got 0"),
            std::string::npos);
  EXPECT_NE(message(SamplingOptions().max_new_tokens(64)).find("exceeds max_position_embeddings (64)"),
            std::string::npos);
  EXPECT_NE(message(SamplingOptions(), {"a", ""}).find("prompt 1 encodes to no tokens"), std::string::npos);
}

TEST(Policy, CloneFrozenIsAnIndependentFrozenCopy) {
  auto policy = make_policy("0123456789+-=");
  torch::manual_seed(77);
  const auto expected_draw = torch::rand({4});
  torch::manual_seed(77);
  auto reference = policy.clone_frozen();
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected_draw)) << "the global generator is untouched";

  const auto source = policy.model()->named_parameters();
  for (const auto& item : reference.model()->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), source[item.key()])) << item.key();
    EXPECT_FALSE(item.value().requires_grad()) << item.key();
  }
  EXPECT_FALSE(reference.model()->is_training());
  {
    torch::NoGradGuard no_grad;
    policy.model()->lm_head->weight.add_(1.0);
  }
  EXPECT_FALSE(torch::equal(reference.model()->lm_head->weight, policy.model()->lm_head->weight));
}

TEST(Policy, SaveThenLoadRestoresParameters) {
  auto policy = make_policy("ab", /*seed=*/1);
  auto other = make_policy("ab", /*seed=*/2);
  const std::string path = ::testing::TempDir() + "grpo_policy_test.safetensors";
  policy.save(path);
  other.load(path);
  std::remove(path.c_str());
  const auto source = policy.model()->named_parameters();
  for (const auto& item : other.model()->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), source[item.key()])) << item.key();
  }
}

TEST(Policy, AutocastRunsInHalfPrecisionAndKeepsFloat32Outputs) {
  auto policy = make_policy("0123456789+=", /*seed=*/3);
  const auto rollout = policy.generate(kPrompts, SamplingOptions().num_generations(2).max_new_tokens(10).seed(1));
  const auto exact = policy.logprobs(rollout).logprobs.detach();
  policy.set_autocast_dtype(torch::kBFloat16);
  auto mixed = policy.logprobs(rollout, LogprobOptions().with_entropy(true));
  EXPECT_FALSE(at::autocast::is_autocast_enabled(at::kCPU)) << "the guard restores the previous state";
  EXPECT_EQ(mixed.logprobs.scalar_type(), torch::kFloat32);
  EXPECT_EQ(mixed.entropy.scalar_type(), torch::kFloat32);
  // bfloat16 keeps 8 bits of mantissa: close to, but not equal to, the float32 result.
  const auto diff = (mixed.logprobs.detach() - exact).abs().max().item<double>();
  EXPECT_GT(diff, 0.0) << "autocast had no effect";
  EXPECT_LT(diff, 0.1);
  mixed.logprobs.sum().backward();
  const auto& grad = policy.model()->lm_head->weight.grad();
  ASSERT_TRUE(grad.defined());
  EXPECT_EQ(grad.scalar_type(), torch::kFloat32) << "float32 master weights get float32 gradients";
  // Sampling works under autocast too.
  const auto sampled = policy.generate(kPrompts, SamplingOptions().max_new_tokens(6).seed(2));
  EXPECT_EQ(sampled.num_rows(), 3);
  EXPECT_THROW(policy.set_autocast_dtype(torch::kFloat64), c10::Error);
}

// Under bf16 autocast with float32 master weights, generate() samples with half-precision copies
// of the linear weights: each copy equals its master weight cast to bf16, the rollout is
// bit-identical to sampling under plain autocast, and after an optimizer step the same copies
// (same storage) hold the new master weights.
TEST(Policy, HalfPrecisionSamplingWeightsEqualAutocastAndFollowTheOptimizer) {
  auto policy = make_policy("0123456789+=", /*seed=*/3);
  policy.set_autocast_dtype(torch::kBFloat16);
  Policy plain = policy;  // shares the parameters, samples under plain autocast
  plain.set_sampling_weights_enabled(false);
  const auto options = SamplingOptions().num_generations(2).max_new_tokens(8).seed(5);
  auto check = [&](const std::string& when) {
    SCOPED_TRACE(when);
    auto rollout = policy.generate(kPrompts, options);
    const auto copies = policy.sampling_weights();
    EXPECT_EQ(copies.size(), 2U * 7U + 1U) << "q, k, v, o, gate, up, down of 2 layers, and lm_head";
    const auto params = policy.model()->named_parameters();
    for (const auto& [name, copy] : copies) {
      EXPECT_EQ(copy.scalar_type(), torch::kBFloat16) << name;
      EXPECT_TRUE(torch::equal(copy, params[name].detach().to(torch::kBFloat16))) << name;
    }
    EXPECT_EQ(policy.model()->lm_head->weight.scalar_type(), torch::kFloat) << "the master weight is back";
    const auto reference = plain.generate(kPrompts, options);
    EXPECT_TRUE(plain.sampling_weights().empty());
    EXPECT_TRUE(torch::equal(rollout.completion_ids, reference.completion_ids));
    EXPECT_TRUE(torch::equal(rollout.sampling_logprobs, reference.sampling_logprobs));
    // The scorer, under the same autocast, agrees with the sampler within bf16 rounding.
    const auto scored = policy.logprobs(rollout).logprobs.detach();
    const auto diff = masked_max_abs_diff(scored, rollout.sampling_logprobs, rollout.completion_mask.to(torch::kBool));
    std::cout << when << ": scoring vs sampling logprobs under bf16 autocast, max abs difference " << diff << "\n";
    EXPECT_LT(diff, 0.1);
    return std::make_pair(rollout, copies);
  };
  const auto [rollout, before] = check("before the optimizer step");
  std::vector<torch::Tensor> old_values;
  for (const auto& item : before) old_values.push_back(item.second.clone());
  torch::optim::SGD sgd(policy.parameters(), torch::optim::SGDOptions(0.5));
  policy.logprobs(rollout).logprobs.sum().backward();
  sgd.step();
  const auto after = check("after the optimizer step").second;
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].second.data_ptr(), before[i].second.data_ptr()) << "refreshed in place: " << after[i].first;
    EXPECT_FALSE(torch::equal(after[i].second, old_values[i])) << "the step moved " << after[i].first;
  }
}

}  // namespace
