#include <grpo/trainer/grpo_config.h>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

namespace grpo {
namespace {

using Json = nlohmann::ordered_json;

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
  v("lr_scheduler_type", c.lr_scheduler_type());
  v("warmup_ratio", c.warmup_ratio());
  v("logging_steps", c.logging_steps());
  v("log_completions_steps", c.log_completions_steps());
  v("save_steps", c.save_steps());
  v("save_total_limit", c.save_total_limit());
  v("eval_steps", c.eval_steps());
}

// --- field <-> JSON ---
Json to_value(const std::string& v) { return v; }
Json to_value(int64_t v) { return v; }
Json to_value(double v) { return v; }
Json to_value(bool v) { return v; }
Json to_value(LossType v) { return to_string(v); }
Json to_value(ImportanceSamplingLevel v) { return to_string(v); }
Json to_value(ScaleRewards v) { return to_string(v); }
Json to_value(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }
Json to_value(const std::vector<std::string>& v) { return v; }
Json to_value(const std::vector<double>& v) { return v; }
Json to_value(const std::vector<RewardSpec>& v) {
  Json out = Json::array();
  for (const auto& r : v) out.push_back({{"name", r.name}, {"params", r.params}});
  return out;
}

void expect(bool ok, const std::string& key, const char* what, const Json& j) {
  TORCH_CHECK(ok, "GrpoConfig: '", key, "' must be ", what, ", got ", j.dump());
}
void from_value(const Json& j, const std::string& k, std::string& v) { expect(j.is_string(), k, "a string", j); v = j; }
void from_value(const Json& j, const std::string& k, int64_t& v) { expect(j.is_number_integer(), k, "an integer", j); v = j; }
void from_value(const Json& j, const std::string& k, double& v) { expect(j.is_number(), k, "a number", j); v = j; }
void from_value(const Json& j, const std::string& k, bool& v) { expect(j.is_boolean(), k, "true or false", j); v = j; }
void from_value(const Json& j, const std::string& k, LossType& v) {
  expect(j.is_string(), k, "a string", j);
  v = parse_loss_type(j);
}
void from_value(const Json& j, const std::string& k, ImportanceSamplingLevel& v) {
  expect(j.is_string(), k, "a string", j);
  v = parse_importance_sampling_level(j);
}
void from_value(const Json& j, const std::string& k, ScaleRewards& v) {
  expect(j.is_string(), k, "a string", j);
  v = parse_scale_rewards(j);
}
void from_value(const Json& j, const std::string& k, std::optional<double>& v) {
  expect(j.is_null() || j.is_number(), k, "a number or null", j);
  v = j.is_null() ? std::nullopt : std::optional<double>(j.get<double>());
}
void from_value(const Json& j, const std::string& k, std::vector<std::string>& v) {
  expect(j.is_array(), k, "an array of strings", j);
  v.clear();
  for (const auto& e : j) {
    expect(e.is_string(), k, "an array of strings", j);
    v.push_back(e);
  }
}
void from_value(const Json& j, const std::string& k, std::vector<double>& v) {
  expect(j.is_array(), k, "an array of numbers", j);
  v.clear();
  for (const auto& e : j) {
    expect(e.is_number(), k, "an array of numbers", j);
    v.push_back(e);
  }
}
void from_value(const Json& j, const std::string& k, std::vector<RewardSpec>& v) {
  const char* what = "an array of {\"name\": string, \"params\": {string: string or number}}";
  expect(j.is_array(), k, what, j);
  v.clear();
  for (const auto& e : j) {
    expect(e.is_object() && e.contains("name") && e["name"].is_string(), k, what, j);
    RewardSpec spec{e["name"], {}};
    for (const auto& [key, value] : e.items()) {
      expect(key == "name" || key == "params", k, what, j);
    }
    if (e.contains("params")) {
      expect(e["params"].is_object(), k, what, j);
      for (const auto& [name, value] : e["params"].items()) {
        spec.params[name] = value.is_string() ? value.get<std::string>() : value.dump();
      }
    }
    v.push_back(std::move(spec));
  }
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
  Json out = Json::object();
  visit_fields(*this, [&](const char* key, const auto& value) { out[key] = to_value(value); });
  return out.dump(2);
}

GrpoConfig GrpoConfig::from_json(const std::string& text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    TORCH_CHECK(false, "GrpoConfig: malformed JSON: ", e.what());
  }
  TORCH_CHECK(j.is_object(), "GrpoConfig: expected a JSON object, got ", j.type_name());
  GrpoConfig config;
  std::map<std::string, std::function<void(const Json&)>> setters;
  visit_fields(config, [&](const char* key, auto& field) {
    setters[key] = [&field, key](const Json& value) { from_value(value, key, field); };
  });
  for (const auto& [key, value] : j.items()) {
    const auto it = setters.find(key);
    TORCH_CHECK(it != setters.end(), "GrpoConfig: unknown key '", key, "'");
    it->second(value);
  }
  return config;
}

GrpoConfig GrpoConfig::from_json_file(const std::string& path) {
  std::ifstream in(path);
  TORCH_CHECK(in.is_open(), "GrpoConfig: cannot open '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return from_json(text.str());
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, path, ": ", e.what_without_backtrace());
  }
}

}  // namespace grpo
