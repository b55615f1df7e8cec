#include <grpo/model/policy.h>

#include "model/sampling.h"
#include "model/slot_decoding.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <optional>
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
  TORCH_CHECK(o.max_decode_rows() == 0 || o.max_decode_rows() >= o.num_generations(),
              "SamplingOptions: max_decode_rows must be 0 (all rows) or >= num_generations (", o.num_generations(),
              "), got ", o.max_decode_rows());
  for (const auto& stop : o.stop_strings()) {
    TORCH_CHECK(!stop.empty(), "SamplingOptions: stop_strings must not contain an empty string");
  }
}

void check_options(const LogprobOptions& o) {
  TORCH_CHECK(o.temperature() > 0, "LogprobOptions: temperature must be > 0, got ", o.temperature());
  TORCH_CHECK(o.max_chunk_elements() >= 1, "LogprobOptions: max_chunk_elements must be >= 1, got ",
              o.max_chunk_elements());
}

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

/// The dynamic decoding loop: all N rows in one batch, the KV cache and attention growing by
/// one position per step; finished rows compacted out (SamplingOptions::compact_finished_rows).
detail::DecodedRows decode_all_rows(TransformerImpl& model, const Tokenizer& tokenizer, detail::DecodingInputs& in,
                                    const SamplingOptions& options) {
  const auto device = in.prompt_ids.device();
  const auto num_prompts = in.prompt_ids.size(0), prompt_width = in.prompt_ids.size(1);
  const auto group = options.num_generations();
  const auto rows = num_prompts * group;
  const auto max_new = options.max_new_tokens();
  const auto vocab = in.vocab;
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(device);

  // Prefill the B prompts once, then give each of the N rows a copy of its prompt's cache.
  auto prompt_cache = model.new_cache(num_prompts, prompt_width, in.cache_dtype);
  const auto last_hidden =
      model.hidden_states(in.prompt_ids, in.prompt_mask, {}, &prompt_cache).select(1, prompt_width - 1);
  auto logits = model.logits(last_hidden).narrow(-1, 0, vocab).repeat_interleave(group, 0);
  auto cache = model.new_cache(rows, prompt_width + max_new, in.cache_dtype);
  for (size_t l = 0; l < cache.keys.size(); ++l) {
    cache.keys[l].narrow(2, 0, prompt_width).copy_(prompt_cache.keys[l].repeat_interleave(group, 0));
    cache.values[l].narrow(2, 0, prompt_width).copy_(prompt_cache.values[l].repeat_interleave(group, 0));
  }
  cache.length = prompt_width;
  prompt_cache = KVCache();

  detail::DecodedRows result{detail::CompletionBuffers(rows, max_new, in.pad_id, device),
                             std::vector<char>(static_cast<size_t>(rows), 0)};
  auto& out = result.out;
  // The decoding batch holds the n live rows (n = N until the first compaction): slot s is
  // original row live_rows[s] (undefined while the slots are the rows themselves).
  torch::Tensor live_rows;
  std::vector<int64_t> live_rows_host(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) live_rows_host[static_cast<size_t>(r)] = r;
  const auto live = [&] { return static_cast<int64_t>(live_rows_host.size()); };
  auto finished = torch::zeros({rows}, long_options.dtype(torch::kBool));  // [N]: ended on EOS or a stop string
  auto attention_mask = torch::cat({in.prompt_mask.repeat_interleave(group, 0), torch::ones({rows, max_new}, long_options)}, 1);
  auto positions = in.prompt_mask.repeat_interleave(group, 0).sum(1, /*keepdim=*/true);  // [n, 1]
  auto done = torch::zeros({rows}, long_options.dtype(torch::kBool));                   // [n]
  auto tokens = torch::full({rows}, in.pad_id, long_options);                           // [n] last sampled
  const auto eos_ids = torch::tensor(in.eos_ids, torch::kLong).to(device);
  auto write = [&](torch::Tensor& buffer, int64_t t, const torch::Tensor& values) {
    if (live_rows.defined()) {
      buffer.select(1, t).index_copy_(0, live_rows, values);
    } else {
      buffer.select(1, t).copy_(values);
    }
  };

  // With stop strings, the columns [checked, t] of the live rows are read once per look and
  // matched on the host. A row that completed a stop string before column t had its later
  // columns sampled meanwhile: they are cleared to padding, mask 0 and logprob 0, as if it had
  // stopped there.
  std::optional<detail::StopMatcher> matcher;
  if (!options.stop_strings().empty()) matcher.emplace(tokenizer, options.stop_strings(), in.eos_ids, rows);
  std::vector<char> done_host(static_cast<size_t>(rows), 0);
  int64_t checked = 0;
  auto match_stop_strings = [&](int64_t t) {
    const auto width = t + 1 - checked;
    const auto columns = out.ids.narrow(1, checked, width);
    const auto block = (live_rows.defined() ? columns.index_select(0, live_rows) : columns).to(torch::kCPU).contiguous();
    const auto* token = block.data_ptr<int64_t>();
    std::vector<int64_t> stopped_slots;
    std::vector<int64_t> cut(static_cast<size_t>(rows), max_new);  // first column to clear, by row
    bool late = false;
    for (int64_t slot = 0; slot < live(); ++slot) {
      const auto r = live_rows_host[static_cast<size_t>(slot)];
      if (done_host[static_cast<size_t>(r)]) continue;
      for (int64_t j = 0; j < width; ++j) {
        if (!matcher->feed(r, token[slot * width + j])) continue;
        done_host[static_cast<size_t>(r)] = 1;
        stopped_slots.push_back(slot);
        if (checked + j < t) {
          cut[static_cast<size_t>(r)] = checked + j + 1;
          late = true;
        }
        break;
      }
    }
    checked = t + 1;
    if (stopped_slots.empty()) return;
    done.index_fill_(0, torch::tensor(stopped_slots, torch::kLong).to(device), true);
    if (late) out.clear_from(cut, in.pad_id);
  };

  const int64_t check_interval = detail::look_interval(options, device);
  // Sampling half of a step: draws output column t for the live slots from `logits`.
  auto sample = [&](int64_t t) {
    auto noise = exponential_noise(rows, vocab, group, in.generators, device);
    if (live_rows.defined()) noise = noise.index_select(0, live_rows);
    const auto step = detail::draw(logits, noise, options);
    tokens.copy_(step.tokens.masked_fill(done, in.pad_id));
    write(out.ids, t, tokens);
    write(out.logprobs, t, step.logprobs.masked_fill(done, 0));
    write(out.mask, t, done.logical_not().to(torch::kLong));
    if (!in.eos_ids.empty()) done.logical_or_(torch::isin(tokens, eos_ids));
  };
  // Model half: feeds the tokens of column t (cache position P + t), giving the logits of t + 1.
  auto forward = [&](int64_t t) {
    const auto hidden =
        model.hidden_states(tokens.unsqueeze(1), attention_mask.narrow(1, 0, prompt_width + t + 1), positions, &cache);
    logits = model.logits(hidden.select(1, 0)).narrow(-1, 0, vocab);
    positions.add_(1);
  };

  sample(0);
  for (int64_t t = 0;; ++t) {
    // Between looks the loop never waits for the device: it decodes every live slot.
    const bool last = t + 1 == max_new;
    if ((t + 1) % check_interval == 0 || last) {
      if (matcher) match_stop_strings(t);
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
        detail::keep_cache_rows(cache, keep);
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
      }
    }
    forward(t);
    sample(t + 1);
  }
  if (live_rows.defined()) {
    finished.index_copy_(0, live_rows, done);
  } else {
    finished = done;
  }
  const auto finished_host = finished.to(torch::kCPU).contiguous();
  std::copy(finished_host.data_ptr<bool>(), finished_host.data_ptr<bool>() + rows, result.ended.begin());
  return result;
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

  // Encode and left-pad the B prompts.
  std::vector<std::vector<int64_t>> encoded;
  int64_t prompt_width = 0;
  for (size_t b = 0; b < prompts.size(); ++b) {
    encoded.push_back(tokenizer_->encode(prompts[b]));
    TORCH_CHECK(!encoded.back().empty(), "Policy::generate: prompt ", b, " encodes to no tokens");
    prompt_width = std::max(prompt_width, static_cast<int64_t>(encoded.back().size()));
  }
  TORCH_CHECK(prompt_width + max_new <= model_->config().max_position_embeddings(), "Policy::generate: longest prompt (",
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

  detail::DecodingInputs inputs;
  inputs.prompt_ids = ids_host.to(device_);
  inputs.prompt_mask = mask_host.to(device_);
  inputs.pad_id = pad_id_;
  inputs.eos_ids = eos_token_ids_;
  inputs.vocab = tokenizer_->vocab_size();
  inputs.cache_dtype = autocast_dtype_;
  if (options.prompt_seeds().empty()) inputs.generators.push_back(detail::make_generator(device_, options.seed()));
  for (const auto seed : options.prompt_seeds()) inputs.generators.push_back(detail::make_generator(device_, seed));
  Rollout rollout;
  rollout.prompts = prompts;
  rollout.num_generations = group;
  rollout.prompt_ids = inputs.prompt_ids.repeat_interleave(group, 0);
  rollout.prompt_mask = inputs.prompt_mask.repeat_interleave(group, 0);
  const bool slots = options.cuda_graphs() || (options.max_decode_rows() > 0 && options.max_decode_rows() < rows);
  const auto decoded = slots ? detail::decode_in_slots(*model_, *tokenizer_, std::move(inputs), options)
                             : decode_all_rows(*model_, *tokenizer_, inputs, options);
  const auto& out = decoded.out;

  // Trim to the longest completion (rows finished early only added masked padding).
  // A sampled token whose log-probability is not finite came from non-finite logits (finished
  // rows hold 0): the first such token, found once here and read with the completion lengths.
  const auto bad = out.logprobs.isfinite().logical_not().flatten();
  const auto first_bad = bad.to(torch::kLong).argmax();
  const auto host = torch::stack({out.mask.sum(1).max(), bad.any().to(torch::kLong), first_bad}).to(torch::kCPU);
  const auto* read = host.data_ptr<int64_t>();
  const int64_t longest = read[0];
  const int64_t bad_row = read[2] / max_new, bad_token = read[2] % max_new;
  TORCH_CHECK(read[1] == 0, "Policy::generate: non-finite logits while sampling row ", bad_row, " (prompt ",
              bad_row / group, ", completion ", bad_row % group, ") at completion token ", bad_token);
  rollout.completion_ids = out.ids.narrow(1, 0, longest).clone();
  rollout.completion_mask = out.mask.narrow(1, 0, longest).clone();
  rollout.sampling_logprobs = out.logprobs.narrow(1, 0, longest).clone();
  auto truncated = torch::empty({rows}, torch::kBool);
  std::transform(decoded.ended.begin(), decoded.ended.end(), truncated.data_ptr<bool>(),
                 [](char ended) { return ended == 0; });
  rollout.truncated = truncated.to(device_);

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
