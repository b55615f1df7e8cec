#include <grpo/trainer/training_args.h>

#include "trainer/config_checks.h"

#include <algorithm>
#include <cmath>

namespace grpo {

void TrainingArguments::validate() const {
  const detail::FieldCheck check{config_name()};
  check(!output_dir().empty(), "output_dir", "''", "non-empty");
  check(seed() >= 0, "seed", seed(), ">= 0");
  check(max_steps() >= 1, "max_steps", max_steps(), ">= 1");
  check(per_device_train_batch_size() >= 1, "per_device_train_batch_size", per_device_train_batch_size(), ">= 1");
  check(gradient_accumulation_steps() >= 1, "gradient_accumulation_steps", gradient_accumulation_steps(), ">= 1");
  check(learning_rate() >= 0 && std::isfinite(learning_rate()), "learning_rate", learning_rate(), "finite and >= 0");
  check(adam_beta1() >= 0 && adam_beta1() < 1, "adam_beta1", adam_beta1(), "in [0, 1)");
  check(adam_beta2() >= 0 && adam_beta2() < 1, "adam_beta2", adam_beta2(), "in [0, 1)");
  check(adam_epsilon() > 0, "adam_epsilon", adam_epsilon(), "> 0");
  check(weight_decay() >= 0, "weight_decay", weight_decay(), ">= 0");
  check(max_grad_norm() >= 0, "max_grad_norm", max_grad_norm(), ">= 0");
  check(detail::one_of(lr_scheduler_type(), {"linear", "cosine", "constant"}), "lr_scheduler_type",
        "'" + lr_scheduler_type() + "'", "linear, cosine or constant");
  check(warmup_ratio() >= 0 && warmup_ratio() <= 1, "warmup_ratio", warmup_ratio(), "in [0, 1]");
  check(logging_steps() >= 1, "logging_steps", logging_steps(), ">= 1");
  check(save_steps() >= 0, "save_steps", save_steps(), ">= 0");
  check(detail::one_of(save_strategy(), {"steps", "no"}), "save_strategy", "'" + save_strategy() + "'", "steps or no");
  check(save_total_limit() >= 1, "save_total_limit", save_total_limit(), ">= 1");
  for (const auto& target : report_to()) {
    check(detail::one_of(target, {"tensorboard", "none"}), "report_to", "'" + target + "'",
          "a list of 'tensorboard' or 'none'");
  }
  check(detail::one_of(ddp_backend(), {"auto", "gloo", "nccl"}), "ddp_backend", "'" + ddp_backend() + "'",
        "auto, gloo or nccl");
  check(ddp_timeout() >= 1, "ddp_timeout", ddp_timeout(), ">= 1");
  check(ddp_bucket_cap_mb() >= 1, "ddp_bucket_cap_mb", ddp_bucket_cap_mb(), ">= 1");
  const bool none = std::find(report_to().begin(), report_to().end(), "none") != report_to().end();
  check(!none || report_to().size() == 1, "report_to", c10::str(report_to().size(), " entries with 'none'"),
        "['none'] alone or a list without 'none'");
}

bool TrainingArguments::reports_to_tensorboard() const {
  return std::find(report_to().begin(), report_to().end(), "tensorboard") != report_to().end();
}

}  // namespace grpo
