#include <grpo/trainer/trainer.h>

#include <grpo/core/device.h>
#include <grpo/support/files.h>
#include <grpo/support/log.h>

#include "support/event_writer.h"
#include "trainer/checkpoint.h"
#include "trainer/schedule.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iomanip>
#include <sstream>
#include <unistd.h>

namespace grpo {
namespace {

using Clock = std::chrono::steady_clock;

void check_device(const TrainingArguments& args, const Policy& policy) {
  if (args.device() == "auto") return;
  const auto want = parse_device(args.device());
  const auto have = policy.device();
  TORCH_CHECK(want.type() == have.type() && (!want.has_index() || !have.has_index() || want.index() == have.index()),
              args.config_name(), ": device is '", args.device(), "' but the policy is on ", have.str(),
              "; move the policy or set device to 'auto'");
}

// Every number of `j` (not "step"; null, a non-finite value, is skipped) as scalar <prefix><key>.
void write_scalars(detail::EventWriter& events, const std::string& prefix, const nlohmann::json& j, int64_t step) {
  try {
    for (const auto& [key, value] : j.items()) {
      if (key != "step" && value.is_number()) events.add_scalar(prefix + key, value.get<double>(), step);
    }
  } catch (const std::runtime_error& e) {
    TORCH_CHECK(false, e.what());
  }
}

}  // namespace

Trainer::Trainer(Policy policy, std::unique_ptr<const TrainingArguments> args)
    : args_(std::move(args)), policy_(std::move(policy)) {
  TORCH_CHECK(args_ != nullptr, "Trainer: the config is null");
  args_->validate();
  check_device(*args_, policy_);
  DistributedOptions distributed;
  distributed.backend = args_->ddp_backend();
  distributed.timeout = std::chrono::seconds(args_->ddp_timeout());
  distributed.bucket_cap_mb = args_->ddp_bucket_cap_mb();
  world_ = init_distributed(policy_.device(), distributed);
  if (world_) check_same_config();
  if (args_->bf16()) policy_.set_autocast_dtype(torch::kBFloat16);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      policy_.parameters(), torch::optim::AdamWOptions(args_->learning_rate())
                                .betas({args_->adam_beta1(), args_->adam_beta2()})
                                .eps(args_->adam_epsilon())
                                .weight_decay(args_->weight_decay()));
  if (!is_main_process()) return;
  create_directories(args_->output_dir());
  lock_ = std::make_unique<detail::OutputDirLock>(args_->output_dir());
  write_file_atomically(args_->output_dir() + "/config.json", [&](std::ostream& out) { out << args_->to_json(); });
  if (args_->reports_to_tensorboard()) {
    create_directories(args_->output_dir() + "/runs");
    try {
      events_ = std::make_unique<detail::EventWriter>(args_->output_dir() + "/runs");
    } catch (const std::runtime_error& e) {
      TORCH_CHECK(false, args_->config_name(), ": ", e.what());
    }
    report_text("config", "```json\n" + nlohmann::ordered_json::parse(args_->to_json()).dump(2) + "\n```");
  }
}

Trainer::~Trainer() = default;

void Trainer::check_same_config() const {
  // Every rank compares every rank's config with rank 0's, so all reach the same verdict.
  const auto configs = world_->all_gather_bytes(args_->to_json());
  const auto first = nlohmann::json::parse(configs[0]);
  for (size_t r = 1; r < configs.size(); ++r) {
    const auto other = nlohmann::json::parse(configs[r]);
    if (other == first) continue;
    std::string key;
    for (const auto& [k, v] : first.items()) {
      if (!other.contains(k) || other.at(k) != v) {
        key = k;
        break;
      }
    }
    TORCH_CHECK(false, args_->config_name(), ": rank ", r, " has a different config from rank 0: '", key, "' is ",
                other.contains(key) ? other.at(key).dump() : std::string("absent"), " on rank ", r, " but ",
                first.value(key, nlohmann::json()).dump(), " on rank 0; every rank must run the same config");
  }
}

void Trainer::save_extra_files(const std::string&) const {}

void Trainer::load_extra_files(const std::string&) {}

double Trainer::begin_update(int64_t update, int64_t total) {
  const double lr = detail::scheduled_learning_rate(args_->learning_rate(), args_->lr_scheduler_type(),
                                                    args_->warmup_ratio(), update, total);
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  optimizer_->zero_grad();
  return lr;
}

torch::Tensor Trainer::clip_gradients() {
  if (world_) allreduce_seconds_ = world_->average_gradients(policy_.parameters());
  // torch.nn.utils.clip_grad_norm_: total = ||(||g_1||, ..., ||g_n||)||, every gradient times
  // min(1, max_norm / (total + 1e-6)); kept on the device (LibTorch's version reads the norm back).
  std::vector<torch::Tensor> grads, norms;
  for (const auto& p : policy_.parameters()) {
    if (!p.grad().defined()) continue;
    grads.push_back(p.grad());
    norms.push_back(p.grad().norm(2));
  }
  if (grads.empty()) return torch::zeros({}, torch::TensorOptions().device(policy_.device()));
  auto total = torch::stack(norms).norm(2).to(torch::kFloat);
  if (args_->max_grad_norm() > 0) {
    const auto coefficient = (args_->max_grad_norm() / (total + 1e-6)).clamp_max(1.0);
    for (auto& g : grads) g.mul_(coefficient);
  }
  return total;
}

void Trainer::finish_update() {
  detail::test_kill_point("update", step_ + 1);
  optimizer_->step();
}

void Trainer::log_metrics(const std::string& json_line) const {
  if (!is_main_process()) return;
  append_line(args_->output_dir() + "/metrics.jsonl", json_line);
  if (!events_) return;
  const auto j = nlohmann::json::parse(json_line);
  write_scalars(*events_, "train/", j, j.at("step").get<int64_t>());
}

void Trainer::report_scalars(const std::string& prefix, const std::string& json_object) const {
  if (events_) write_scalars(*events_, prefix, nlohmann::json::parse(json_object), step_);
}

void Trainer::report_text(const std::string& tag, const std::string& markdown) const {
  if (!events_) return;
  try {
    events_->add_text(tag, markdown, step_);
  } catch (const std::runtime_error& e) {
    TORCH_CHECK(false, e.what());
  }
}

void Trainer::train() {
  try {
    run_steps();
  } catch (const c10::Error& e) {
    // The other ranks' next collective fails; this message is what they report for this rank.
    if (world_) world_->report_failure(e.what_without_backtrace());
    throw;
  } catch (const std::exception& e) {
    if (world_) world_->report_failure(e.what());
    throw;
  }
}

void Trainer::run_steps() {
  const auto start = Clock::now();
  const bool saves = args_->save_strategy() != "no";
  const int64_t first = step_, last = args_->max_steps();
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  while (step_ < last) {
    const auto step_start = Clock::now();
    const std::string summary = train_step();
    const double seconds = std::chrono::duration<double>(Clock::now() - step_start).count();
    if (step_ % args_->logging_steps() == 0 || step_ == last) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const double eta = elapsed / static_cast<double>(step_ - first) * static_cast<double>(last - step_);
      std::ostringstream line;
      if (tty) {
        const int width = 20;
        const int filled = static_cast<int>(width * step_ / last);
        line << '[' << std::string(filled, '#') << std::string(width - filled, '.') << "] ";
      }
      line << "step " << step_ << "/" << last << " | " << summary << std::fixed << " | " << std::setprecision(2)
           << seconds << " s | eta " << std::setprecision(0) << eta << " s";
      if (is_main_process()) log::info(line.str());
    }
    if (saves && args_->save_steps() > 0 && step_ % args_->save_steps() == 0) save_checkpoint();
    after_step();
    detail::test_kill_point("between", step_);
  }
  if (saves && (args_->save_steps() == 0 || step_ % args_->save_steps() != 0)) save_checkpoint();
  const std::string model_dir = args_->output_dir() + "/model";
  if (is_main_process()) {
    try {
      policy_.save_pretrained(model_dir);
    } catch (const c10::Error& e) {
      TORCH_CHECK(false, "cannot write the final model to '", model_dir, "': ", e.what_without_backtrace());
    }
  }
  if (world_) world_->barrier();
}

std::string Trainer::save_checkpoint() {
  if (!is_main_process()) {
    // Rank 0 writes; the others wait until the checkpoint is whole.
    world_->barrier();
    return detail::checkpoint_dir(args_->output_dir(), step_);
  }
  const auto dir = detail::write_checkpoint(args_->output_dir(), step_, args_->save_total_limit(), [&](const std::string& dir) {
    policy_.save_pretrained(dir);
    detail::test_kill_point("checkpoint", step_);
    save_extra_files(dir);
    // Serialised in memory, then written by us: LibTorch's file writer finishes the archive in
    // its destructor, and a write error there (full disk) would terminate the process.
    std::ostringstream optimizer_bytes;
    torch::save(*optimizer_, optimizer_bytes);
    write_file_atomically(dir + "/optimizer.pt", [&](std::ostream& out) { out << optimizer_bytes.str(); });
    write_file_atomically(dir + "/trainer_state.json", [&](std::ostream& out) {
      out << nlohmann::ordered_json{{"global_step", step_}, {"config", nlohmann::ordered_json::parse(args_->to_json())}}
                 .dump(2);
    });
  });
  if (world_) world_->barrier();
  return dir;
}

void Trainer::resume(const std::string& checkpoint) {
  const auto dir = detail::resolve_checkpoint(checkpoint, args_->output_dir());
  const auto state = detail::read_trainer_state(dir, {"model.safetensors", "optimizer.pt", "trainer_state.json"});
  policy_.load(dir + "/model.safetensors");
  load_extra_files(dir);
  torch::load(*optimizer_, dir + "/optimizer.pt");
  step_ = state["global_step"].get<int64_t>();
  if (!is_main_process()) return;
  for (const char* log : {"metrics.jsonl", "samples.jsonl", "eval.jsonl"}) {
    detail::truncate_step_log(args_->output_dir() + "/" + log, step_);
  }
}

}  // namespace grpo
