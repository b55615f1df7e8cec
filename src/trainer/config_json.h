#pragma once
// JSON reading and writing of the trainers' configs (TrainingConfig<Derived>: GrpoConfig,
// SftConfig). A config lists its fields once, as Derived::visit_fields(config, visitor) calling
// visitor(key, field) for each (the shared TrainingArguments first); both directions walk that
// list, so a field cannot be read but not written or the reverse. A config's .cpp includes this
// header and instantiates `template class TrainingConfig<Derived>;`.

#include <grpo/core/options.h>
#include <grpo/trainer/grpo_config.h>
#include <grpo/trainer/training_args.h>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace grpo::detail {

using Json = nlohmann::ordered_json;

// --- field <-> JSON ---
inline Json to_value(const std::string& v) { return v; }
inline Json to_value(int64_t v) { return v; }
inline Json to_value(double v) { return v; }
inline Json to_value(bool v) { return v; }
inline Json to_value(LossType v) { return to_string(v); }
inline Json to_value(ImportanceSamplingLevel v) { return to_string(v); }
inline Json to_value(ScaleRewards v) { return to_string(v); }
inline Json to_value(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }
inline Json to_value(const std::vector<std::string>& v) { return v; }
inline Json to_value(const std::vector<double>& v) { return v; }
inline Json to_value(const std::vector<RewardSpec>& v) {
  Json out = Json::array();
  for (const auto& r : v) out.push_back({{"name", r.name}, {"params", r.params}});
  return out;
}

inline void expect(bool ok, const std::string& key, const char* what, const Json& j) {
  TORCH_CHECK(ok, "'", key, "' must be ", what, ", got ", j.dump());
}
inline void from_value(const Json& j, const std::string& k, std::string& v) { expect(j.is_string(), k, "a string", j); v = j; }
inline void from_value(const Json& j, const std::string& k, int64_t& v) { expect(j.is_number_integer(), k, "an integer", j); v = j; }
inline void from_value(const Json& j, const std::string& k, double& v) { expect(j.is_number(), k, "a number", j); v = j; }
inline void from_value(const Json& j, const std::string& k, bool& v) { expect(j.is_boolean(), k, "true or false", j); v = j; }
inline void from_value(const Json& j, const std::string& k, LossType& v) {
  expect(j.is_string(), k, "a string", j);
  v = parse_loss_type(j);
}
inline void from_value(const Json& j, const std::string& k, ImportanceSamplingLevel& v) {
  expect(j.is_string(), k, "a string", j);
  v = parse_importance_sampling_level(j);
}
inline void from_value(const Json& j, const std::string& k, ScaleRewards& v) {
  expect(j.is_string(), k, "a string", j);
  v = parse_scale_rewards(j);
}
inline void from_value(const Json& j, const std::string& k, std::optional<double>& v) {
  expect(j.is_null() || j.is_number(), k, "a number or null", j);
  v = j.is_null() ? std::nullopt : std::optional<double>(j.get<double>());
}
inline void from_value(const Json& j, const std::string& k, std::vector<std::string>& v) {
  expect(j.is_array(), k, "an array of strings", j);
  v.clear();
  for (const auto& e : j) {
    expect(e.is_string(), k, "an array of strings", j);
    v.push_back(e);
  }
}
inline void from_value(const Json& j, const std::string& k, std::vector<double>& v) {
  expect(j.is_array(), k, "an array of numbers", j);
  v.clear();
  for (const auto& e : j) {
    expect(e.is_number(), k, "an array of numbers", j);
    v.push_back(e);
  }
}
inline void from_value(const Json& j, const std::string& k, std::vector<RewardSpec>& v) {
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

/// The config as a JSON object with every field.
template <typename Config, typename Visit>
std::string config_to_json(const Config& config, Visit visit) {
  Json out = Json::object();
  Config copy = config;
  visit(copy, [&](const char* key, const auto& value) { out[key] = to_value(value); });
  return out.dump(2);
}

/// Reads a JSON object into a default Config; absent keys keep their defaults. Errors are
/// prefixed with `name` ("GrpoConfig: ...").
template <typename Config, typename Visit>
Config config_from_json(const std::string& text, const char* name, Visit visit) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number beyond double
    TORCH_CHECK(false, name, ": malformed JSON: ", e.what());
  }
  TORCH_CHECK(j.is_object(), name, ": expected a JSON object, got ", j.type_name());
  Config config;
  std::map<std::string, std::function<void(const Json&)>> setters;
  visit(config, [&](const char* key, auto& field) {
    setters[key] = [&field, key](const Json& value) { from_value(value, key, field); };
  });
  for (const auto& [key, value] : j.items()) {
    const auto it = setters.find(key);
    TORCH_CHECK(it != setters.end(), name, ": unknown key '", key, "'");
    try {
      it->second(value);
    } catch (const c10::Error& e) {
      TORCH_CHECK(false, name, ": ", e.what_without_backtrace());
    }
  }
  return config;
}

/// config_from_json() of a file; errors name the file.
template <typename Config, typename Visit>
Config config_from_json_file(const std::string& path, const char* name, Visit visit) {
  std::ifstream in(path);
  TORCH_CHECK(in.is_open(), name, ": cannot open '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return config_from_json<Config>(text.str(), name, visit);
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, path, ": ", e.what_without_backtrace());
  }
}

}  // namespace grpo::detail

namespace grpo {

template <typename Derived>
std::string TrainingConfig<Derived>::to_json() const {
  return detail::config_to_json(static_cast<const Derived&>(*this),
                                [](Derived& c, auto&& v) { Derived::visit_fields(c, v); });
}

template <typename Derived>
Derived TrainingConfig<Derived>::from_json(const std::string& text) {
  return detail::config_from_json<Derived>(text, Derived().config_name(),
                                           [](Derived& c, auto&& v) { Derived::visit_fields(c, v); });
}

template <typename Derived>
Derived TrainingConfig<Derived>::from_json_file(const std::string& path) {
  return detail::config_from_json_file<Derived>(path, Derived().config_name(),
                                                [](Derived& c, auto&& v) { Derived::visit_fields(c, v); });
}

}  // namespace grpo
