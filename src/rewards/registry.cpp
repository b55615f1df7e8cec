#include "builtin.h"

#include <c10/util/Exception.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

namespace grpo {
namespace detail {

const std::string* ParamReader::find(const std::string& key) {
  used_.insert(key);
  auto it = params_.find(key);
  return it == params_.end() ? nullptr : &it->second;
}

double ParamReader::number(const std::string& key, double fallback) {
  const auto* value = find(key);
  if (value == nullptr) return fallback;
  errno = 0;
  char* end = nullptr;
  double number = std::strtod(value->c_str(), &end);
  TORCH_CHECK(!value->empty() && errno == 0 && end == value->c_str() + value->size() && std::isfinite(number),
              "reward '", reward_, "': parameter '", key, "' must be a finite number, got '", *value, "'");
  return number;
}

double ParamReader::required_number(const std::string& key) {
  TORCH_CHECK(params_.count(key) != 0, "reward '", reward_, "': parameter '", key, "' is required");
  return number(key, 0.0);
}

int64_t ParamReader::integer(const std::string& key, int64_t fallback) {
  const auto* value = find(key);
  if (value == nullptr) return fallback;
  errno = 0;
  char* end = nullptr;
  long long number = std::strtoll(value->c_str(), &end, 10);
  TORCH_CHECK(!value->empty() && errno == 0 && end == value->c_str() + value->size(), "reward '", reward_,
              "': parameter '", key, "' must be an integer, got '", *value, "'");
  return number;
}

int64_t ParamReader::required_integer(const std::string& key) {
  TORCH_CHECK(params_.count(key) != 0, "reward '", reward_, "': parameter '", key, "' is required");
  return integer(key, 0);
}

std::string ParamReader::text(const std::string& key, const std::string& fallback) {
  const auto* value = find(key);
  return value == nullptr ? fallback : *value;
}

bool ParamReader::boolean(const std::string& key, bool fallback) {
  const auto* value = find(key);
  if (value == nullptr) return fallback;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  TORCH_CHECK(false, "reward '", reward_, "': parameter '", key, "' must be true, false, 1 or 0, got '", *value, "'");
}

void ParamReader::finish() const {
  for (const auto& entry : params_) {
    TORCH_CHECK(used_.count(entry.first) != 0, "reward '", reward_, "' has no parameter '", entry.first, "'");
  }
}

}  // namespace detail

namespace {

using Factory = std::function<std::shared_ptr<RewardFn>(detail::ParamReader&)>;

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> factories = {
      {"accuracy", detail::make_accuracy_reward},
      {"cosine_length", detail::make_cosine_length_reward},
      {"countdown", detail::make_countdown_reward},
      {"format", detail::make_format_reward},
      {"language_consistency", detail::make_language_consistency_reward},
      {"length", detail::make_length_reward},
      {"reasoning_steps", detail::make_reasoning_steps_reward},
      {"repetition_penalty", detail::make_repetition_penalty_reward},
      {"soft_overlong_punishment", detail::make_soft_overlong_punishment_reward},
      {"tag_count", detail::make_tag_count_reward},
  };
  return factories;
}

}  // namespace

std::shared_ptr<RewardFn> make_builtin_reward(const std::string& name, const RewardParams& params) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string known;
    for (const auto& entry : registry()) known += (known.empty() ? "" : ", ") + entry.first;
    TORCH_CHECK(false, "unknown reward '", name, "'; the built-in rewards are ", known);
  }
  detail::ParamReader reader(name, params);
  auto reward = it->second(reader);
  reader.finish();
  return reward;
}

std::vector<std::string> builtin_reward_names() {
  std::vector<std::string> names;
  for (const auto& entry : registry()) names.push_back(entry.first);
  return names;
}

}  // namespace grpo
