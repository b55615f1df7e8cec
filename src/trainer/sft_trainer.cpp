#include <grpo/trainer/sft_trainer.h>

#include <grpo/support/files.h>
#include <grpo/support/log.h>

#include "trainer/checkpoint.h"
#include "trainer/config_json.h"
#include "trainer/schedule.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace grpo {
namespace {

// Left-padded prompts [N, P] and right-padded completions + EOS [N, T], with masks.
struct SftBatch {
  torch::Tensor prompt_ids, prompt_mask, completion_ids, completion_mask;
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
  SftBatch b{torch::full({n, p_width}, pad, torch::kLong), torch::zeros({n, p_width}, torch::kLong),
             torch::full({n, c_width}, pad, torch::kLong), torch::zeros({n, c_width}, torch::kLong)};
  for (int64_t i = 0; i < n; ++i) {
    const auto& p = prompts[i];
    const auto& c = completions[i];
    const auto offset = p_width - static_cast<int64_t>(p.size());
    for (size_t j = 0; j < p.size(); ++j) {
      b.prompt_ids[i][offset + static_cast<int64_t>(j)] = p[j];
      b.prompt_mask[i][offset + static_cast<int64_t>(j)] = 1;
    }
    for (size_t j = 0; j < c.size(); ++j) {
      b.completion_ids[i][static_cast<int64_t>(j)] = c[j];
      b.completion_mask[i][static_cast<int64_t>(j)] = 1;
    }
  }
  return {b.prompt_ids.to(device), b.prompt_mask.to(device), b.completion_ids.to(device), b.completion_mask.to(device)};
}

// Every field once, by its JSON key.
template <typename Config, typename Visitor>
void visit_fields(Config& c, Visitor&& v) {
  v("output_dir", c.output_dir());
  v("device", c.device());
  v("seed", c.seed());
  v("max_steps", c.max_steps());
  v("per_device_train_batch_size", c.per_device_train_batch_size());
  v("learning_rate", c.learning_rate());
  v("adam_beta1", c.adam_beta1());
  v("adam_beta2", c.adam_beta2());
  v("adam_epsilon", c.adam_epsilon());
  v("weight_decay", c.weight_decay());
  v("max_grad_norm", c.max_grad_norm());
  v("bf16", c.bf16());
  v("lr_scheduler_type", c.lr_scheduler_type());
  v("warmup_ratio", c.warmup_ratio());
  v("logging_steps", c.logging_steps());
  v("save_steps", c.save_steps());
  v("save_total_limit", c.save_total_limit());
}

}  // namespace

std::string SftConfig::to_json() const {
  return detail::config_to_json(*this, [](SftConfig& c, auto&& v) { visit_fields(c, v); });
}

SftConfig SftConfig::from_json(const std::string& text) {
  return detail::config_from_json<SftConfig>(text, "SftConfig", [](SftConfig& c, auto&& v) { visit_fields(c, v); });
}

SftConfig SftConfig::from_json_file(const std::string& path) {
  return detail::config_from_json_file<SftConfig>(path, "SftConfig",
                                                  [](SftConfig& c, auto&& v) { visit_fields(c, v); });
}

void SftConfig::validate() const {
  auto check = [](bool ok, const char* field, const auto& value, const char* rule) {
    TORCH_CHECK(ok, "SftConfig: ", field, " must be ", rule, ", got ", value);
  };
  check(!output_dir().empty(), "output_dir", "''", "non-empty");
  check(seed() >= 0, "seed", seed(), ">= 0");
  check(max_steps() >= 1, "max_steps", max_steps(), ">= 1");
  check(per_device_train_batch_size() >= 1, "per_device_train_batch_size", per_device_train_batch_size(), ">= 1");
  check(learning_rate() >= 0 && std::isfinite(learning_rate()), "learning_rate", learning_rate(), "finite and >= 0");
  check(adam_beta1() >= 0 && adam_beta1() < 1, "adam_beta1", adam_beta1(), "in [0, 1)");
  check(adam_beta2() >= 0 && adam_beta2() < 1, "adam_beta2", adam_beta2(), "in [0, 1)");
  check(adam_epsilon() > 0, "adam_epsilon", adam_epsilon(), "> 0");
  check(weight_decay() >= 0, "weight_decay", weight_decay(), ">= 0");
  check(max_grad_norm() >= 0, "max_grad_norm", max_grad_norm(), ">= 0");
  check(lr_scheduler_type() == "linear" || lr_scheduler_type() == "cosine" || lr_scheduler_type() == "constant",
        "lr_scheduler_type", "'" + lr_scheduler_type() + "'", "linear, cosine or constant");
  check(warmup_ratio() >= 0 && warmup_ratio() <= 1, "warmup_ratio", warmup_ratio(), "in [0, 1]");
  check(logging_steps() >= 1, "logging_steps", logging_steps(), ">= 1");
  check(save_steps() >= 0, "save_steps", save_steps(), ">= 0");
  check(save_total_limit() >= 1, "save_total_limit", save_total_limit(), ">= 1");
}

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
    : config_((config.validate(), std::move(config))), policy_(std::move(policy)), examples_(std::move(examples)) {
  if (config_.bf16()) policy_.set_autocast_dtype(torch::kBFloat16);
  TORCH_CHECK(!examples_.empty(), "SftTrainer: no examples");
  TORCH_CHECK(policy_.tokenizer().eos_token_id().has_value(), "SftTrainer: the tokenizer has no EOS token");
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      policy_.parameters(), torch::optim::AdamWOptions(config_.learning_rate())
                                .betas({config_.adam_beta1(), config_.adam_beta2()})
                                .eps(config_.adam_epsilon())
                                .weight_decay(config_.weight_decay()));
  create_directories(config_.output_dir());
  write_file_atomically(config_.output_dir() + "/config.json", [&](std::ostream& out) { out << config_.to_json(); });
}

SftStepStats SftTrainer::step() {
  const auto start = std::chrono::steady_clock::now();
  const int64_t n = static_cast<int64_t>(examples_.size());
  const int64_t batch = config_.per_device_train_batch_size();
  std::vector<const SftExample*> chosen;
  int64_t epoch = -1;
  std::vector<int64_t> order;
  for (int64_t j = 0; j < batch; ++j) {
    const int64_t global = step_ * batch + j;
    if (global / n != epoch) {
      epoch = global / n;
      order = epoch_order(n, static_cast<uint64_t>(config_.seed()), epoch);
    }
    chosen.push_back(&examples_[static_cast<size_t>(order[global % n])]);
  }
  const auto b = make_batch(policy_.tokenizer(), chosen, policy_.device());

  SftStepStats stats;
  stats.step = step_ + 1;
  stats.learning_rate = detail::scheduled_learning_rate(config_.learning_rate(), config_.lr_scheduler_type(),
                                                        config_.warmup_ratio(), step_, config_.max_steps());
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(stats.learning_rate);
  }
  optimizer_->zero_grad();
  const auto logp = policy_.logprobs(b.prompt_ids, b.prompt_mask, b.completion_ids, b.completion_mask).logprobs;
  const auto mask = b.completion_mask.to(torch::kFloat32);
  const auto tokens = mask.sum();
  const auto loss = -(logp * mask).sum() / tokens.clamp_min(1.0);
  stats.loss = loss.item<double>();
  TORCH_CHECK(std::isfinite(stats.loss), "SFT step ", step_ + 1, ": loss is ", stats.loss, "; stopping");
  loss.backward();
  const double max_norm =
      config_.max_grad_norm() > 0 ? config_.max_grad_norm() : std::numeric_limits<double>::infinity();
  stats.grad_norm = torch::nn::utils::clip_grad_norm_(policy_.parameters(), max_norm);
  optimizer_->step();
  ++step_;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.tokens_per_second = (b.prompt_mask.sum().item<double>() + tokens.item<double>()) / std::max(seconds, 1e-9);
  append_line(config_.output_dir() + "/metrics.jsonl", stats.to_json());
  return stats;
}

void SftTrainer::train() {
  while (step_ < config_.max_steps()) {
    const auto stats = step();
    if (step_ % config_.logging_steps() == 0 || step_ == config_.max_steps()) {
      std::ostringstream line;
      line << "sft step " << step_ << "/" << config_.max_steps() << std::fixed << std::setprecision(4) << " | loss "
           << stats.loss << " | lr " << std::scientific << std::setprecision(2) << stats.learning_rate << std::fixed
           << " | " << std::setprecision(0) << stats.tokens_per_second << " tok/s";
      log::info(line.str());
    }
    if (config_.save_steps() > 0 && step_ % config_.save_steps() == 0) save_checkpoint();
  }
  if (config_.save_steps() == 0 || step_ % config_.save_steps() != 0) save_checkpoint();
  policy_.save_pretrained(config_.output_dir() + "/model");
}

std::string SftTrainer::save_checkpoint() {
  return detail::write_checkpoint(config_.output_dir(), step_, config_.save_total_limit(), [&](const std::string& dir) {
    policy_.save_pretrained(dir);
    torch::save(*optimizer_, dir + "/optimizer.pt");
    write_file_atomically(dir + "/trainer_state.json", [&](std::ostream& out) {
      out << nlohmann::ordered_json{{"global_step", step_}, {"config", nlohmann::ordered_json::parse(config_.to_json())}}
                 .dump(2);
    });
  });
}

void SftTrainer::resume(const std::string& checkpoint) {
  const auto dir = detail::resolve_checkpoint(checkpoint, config_.output_dir());
  const auto state = detail::read_trainer_state(dir, {"model.safetensors", "optimizer.pt", "trainer_state.json"});
  policy_.load(dir + "/model.safetensors");
  torch::load(*optimizer_, dir + "/optimizer.pt");
  step_ = state["global_step"].get<int64_t>();
}

}  // namespace grpo
