#include "model/sampling.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace grpo::detail {

at::Generator make_generator(torch::Device device, uint64_t seed) {
  auto generator = device.is_cpu() ? at::detail::createCPUGenerator(seed)
                                   : at::globalContext().defaultGenerator(device).clone();
  generator.set_current_seed(seed);
  return generator;
}

int64_t look_interval(const SamplingOptions& options, torch::Device device) {
  if (options.done_check_interval() > 0) return options.done_check_interval();
  return device.is_cpu() ? 1 : 8;
}

Draw draw(const torch::Tensor& logits, const torch::Tensor& noise, const SamplingOptions& options) {
  const auto logp = torch::log_softmax(logits.to(torch::kFloat) / options.temperature(), -1);
  const auto vocab = logp.size(-1);
  const auto neg_inf = -std::numeric_limits<float>::infinity();
  auto filtered = logp;
  if (options.top_k() > 0 && options.top_k() < vocab) {
    const auto kth = std::get<0>(filtered.topk(options.top_k(), -1)).narrow(-1, options.top_k() - 1, 1);
    filtered = filtered.masked_fill(filtered < kth, neg_inf);
  }
  if (options.top_p() < 1) {
    const auto [sorted, order] = filtered.sort(-1, /*descending=*/true);
    const auto probs = sorted.softmax(-1);
    const auto mass_above = probs.cumsum(-1) - probs;  // the first token always stays (0 < top_p)
    const auto remove = torch::zeros_like(mass_above, torch::kBool).scatter_(-1, order, mass_above >= options.top_p());
    filtered = filtered.masked_fill(remove, neg_inf);
  }
  // A row with a NaN or +Inf logit has NaN probabilities throughout (log_softmax is NaN, or
  // NaN and -Inf); it is drawn from a uniform distribution instead, and its sampled
  // log-probability is NaN or -Inf, which generate() reports after the loop. One in-place
  // pass; no per-row flag to keep.
  const auto probs = filtered.softmax(-1).nan_to_num_(1.0);
  const auto tokens = (probs / noise).argmax(-1, /*keepdim=*/true);
  return {tokens.squeeze(1), logp.gather(-1, tokens).squeeze(1)};
}

CompletionBuffers::CompletionBuffers(int64_t rows, int64_t columns, int64_t pad_id, torch::Device device)
    : ids(torch::full({rows, columns}, pad_id, torch::TensorOptions().dtype(torch::kLong).device(device))),
      mask(torch::zeros({rows, columns}, torch::TensorOptions().dtype(torch::kLong).device(device))),
      logprobs(torch::zeros({rows, columns}, torch::TensorOptions().dtype(torch::kFloat).device(device))) {}

void CompletionBuffers::clear_from(const std::vector<int64_t>& cut, int64_t pad_id) {
  const auto device = ids.device();
  const auto columns = torch::arange(ids.size(1), torch::TensorOptions().dtype(torch::kLong).device(device));
  const auto after = columns.unsqueeze(0) >= torch::tensor(cut, torch::kLong).to(device).unsqueeze(1);
  ids.masked_fill_(after, pad_id);
  mask.masked_fill_(after, 0);
  logprobs.masked_fill_(after, 0);
}

void keep_cache_rows(KVCache& cache, const torch::Tensor& index) {
  for (size_t l = 0; l < cache.keys.size(); ++l) {
    cache.keys[l] = cache.keys[l].index_select(0, index);
    cache.values[l] = cache.values[l].index_select(0, index);
  }
}

StopMatcher::StopMatcher(const Tokenizer& tokenizer, std::vector<std::string> stop_strings,
                         std::vector<int64_t> eos_ids, int64_t rows)
    : tokenizer_(tokenizer),
      stops_(std::move(stop_strings)),
      eos_(std::move(eos_ids)),
      history_(static_cast<size_t>(rows)) {
  for (const auto& stop : stops_) window_ = std::max(window_, stop.size());
}

bool StopMatcher::feed(int64_t row, int64_t id) {
  auto& seq = history_[static_cast<size_t>(row)];
  seq.push_back(id);
  if (std::find(eos_.begin(), eos_.end(), id) != eos_.end()) return true;
  if (stops_.empty()) return false;
  const auto begin = seq.size() > window_ ? seq.end() - static_cast<std::ptrdiff_t>(window_) : seq.begin();
  const auto tail = tokenizer_.decode(std::vector<int64_t>(begin, seq.end()));
  return std::any_of(stops_.begin(), stops_.end(),
                     [&](const std::string& stop) { return tail.find(stop) != std::string::npos; });
}

}  // namespace grpo::detail
