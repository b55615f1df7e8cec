#include <grpo/trainer/grpo_config.h>

#include "trainer/config_json.h"

#include <c10/util/Exception.h>

#include <cmath>

namespace grpo {
namespace {

// Every field once, by its JSON key: both reading and writing walk this list.
template <typename Config, typename Visitor>
void visit_fields(Config& c, Visitor&& v) {
  v("output_dir", c.output_dir());
  v("device", c.device());
  v("seed", c.seed());
  v("max_steps", c.max_steps());
  v("num_generations", c.num_generations());
  v("per_device_train_batch_size", c.per_device_train_batch_size());
  v("gradient_accumulation_steps", c.gradient_accumulation_steps());
  v("num_iterations", c.num_iterations());
  v("max_completion_length", c.max_completion_length());
  v("temperature", c.temperature());
  v("top_p", c.top_p());
  v("top_k", c.top_k());
  v("stop_strings", c.stop_strings());
  v("loss_type", c.loss_type());
  v("importance_sampling_level", c.importance_sampling_level());
  v("scale_rewards", c.scale_rewards());
  v("beta", c.beta());
  v("epsilon", c.epsilon());
  v("epsilon_high", c.epsilon_high());
  v("delta", c.delta());
  v("use_bias_correction_kl", c.use_bias_correction_kl());
  v("mask_truncated_completions", c.mask_truncated_completions());
  v("reward_funcs", c.reward_funcs());
  v("reward_weights", c.reward_weights());
  v("reward_error_policy", c.reward_error_policy());
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
  v("log_completions_steps", c.log_completions_steps());
  v("save_steps", c.save_steps());
  v("save_total_limit", c.save_total_limit());
  v("eval_steps", c.eval_steps());
}

bool one_of(const std::string& v, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (v == o) return true;
  }
  return false;
}

}  // namespace

void GrpoConfig::validate() const {
  auto check = [](bool ok, const char* field, const auto& value, const char* rule) {
    TORCH_CHECK(ok, "GrpoConfig: ", field, " must be ", rule, ", got ", value);
  };
  check(!output_dir().empty(), "output_dir", "'" + output_dir() + "'", "non-empty");
  check(seed() >= 0, "seed", seed(), ">= 0");
  check(max_steps() >= 1, "max_steps", max_steps(), ">= 1");
  check(num_generations() >= 2, "num_generations", num_generations(), ">= 2");
  check(per_device_train_batch_size() >= 1, "per_device_train_batch_size", per_device_train_batch_size(), ">= 1");
  check(gradient_accumulation_steps() >= 1, "gradient_accumulation_steps", gradient_accumulation_steps(), ">= 1");
  const int64_t batch = per_device_train_batch_size() * gradient_accumulation_steps();
  TORCH_CHECK(batch % num_generations() == 0,
              "GrpoConfig: per_device_train_batch_size * gradient_accumulation_steps = ", batch,
              " completions must be a multiple of num_generations = ", num_generations());
  check(num_iterations() >= 1, "num_iterations", num_iterations(), ">= 1");
  check(max_completion_length() >= 1, "max_completion_length", max_completion_length(), ">= 1");
  check(temperature() > 0 && std::isfinite(temperature()), "temperature", temperature(), "finite and > 0");
  check(top_p() > 0 && top_p() <= 1, "top_p", top_p(), "in (0, 1]");
  check(top_k() >= 0, "top_k", top_k(), ">= 0");
  check(beta() >= 0 && std::isfinite(beta()), "beta", beta(), "finite and >= 0");
  check(epsilon() >= 0 && epsilon() < 1, "epsilon", epsilon(), "in [0, 1)");
  check(!epsilon_high() || *epsilon_high() >= 0, "epsilon_high", epsilon_high().value_or(0), ">= 0");
  check(!delta() || *delta() > 1, "delta", delta().value_or(0), "> 1");
  check(!reward_funcs().empty(), "reward_funcs", "[]", "a non-empty list");
  check(reward_weights().empty() || reward_weights().size() == reward_funcs().size(), "reward_weights",
        reward_weights().size(), "empty or one weight per reward (count)");
  for (double w : reward_weights()) check(std::isfinite(w), "reward_weights", w, "finite");
  check(one_of(reward_error_policy(), {"fail", "nan"}), "reward_error_policy", "'" + reward_error_policy() + "'",
        "fail or nan");
  check(learning_rate() >= 0 && std::isfinite(learning_rate()), "learning_rate", learning_rate(), "finite and >= 0");
  check(adam_beta1() >= 0 && adam_beta1() < 1, "adam_beta1", adam_beta1(), "in [0, 1)");
  check(adam_beta2() >= 0 && adam_beta2() < 1, "adam_beta2", adam_beta2(), "in [0, 1)");
  check(adam_epsilon() > 0, "adam_epsilon", adam_epsilon(), "> 0");
  check(weight_decay() >= 0, "weight_decay", weight_decay(), ">= 0");
  check(max_grad_norm() >= 0, "max_grad_norm", max_grad_norm(), ">= 0");
  check(one_of(lr_scheduler_type(), {"linear", "cosine", "constant"}), "lr_scheduler_type",
        "'" + lr_scheduler_type() + "'", "linear, cosine or constant");
  check(warmup_ratio() >= 0 && warmup_ratio() <= 1, "warmup_ratio", warmup_ratio(), "in [0, 1]");
  check(logging_steps() >= 1, "logging_steps", logging_steps(), ">= 1");
  check(log_completions_steps() >= 0, "log_completions_steps", log_completions_steps(), ">= 0");
  check(save_steps() >= 0, "save_steps", save_steps(), ">= 0");
  check(save_total_limit() >= 1, "save_total_limit", save_total_limit(), ">= 1");
  check(eval_steps() >= 0, "eval_steps", eval_steps(), ">= 0");
}

std::string GrpoConfig::to_json() const {
  return detail::config_to_json(*this, [](GrpoConfig& c, auto&& v) { visit_fields(c, v); });
}

GrpoConfig GrpoConfig::from_json(const std::string& text) {
  return detail::config_from_json<GrpoConfig>(text, "GrpoConfig", [](GrpoConfig& c, auto&& v) { visit_fields(c, v); });
}

GrpoConfig GrpoConfig::from_json_file(const std::string& path) {
  return detail::config_from_json_file<GrpoConfig>(path, "GrpoConfig",
                                                   [](GrpoConfig& c, auto&& v) { visit_fields(c, v); });
}

}  // namespace grpo
