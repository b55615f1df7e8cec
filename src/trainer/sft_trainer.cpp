#include <grpo/trainer/sft_trainer.h>

#include "trainer/config_json.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace grpo {
namespace {

// Left-padded prompts [N, P] and right-padded completions + EOS [N, T], with masks, and their
// token counts.
struct SftBatch {
  torch::Tensor prompt_ids, prompt_mask, completion_ids, completion_mask;
  int64_t prompt_tokens = 0, completion_tokens = 0;
};

SftBatch make_batch(const Tokenizer& tokenizer, const std::vector<const SftExample*>& examples, torch::Device device) {
  const int64_t pad = tokenizer.pad_token_id().value_or(*tokenizer.eos_token_id());
  std::vector<std::vector<int64_t>> prompts, completions;
  int64_t p_width = 1, c_width = 1;
  for (const auto* e : examples) {
    prompts.push_back(tokenizer.encode(e->prompt));
    completions.push_back(tokenizer.encode(e->completion));
    completions.back().push_back(*tokenizer.eos_token_id());
    TORCH_CHECK(!prompts.back().empty(), "SftTrainer: an example's prompt encodes to no tokens");
    p_width = std::max<int64_t>(p_width, static_cast<int64_t>(prompts.back().size()));
    c_width = std::max<int64_t>(c_width, static_cast<int64_t>(completions.back().size()));
  }
  const auto n = static_cast<int64_t>(examples.size());
  std::vector<int64_t> prompt_ids(static_cast<size_t>(n * p_width), pad), prompt_mask(prompt_ids.size(), 0);
  std::vector<int64_t> completion_ids(static_cast<size_t>(n * c_width), pad), completion_mask(completion_ids.size(), 0);
  SftBatch b;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto& p = prompts[i];
    const auto& c = completions[i];
    const size_t offset = i * static_cast<size_t>(p_width) + (static_cast<size_t>(p_width) - p.size());
    std::copy(p.begin(), p.end(), prompt_ids.begin() + static_cast<std::ptrdiff_t>(offset));
    std::fill_n(prompt_mask.begin() + static_cast<std::ptrdiff_t>(offset), p.size(), 1);
    const size_t row = i * static_cast<size_t>(c_width);
    std::copy(c.begin(), c.end(), completion_ids.begin() + static_cast<std::ptrdiff_t>(row));
    std::fill_n(completion_mask.begin() + static_cast<std::ptrdiff_t>(row), c.size(), 1);
    b.prompt_tokens += static_cast<int64_t>(p.size());
    b.completion_tokens += static_cast<int64_t>(c.size());
  }
  const auto to_device = [&](const std::vector<int64_t>& values, int64_t width) {
    return torch::tensor(values, torch::kLong).view({n, width}).to(device);
  };
  b.prompt_ids = to_device(prompt_ids, p_width);
  b.prompt_mask = to_device(prompt_mask, p_width);
  b.completion_ids = to_device(completion_ids, c_width);
  b.completion_mask = to_device(completion_mask, c_width);
  return b;
}

}  // namespace

template class TrainingConfig<SftConfig>;

std::string SftStepStats::to_json() const {
  nlohmann::ordered_json j;
  j["step"] = step;
  j["loss"] = std::isfinite(loss) ? nlohmann::ordered_json(loss) : nlohmann::ordered_json(nullptr);
  j["learning_rate"] = learning_rate;
  j["grad_norm"] = grad_norm;
  j["tokens_per_second"] = tokens_per_second;
  return j.dump();
}

SftTrainer::SftTrainer(Policy policy, std::vector<SftExample> examples, SftConfig config)
    : Trainer(std::move(policy), std::make_unique<SftConfig>(std::move(config))),
      config_(static_cast<const SftConfig&>(args())),
      examples_(std::move(examples)) {
  TORCH_CHECK(!examples_.empty(), "SftTrainer: no examples");
  TORCH_CHECK(this->policy().tokenizer().eos_token_id().has_value(), "SftTrainer: the tokenizer has no EOS token");
}

SftStepStats SftTrainer::step() {
  const auto start = std::chrono::steady_clock::now();
  const int64_t micro = config_.per_device_train_batch_size();
  const int64_t per_update = micro * config_.gradient_accumulation_steps();
  // Distributed, rank r takes the r-th consecutive share of the update's world_size * per_update
  // examples, so the ranks together train on what one process with the whole batch would.
  const auto indices = stream_indices(static_cast<int64_t>(examples_.size()), static_cast<uint64_t>(config_.seed()),
                                      (global_step() * world_size() + rank()) * per_update, per_update);
  std::vector<SftBatch> batches;
  double completion_tokens = 0, prompt_tokens = 0;
  for (int64_t begin = 0; begin < per_update; begin += micro) {
    std::vector<const SftExample*> chosen;
    for (int64_t j = begin; j < begin + micro; ++j) chosen.push_back(&examples_[static_cast<size_t>(indices[j])]);
    batches.push_back(make_batch(policy().tokenizer(), chosen, policy().device()));
    completion_tokens += static_cast<double>(batches.back().completion_tokens);
    prompt_tokens += static_cast<double>(batches.back().prompt_tokens);
  }

  // The update's completion tokens over every rank: each rank's token sum is divided by
  // total / world_size, so averaging the ranks' gradients gives the mean token loss of the batch.
  double normaliser = completion_tokens;
  double total_tokens = prompt_tokens + completion_tokens;
  if (auto* world = process_group()) {
    auto counts = torch::tensor({completion_tokens, total_tokens}, torch::kFloat64).to(policy().device());
    world->all_reduce_sum(counts);
    const auto host = counts.to(torch::kCPU);
    normaliser = host[0].item<double>() / static_cast<double>(world_size());
    total_tokens = host[1].item<double>();
  }

  SftStepStats stats;
  stats.step = global_step() + 1;
  stats.learning_rate = begin_update(global_step(), config_.max_steps());
  auto loss_sum = torch::zeros({}, torch::TensorOptions().device(policy().device()));
  for (const auto& b : batches) {
    const auto logp = policy().logprobs(b.prompt_ids, b.prompt_mask, b.completion_ids, b.completion_mask).logprobs;
    // Normalised by the completion tokens of the whole update, so that accumulating the
    // micro-batches' gradients gives the gradient of the update's mean token loss.
    const auto loss = -(logp * b.completion_mask.to(torch::kFloat32)).sum() / std::max(normaliser, 1.0);
    loss.backward();
    loss_sum += loss.detach().to(torch::kFloat32);
  }
  const auto grad_norm = clip_gradients();
  if (auto* world = process_group()) {
    world->all_reduce_sum(loss_sum);
    loss_sum = loss_sum / static_cast<float>(world_size());
  }
  // One read of the device per update, checked before the optimizer touches the parameters.
  const auto host = torch::stack({loss_sum, grad_norm.to(torch::kFloat32)}).to(torch::kCPU, torch::kFloat64);
  stats.loss = host[0].item<double>();
  stats.grad_norm = host[1].item<double>();
  TORCH_CHECK(std::isfinite(stats.loss) && std::isfinite(stats.grad_norm), "SFT step ", stats.step, ": loss is ",
              stats.loss, ", gradient norm ", stats.grad_norm, "; stopping before the update");
  finish_update();
  count_step();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.tokens_per_second = total_tokens / std::max(seconds, 1e-9);
  log_metrics(stats.to_json());
  return stats;
}

std::string SftTrainer::train_step() {
  const auto stats = step();
  std::ostringstream line;
  line << std::fixed << std::setprecision(4) << "loss " << stats.loss << " | lr " << std::scientific
       << std::setprecision(2) << stats.learning_rate << std::fixed << " | " << std::setprecision(0)
       << stats.tokens_per_second << " tok/s";
  return line.str();
}

}  // namespace grpo
