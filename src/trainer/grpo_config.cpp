#include <grpo/trainer/grpo_config.h>

#include "trainer/config_checks.h"
#include "trainer/config_json.h"

#include <cmath>

namespace grpo {

template <typename Visitor>
void GrpoConfig::visit_fields(GrpoConfig& c, Visitor&& v) {
  visit_arguments(c, v);
  v("num_generations", c.num_generations());
  v("num_iterations", c.num_iterations());
  v("max_completion_length", c.max_completion_length());
  v("temperature", c.temperature());
  v("top_p", c.top_p());
  v("top_k", c.top_k());
  v("stop_strings", c.stop_strings());
  v("cuda_graphs", c.cuda_graphs());
  v("max_decode_rows", c.max_decode_rows());
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
  v("log_completions_steps", c.log_completions_steps());
  v("eval_steps", c.eval_steps());
}

template class TrainingConfig<GrpoConfig>;

void GrpoConfig::validate() const {
  TrainingArguments::validate();
  const detail::FieldCheck check{config_name()};
  check(num_generations() >= 2, "num_generations", num_generations(), ">= 2");
  const int64_t batch = per_device_train_batch_size() * gradient_accumulation_steps();
  TORCH_CHECK(batch % num_generations() == 0,
              "GrpoConfig: per_device_train_batch_size * gradient_accumulation_steps = ", batch,
              " completions must be a multiple of num_generations = ", num_generations());
  check(num_iterations() >= 1, "num_iterations", num_iterations(), ">= 1");
  check(max_completion_length() >= 1, "max_completion_length", max_completion_length(), ">= 1");
  check(temperature() > 0 && std::isfinite(temperature()), "temperature", temperature(), "finite and > 0");
  check(top_p() > 0 && top_p() <= 1, "top_p", top_p(), "in (0, 1]");
  check(top_k() >= 0, "top_k", top_k(), ">= 0");
  check(max_decode_rows() == 0 || max_decode_rows() >= num_generations(), "max_decode_rows", max_decode_rows(),
        "0 or >= num_generations");
  check(beta() >= 0 && std::isfinite(beta()), "beta", beta(), "finite and >= 0");
  check(epsilon() >= 0 && epsilon() < 1, "epsilon", epsilon(), "in [0, 1)");
  check(!epsilon_high() || *epsilon_high() >= 0, "epsilon_high", epsilon_high().value_or(0), ">= 0");
  check(!delta() || *delta() > 1, "delta", delta().value_or(0), "> 1");
  check(reward_weights().empty() || reward_funcs().empty() || reward_weights().size() == reward_funcs().size(),
        "reward_weights", reward_weights().size(), "empty or one weight per reward (count)");
  for (double w : reward_weights()) check(std::isfinite(w), "reward_weights", w, "finite");
  check(detail::one_of(reward_error_policy(), {"fail", "nan"}), "reward_error_policy",
        "'" + reward_error_policy() + "'", "fail or nan");
  check(log_completions_steps() >= 0, "log_completions_steps", log_completions_steps(), ">= 0");
  check(eval_steps() >= 0, "eval_steps", eval_steps(), ">= 0");
}

}  // namespace grpo
