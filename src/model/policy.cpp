#include <grpo/model/policy.h>

#include "model/decode_graph.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace grpo {
namespace {

void check_options(const SamplingOptions& o) {
  TORCH_CHECK(o.num_generations() >= 1, "SamplingOptions: num_generations must be >= 1, got ", o.num_generations());
  TORCH_CHECK(o.max_new_tokens() >= 1, "SamplingOptions: max_new_tokens must be >= 1, got ", o.max_new_tokens());
  TORCH_CHECK(o.temperature() > 0, "SamplingOptions: temperature must be > 0, got ", o.temperature());
  TORCH_CHECK(o.top_p() > 0 && o.top_p() <= 1, "SamplingOptions: top_p must be in (0, 1], got ", o.top_p());
  TORCH_CHECK(o.top_k() >= 0, "SamplingOptions: top_k must be >= 0, got ", o.top_k());
  TORCH_CHECK(o.done_check_interval() >= 0, "SamplingOptions: done_check_interval must be >= 0, got ",
              o.done_check_interval());
  for (const auto& stop : o.stop_strings()) {
    TORCH_CHECK(!stop.empty(), "SamplingOptions: stop_strings must not contain an empty string");
  }
}

void check_options(const LogprobOptions& o) {
  TORCH_CHECK(o.temperature() > 0, "LogprobOptions: temperature must be > 0, got ", o.temperature());
  TORCH_CHECK(o.max_chunk_elements() >= 1, "LogprobOptions: max_chunk_elements must be >= 1, got ",
              o.max_chunk_elements());
}

/// A generator seeded with `seed` for `device`, independent of the global one.
at::Generator make_generator(torch::Device device, uint64_t seed) {
  auto generator = device.is_cpu() ? at::detail::createCPUGenerator(seed)
                                   : at::globalContext().defaultGenerator(device).clone();
  generator.set_current_seed(seed);
  return generator;
}

/// One decoding step's draw.
struct Draw {
  torch::Tensor tokens;    // [n] int64
  torch::Tensor logprobs;  // [n] float32, under log_softmax(logits / temperature); NaN or -Inf
                           // for a row whose logits were not finite
};

/// The random numbers of one decoding step for all N = B * group rows, [N, V] float32 draws of
/// Exponential(1): with one generator, all rows from it; with B generators, prompt b's rows from
/// generators[b] alone. Drawn for every row, also finished ones, so that a row's draws never
/// depend on which other rows are still sampling.
torch::Tensor exponential_noise(int64_t rows, int64_t vocab, int64_t group, std::vector<at::Generator>& generators,
                                torch::Device device) {
  auto noise = torch::empty({rows, vocab}, torch::TensorOptions().dtype(torch::kFloat).device(device));
  if (generators.size() == 1) {
    noise.exponential_(1.0, generators[0]);
  } else {
    for (size_t b = 0; b < generators.size(); ++b) {
      noise.narrow(0, static_cast<int64_t>(b) * group, group).exponential_(1.0, generators[b]);
    }
  }
  return noise;
}

/// Samples one token per row from `logits` [n, V] after temperature, top-k and top-p, with the
/// step's `noise` [n, V] (exponential_noise() of these rows): the token is
/// argmax(probs / noise), the exponential race, which draws from `probs` exactly (the minimum
/// of independent Exp(1) / p_i is attained at i with probability p_i). It is what
/// torch::multinomial(probs, 1) computes from the same generator, without its host-side check
/// of the probabilities, so the step never waits for the device.
Draw draw(const torch::Tensor& logits, const torch::Tensor& noise, const SamplingOptions& o) {
  const auto logp = torch::log_softmax(logits.to(torch::kFloat) / o.temperature(), -1);
  const auto vocab = logp.size(-1);
  const auto neg_inf = -std::numeric_limits<float>::infinity();
  auto filtered = logp;
  if (o.top_k() > 0 && o.top_k() < vocab) {
    const auto kth = std::get<0>(filtered.topk(o.top_k(), -1)).narrow(-1, o.top_k() - 1, 1);
    filtered = filtered.masked_fill(filtered < kth, neg_inf);
  }
  if (o.top_p() < 1) {
    const auto [sorted, order] = filtered.sort(-1, /*descending=*/true);
    const auto probs = sorted.softmax(-1);
    const auto mass_above = probs.cumsum(-1) - probs;  // the first token always stays (0 < top_p)
    const auto remove = torch::zeros_like(mass_above, torch::kBool).scatter_(-1, order, mass_above >= o.top_p());
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

// Autocast to `dtype` on `device` for the guard's lifetime when a dtype is given (the C++
// counterpart of `torch.autocast`); restores the previous state.
class AutocastGuard {
 public:
  AutocastGuard(torch::Device device, std::optional<torch::ScalarType> dtype) : device_type_(device.type()) {
    if (!dtype) return;
    active_ = true;
    was_enabled_ = at::autocast::is_autocast_enabled(device_type_);
    previous_dtype_ = at::autocast::get_autocast_dtype(device_type_);
    at::autocast::set_autocast_enabled(device_type_, true);
    at::autocast::set_autocast_dtype(device_type_, *dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_type_, was_enabled_);
    at::autocast::set_autocast_dtype(device_type_, previous_dtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_type_;
  bool active_ = false;
  bool was_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat;
};

}  // namespace

/// Half-precision copies of the linear layers' weights, for sampling under autocast.
struct Policy::SamplingWeights {
  struct Entry {
    std::string name;                      // the weight's parameter name
    torch::nn::LinearImpl* linear;         // owned by the model the Policy holds
    torch::Tensor master;                  // the float32 parameter
    torch::Tensor copy;                    // [out, in] in `dtype`
  };
  torch::ScalarType dtype = torch::kBFloat16;
  std::vector<Entry> entries;

  /// Copies every master weight into its copy, in place. Always all of them: the tensors'
  /// version counters would miss updates made without them (LibTorch's SGD step leaves them
  /// unchanged, found by the test).
  void refresh() {
    torch::NoGradGuard no_grad;
    for (auto& e : entries) e.copy.copy_(e.master);
  }
};

namespace {

/// Points every linear layer at its half-precision copy for the guard's lifetime, then back at
/// its master weight (also when generate() throws).
class SamplingWeightsGuard {
 public:
  explicit SamplingWeightsGuard(std::vector<std::pair<torch::nn::LinearImpl*, torch::Tensor>> swaps)
      : swaps_(std::move(swaps)) {
    for (auto& [linear, weight] : swaps_) std::swap(linear->weight, weight);
  }
  ~SamplingWeightsGuard() {
    for (auto& [linear, weight] : swaps_) std::swap(linear->weight, weight);
  }
  SamplingWeightsGuard(const SamplingWeightsGuard&) = delete;
  SamplingWeightsGuard& operator=(const SamplingWeightsGuard&) = delete;

 private:
  std::vector<std::pair<torch::nn::LinearImpl*, torch::Tensor>> swaps_;
};

}  // namespace

Policy::Policy(Transformer model, std::shared_ptr<const Tokenizer> tokenizer, torch::Device device)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), device_(device), pad_id_(0) {
  TORCH_CHECK(tokenizer_ != nullptr, "Policy: tokenizer must not be null");
  TORCH_CHECK(tokenizer_->vocab_size() <= model_->config().vocab_size(), "Policy: the tokenizer has ",
              tokenizer_->vocab_size(), " ids but the model's vocab_size is ", model_->config().vocab_size());
  const auto pad = tokenizer_->pad_token_id() ? tokenizer_->pad_token_id() : tokenizer_->eos_token_id();
  TORCH_CHECK(pad.has_value(), "Policy: the tokenizer has neither a pad nor an EOS token to pad with");
  pad_id_ = *pad;
  if (const auto eos = tokenizer_->eos_token_id()) eos_token_ids_.push_back(*eos);
  model_->to(device_);
}

void Policy::set_autocast_dtype(std::optional<torch::ScalarType> dtype) {
  TORCH_CHECK(!dtype || *dtype == torch::kBFloat16 || *dtype == torch::kFloat16,
              "Policy: autocast dtype must be BFloat16 or Half, got ", *dtype);
  autocast_dtype_ = dtype;
}

void Policy::set_sampling_weights_enabled(bool enabled) {
  sampling_weights_enabled_ = enabled;
  if (!enabled) sampling_weights_.reset();
}

std::vector<std::pair<std::string, torch::Tensor>> Policy::sampling_weights() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  if (sampling_weights_ != nullptr) {
    for (const auto& e : sampling_weights_->entries) out.emplace_back(e.name, e.copy);
  }
  return out;
}

void Policy::set_eos_token_ids(std::vector<int64_t> ids) {
  for (const auto id : ids) {
    TORCH_CHECK(id >= 0 && id < tokenizer_->vocab_size(), "Policy: EOS token id ", id, " is outside [0, ",
                tokenizer_->vocab_size(), ")");
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  eos_token_ids_ = std::move(ids);
}

std::vector<std::pair<torch::nn::LinearImpl*, torch::Tensor>> Policy::prepare_sampling_weights() {
  if (!autocast_dtype_ || !sampling_weights_enabled_) return {};
  if (sampling_weights_ == nullptr || sampling_weights_->dtype != *autocast_dtype_) {
    auto weights = std::make_shared<SamplingWeights>();
    weights->dtype = *autocast_dtype_;
    for (const auto& item : model_->named_modules()) {
      auto* linear = item.value()->as<torch::nn::LinearImpl>();
      if (linear == nullptr || linear->weight.scalar_type() != torch::kFloat) continue;
      const auto& master = linear->weight;
      weights->entries.push_back(
          {item.key() + ".weight", linear, master, torch::empty_like(master, master.options().dtype(weights->dtype))});
    }
    sampling_weights_ = std::move(weights);
  }
  sampling_weights_->refresh();
  std::vector<std::pair<torch::nn::LinearImpl*, torch::Tensor>> swaps;
  for (const auto& e : sampling_weights_->entries) swaps.emplace_back(e.linear, e.copy);
  return swaps;
}

Rollout Policy::generate(const std::vector<std::string>& prompts, const SamplingOptions& options) {
  check_options(options);
  TORCH_CHECK(!prompts.empty(), "Policy::generate: prompts must not be empty");
  TORCH_CHECK(options.prompt_seeds().empty() || options.prompt_seeds().size() == prompts.size(),
              "Policy::generate: prompt_seeds has ", options.prompt_seeds().size(), " seeds for ", prompts.size(),
              " prompts; give one per prompt or none");
  torch::NoGradGuard no_grad;
  const AutocastGuard autocast(device_, autocast_dtype_);
  const SamplingWeightsGuard half_weights(prepare_sampling_weights());
  const auto num_prompts = static_cast<int64_t>(prompts.size());
  const auto group = options.num_generations();
  const auto rows = num_prompts * group;
  const auto max_new = options.max_new_tokens();
  const auto vocab = tokenizer_->vocab_size();
  const auto& eos = eos_token_ids_;
  const auto eos_ids = torch::tensor(eos, torch::TensorOptions().dtype(torch::kLong)).to(device_);

  // Encode and left-pad the B prompts.
  std::vector<std::vector<int64_t>> encoded;
  int64_t prompt_width = 0;
  for (size_t b = 0; b < prompts.size(); ++b) {
    encoded.push_back(tokenizer_->encode(prompts[b]));
    TORCH_CHECK(!encoded.back().empty(), "Policy::generate: prompt ", b, " encodes to no tokens");
    prompt_width = std::max(prompt_width, static_cast<int64_t>(encoded.back().size()));
  }
  const auto capacity = prompt_width + max_new;
  TORCH_CHECK(capacity <= model_->config().max_position_embeddings(), "Policy::generate: longest prompt (",
              prompt_width, " tokens) + max_new_tokens (", max_new, ") exceeds max_position_embeddings (",
              model_->config().max_position_embeddings(), ")");
  auto ids_host = torch::full({num_prompts, prompt_width}, pad_id_, torch::kLong);
  auto mask_host = torch::zeros({num_prompts, prompt_width}, torch::kLong);
  for (int64_t b = 0; b < num_prompts; ++b) {
    const auto& seq = encoded[static_cast<size_t>(b)];
    const auto n = static_cast<int64_t>(seq.size());
    std::copy(seq.begin(), seq.end(), ids_host.data_ptr<int64_t>() + b * prompt_width + prompt_width - n);
    mask_host[b].narrow(0, prompt_width - n, n).fill_(1);
  }
  const auto prompt_ids_b = ids_host.to(device_);
  const auto prompt_mask_b = mask_host.to(device_);

  // Prefill the B prompts once, then give each of the N rows a copy of its prompt's cache.
  auto prompt_cache = model_->new_cache(num_prompts, prompt_width);
  const auto last_hidden = model_->hidden_states(prompt_ids_b, prompt_mask_b, {}, &prompt_cache)
                               .select(1, prompt_width - 1);
  auto logits = model_->logits(last_hidden).narrow(-1, 0, vocab).repeat_interleave(group, 0);
  auto cache = model_->new_cache(rows, capacity);
  for (size_t l = 0; l < cache.keys.size(); ++l) {
    cache.keys[l].narrow(2, 0, prompt_width).copy_(prompt_cache.keys[l].repeat_interleave(group, 0));
    cache.values[l].narrow(2, 0, prompt_width).copy_(prompt_cache.values[l].repeat_interleave(group, 0));
  }
  cache.length = prompt_width;
  prompt_cache = KVCache();

  Rollout rollout;
  rollout.prompts = prompts;
  rollout.num_generations = group;
  rollout.prompt_ids = prompt_ids_b.repeat_interleave(group, 0);
  rollout.prompt_mask = prompt_mask_b.repeat_interleave(group, 0);
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(device_);
  const auto bool_options = torch::TensorOptions().dtype(torch::kBool).device(device_);
  // Outputs, [N, max_new] by original row; a row's columns after its end keep these values.
  auto completion_ids = torch::full({rows, max_new}, pad_id_, long_options);
  auto completion_mask = torch::zeros({rows, max_new}, long_options);
  auto sampling_logprobs = torch::zeros({rows, max_new}, torch::TensorOptions().dtype(torch::kFloat).device(device_));
  auto finished = torch::zeros({rows}, bool_options);  // [N]: ended on EOS or a stop string

  // The decoding batch holds the n live rows (n = N until the first compaction): slot s is
  // original row live_rows[s] (undefined while the slots are the rows themselves, in the
  // dynamic mode).
  const bool static_shapes = options.cuda_graphs();
  const bool graphs = static_shapes && device_.is_cuda();
  TORCH_CHECK(!graphs || DecodeGraph::available(),
              "Policy::generate: cuda_graphs needs a build of grpo against a CUDA LibTorch");
  torch::Tensor live_rows = static_shapes ? torch::arange(rows, long_options) : torch::Tensor();
  std::vector<int64_t> live_rows_host(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) live_rows_host[static_cast<size_t>(r)] = r;
  const auto live = [&] { return static_cast<int64_t>(live_rows_host.size()); };
  const auto compacted = [&] { return live() < rows; };  // else slot s is row s
  // [n, P + max_new]: the dynamic mode reads its first P + t + 1 columns at step t; the static
  // mode reads all of it and marks each new position in place before the forward that writes it.
  auto attention_mask = torch::cat(
      {rollout.prompt_mask, static_shapes ? torch::zeros({rows, max_new}, long_options) : torch::ones({rows, max_new}, long_options)},
      1);
  auto positions = rollout.prompt_mask.sum(1, /*keepdim=*/true);  // [n, 1] next position of each slot
  auto done = torch::zeros({rows}, bool_options);                 // [n]
  auto tokens = torch::full({rows}, pad_id_, long_options);       // [n] the last sampled tokens
  // Static mode: the output column the next sample() writes and the cache column the next
  // forward() writes, as [1] device tensors that the step advances itself.
  auto column = torch::zeros({1}, long_options);
  if (static_shapes) cache.write_position = torch::full({1}, prompt_width, long_options);
  auto write = [&](torch::Tensor& out, int64_t t, const torch::Tensor& values) {
    if (static_shapes) {
      out.index_put_({live_rows, column}, values);
    } else if (live_rows.defined()) {
      out.select(1, t).index_copy_(0, live_rows, values);
    } else {
      out.select(1, t).copy_(values);
    }
  };

  // Stop strings are matched on the host in a window of the last tokens: every token decodes
  // to at least one byte, so a stop string of n bytes spans at most n tokens.
  const auto& stops = options.stop_strings();
  const bool host_tracking = !stops.empty();
  size_t window = 0;
  for (const auto& stop : stops) window = std::max(window, stop.size());
  std::vector<std::vector<int64_t>> history(host_tracking ? static_cast<size_t>(rows) : 0);
  std::vector<char> done_host(static_cast<size_t>(rows), 0);
  int64_t checked = 0;  // columns before this one have been matched on the host
  // Reads the columns [checked, t] of the live rows once and matches them on the host. A row
  // that completed a stop string before column t had its later columns sampled meanwhile: they
  // are cleared to padding, mask 0 and logprob 0, as if it had stopped there.
  auto match_stop_strings = [&](int64_t t) {
    const auto width = t + 1 - checked;
    const auto columns = completion_ids.narrow(1, checked, width);
    const auto block = (compacted() ? columns.index_select(0, live_rows) : columns).to(torch::kCPU).contiguous();
    const auto* token = block.data_ptr<int64_t>();
    std::vector<int64_t> stopped_slots;
    std::vector<int64_t> cut(static_cast<size_t>(rows), max_new);  // first column to clear, by row
    bool late = false;
    for (int64_t slot = 0; slot < live(); ++slot) {
      const auto r = static_cast<size_t>(live_rows_host[static_cast<size_t>(slot)]);
      if (done_host[r]) continue;
      auto& seq = history[r];
      for (int64_t j = 0; j < width; ++j) {
        const auto id = token[slot * width + j];
        seq.push_back(id);
        bool stop_here = std::find(eos.begin(), eos.end(), id) != eos.end();
        if (!stop_here) {
          const auto begin = seq.size() > window ? seq.end() - static_cast<std::ptrdiff_t>(window) : seq.begin();
          const auto tail = tokenizer_->decode(std::vector<int64_t>(begin, seq.end()));
          stop_here = std::any_of(stops.begin(), stops.end(),
                                  [&](const std::string& stop) { return tail.find(stop) != std::string::npos; });
        }
        if (!stop_here) continue;
        done_host[r] = 1;
        stopped_slots.push_back(slot);
        if (checked + j < t) {
          cut[r] = checked + j + 1;
          late = true;
        }
        break;
      }
    }
    checked = t + 1;
    if (stopped_slots.empty()) return;
    done.index_fill_(0, torch::tensor(stopped_slots, torch::kLong).to(device_), true);
    if (late) {
      const auto after =
          torch::arange(max_new, long_options).unsqueeze(0) >= torch::tensor(cut, torch::kLong).to(device_).unsqueeze(1);
      completion_ids.masked_fill_(after, pad_id_);
      completion_mask.masked_fill_(after, 0);
      sampling_logprobs.masked_fill_(after, 0);
    }
  };

  const int64_t check_interval =
      options.done_check_interval() > 0 ? options.done_check_interval() : (device_.is_cpu() ? 1 : 8);
  std::vector<at::Generator> generators;
  if (options.prompt_seeds().empty()) generators.push_back(make_generator(device_, options.seed()));
  for (const auto seed : options.prompt_seeds()) generators.push_back(make_generator(device_, seed));
  // Sampling half of a step: draws output column t for the live slots from `logits`.
  auto sample = [&](int64_t t) {
    auto noise = exponential_noise(rows, vocab, group, generators, device_);
    if (compacted()) noise = noise.index_select(0, live_rows);
    const auto step = draw(logits, noise, options);
    tokens.copy_(step.tokens.masked_fill(done, pad_id_));
    write(completion_ids, t, tokens);
    write(sampling_logprobs, t, step.logprobs.masked_fill(done, 0));
    write(completion_mask, t, done.logical_not().to(torch::kLong));
    if (!eos.empty()) done.logical_or_(torch::isin(tokens, eos_ids));
    if (static_shapes) column.add_(1);
  };
  // Model half: feeds the tokens of column t (cache position P + t), giving the logits of t + 1.
  auto forward = [&](int64_t t) {
    torch::Tensor hidden;
    if (static_shapes) {
      attention_mask.index_fill_(1, cache.write_position, 1);
      hidden = model_->hidden_states(tokens.unsqueeze(1), attention_mask, positions, &cache);
      cache.write_position.add_(1);
    } else {
      hidden = model_->hidden_states(tokens.unsqueeze(1), attention_mask.narrow(1, 0, prompt_width + t + 1), positions,
                                     &cache);
    }
    logits = model_->logits(hidden.select(1, 0)).narrow(-1, 0, vocab);
    positions.add_(1);
  };
  // CUDA graphs: one per decoding batch size, captured after one eager step at that size (the
  // warm-up CUDA wants before a capture) and replayed for the later steps; a compaction, which
  // reallocates the batch's buffers, starts the next size.
  std::unique_ptr<DecodeGraph> graph;
  bool warmed_up = false;

  sample(0);
  for (int64_t t = 0;; ++t) {
    // Between looks the loop never waits for the device: it decodes every live slot.
    const bool last = t + 1 == max_new;
    if ((t + 1) % check_interval == 0 || last) {
      if (host_tracking) match_stop_strings(t);
      if (last) break;
      // One read of the device: how many slots are still sampling.
      const auto not_done = done.logical_not();
      const int64_t remaining = not_done.sum().item<int64_t>();
      if (remaining == 0) break;
      if (options.compact_finished_rows() && remaining <= live() / 2) {
        // Compaction: finished slots leave the batch (their outputs are final), so that they
        // stop costing a forward each step. At most log2(N) times, each copying the cache once.
        const auto keep = not_done.nonzero().squeeze(1);
        finished.index_copy_(0, live_rows.defined() ? live_rows : torch::arange(rows, long_options), done);
        for (size_t l = 0; l < cache.keys.size(); ++l) {
          cache.keys[l] = cache.keys[l].index_select(0, keep);
          cache.values[l] = cache.values[l].index_select(0, keep);
        }
        attention_mask = attention_mask.index_select(0, keep);
        positions = positions.index_select(0, keep);
        tokens = tokens.index_select(0, keep);
        done = done.index_select(0, keep);
        live_rows = live_rows.defined() ? live_rows.index_select(0, keep) : keep;
        const auto keep_host = keep.to(torch::kCPU).contiguous();
        std::vector<int64_t> rows_left;
        for (const auto slot : c10::ArrayRef<int64_t>(keep_host.data_ptr<int64_t>(), remaining)) {
          rows_left.push_back(live_rows_host[static_cast<size_t>(slot)]);
        }
        live_rows_host = std::move(rows_left);
        graph.reset();
        warmed_up = false;
      }
    }
    if (graph != nullptr) {
      graph->replay();
    } else if (graphs && warmed_up) {
      graph = std::make_unique<DecodeGraph>([&] { forward(t); sample(t + 1); }, generators, device_);
      graph->replay();
    } else {
      forward(t);
      sample(t + 1);
      warmed_up = true;
    }
  }
  if (live_rows.defined()) {
    finished.index_copy_(0, live_rows, done);
  } else {
    finished = done;
  }

  // Trim to the longest completion (rows finished early only added masked padding).
  // A sampled token whose log-probability is not finite came from non-finite logits (finished
  // rows hold 0): the first such token, found once here and read with the completion lengths.
  const auto bad = sampling_logprobs.isfinite().logical_not().flatten();
  const auto first_bad = bad.to(torch::kLong).argmax();
  const auto host = torch::stack({completion_mask.sum(1).max(), bad.any().to(torch::kLong), first_bad}).to(torch::kCPU);
  const auto* read = host.data_ptr<int64_t>();
  const int64_t longest = read[0];
  const int64_t bad_row = read[2] / max_new, bad_token = read[2] % max_new;
  TORCH_CHECK(read[1] == 0, "Policy::generate: non-finite logits while sampling row ", bad_row, " (prompt ",
              bad_row / group, ", completion ", bad_row % group, ") at completion token ", bad_token);
  rollout.completion_ids = completion_ids.narrow(1, 0, longest).clone();
  rollout.completion_mask = completion_mask.narrow(1, 0, longest).clone();
  rollout.sampling_logprobs = sampling_logprobs.narrow(1, 0, longest).clone();
  rollout.truncated = finished.logical_not();

  const auto ids_cpu = rollout.completion_ids.to(torch::kCPU).contiguous();
  const auto lengths = rollout.completion_mask.sum(1).to(torch::kCPU).contiguous();
  const auto* length = lengths.data_ptr<int64_t>();
  rollout.completions.reserve(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const auto* begin = ids_cpu.data_ptr<int64_t>() + r * longest;
    rollout.completions.push_back(
        tokenizer_->decode(std::vector<int64_t>(begin, begin + length[r]), /*skip_special_tokens=*/true));
  }
  return rollout;
}

TokenLogprobs Policy::logprobs(const Rollout& rollout, const LogprobOptions& options) {
  return logprobs(rollout.prompt_ids, rollout.prompt_mask, rollout.completion_ids, rollout.completion_mask, options);
}

TokenLogprobs Policy::logprobs(const torch::Tensor& prompt_ids, const torch::Tensor& prompt_mask,
                               const torch::Tensor& completion_ids, const torch::Tensor& completion_mask,
                               const LogprobOptions& options) {
  check_options(options);
  TORCH_CHECK(prompt_ids.dim() == 2 && prompt_ids.scalar_type() == torch::kLong && prompt_ids.size(1) >= 1,
              "Policy::logprobs: prompt_ids must be [N, P] int64 with P >= 1, got shape ", prompt_ids.sizes(),
              " and dtype ", prompt_ids.scalar_type());
  TORCH_CHECK(completion_ids.dim() == 2 && completion_ids.scalar_type() == torch::kLong &&
                  completion_ids.size(0) == prompt_ids.size(0) && completion_ids.size(1) >= 1,
              "Policy::logprobs: completion_ids must be [N, T] int64 with N = ", prompt_ids.size(0),
              " and T >= 1, got shape ", completion_ids.sizes(), " and dtype ", completion_ids.scalar_type());
  TORCH_CHECK(prompt_mask.sizes() == prompt_ids.sizes(), "Policy::logprobs: prompt_mask must be shaped as prompt_ids ",
              prompt_ids.sizes(), ", got ", prompt_mask.sizes());
  TORCH_CHECK(completion_mask.sizes() == completion_ids.sizes(),
              "Policy::logprobs: completion_mask must be shaped as completion_ids ", completion_ids.sizes(), ", got ",
              completion_mask.sizes());
  const auto rows = completion_ids.size(0);
  const auto prompt_width = prompt_ids.size(1);
  const auto width = completion_ids.size(1);
  const auto vocab = tokenizer_->vocab_size();
  const AutocastGuard autocast(device_, autocast_dtype_);

  const auto ids = torch::cat({prompt_ids, completion_ids}, 1);
  const auto mask = torch::cat({prompt_mask.to(torch::kLong), completion_mask.to(torch::kLong)}, 1);
  // Position P-1+t predicts completion token t.
  const auto hidden = model_->hidden_states(ids, mask).narrow(1, prompt_width - 1, width);
  const auto flat_hidden = hidden.reshape({rows * width, hidden.size(-1)});
  const auto targets = completion_ids.reshape({rows * width, 1});
  const auto chunk = std::max<int64_t>(1, options.max_chunk_elements() / model_->config().vocab_size());

  std::vector<torch::Tensor> logprob_chunks, entropy_chunks;
  for (int64_t start = 0; start < rows * width; start += chunk) {
    const auto n = std::min(chunk, rows * width - start);
    const auto scaled =
        model_->logits(flat_hidden.narrow(0, start, n)).narrow(-1, 0, vocab).to(torch::kFloat) / options.temperature();
    const auto normaliser = scaled.logsumexp(-1, /*keepdim=*/true);  // [n, 1]
    logprob_chunks.push_back((scaled.gather(-1, targets.narrow(0, start, n)) - normaliser).squeeze(1));
    if (options.with_entropy()) {
      torch::NoGradGuard no_grad;
      const auto logp = scaled - normaliser;
      entropy_chunks.push_back(-(logp.exp() * logp).sum(-1));
    }
  }
  const auto padding = completion_mask.to(torch::kBool).logical_not();
  TokenLogprobs result;
  result.logprobs = torch::cat(logprob_chunks).view({rows, width}).masked_fill(padding, 0);
  if (options.with_entropy()) result.entropy = torch::cat(entropy_chunks).view({rows, width}).masked_fill(padding, 0);
  return result;
}

Policy Policy::clone_frozen() const {
  // Building a Transformer initialises its parameters from the global generator; restore its
  // state afterwards so that making a reference model does not change later random draws.
  auto global = at::detail::getDefaultCPUGenerator();
  const auto state = global.get_state();
  Transformer copy(model_->config());
  global.set_state(state);
  const auto dtype = model_->model->embed_tokens->weight.scalar_type();
  copy->to(device_, dtype);
  {
    torch::NoGradGuard no_grad;
    const auto source = model_->named_parameters();
    for (auto& item : copy->named_parameters()) item.value().copy_(source[item.key()]);
  }
  for (auto& p : copy->parameters()) p.set_requires_grad(false);
  copy->eval();
  Policy frozen(copy, tokenizer_, device_);
  frozen.eos_token_ids_ = eos_token_ids_;
  frozen.autocast_dtype_ = autocast_dtype_;
  return frozen;
}

}  // namespace grpo
