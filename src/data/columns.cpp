#include <grpo/data/columns.h>

#include "data/columns_values.h"

#include <c10/util/Exception.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace grpo {
namespace {

nlohmann::json parse_column(const std::string& name, const std::string& text) {
  auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  TORCH_CHECK(!value.is_discarded(), "column '", name, "' is not valid JSON: ", text);
  return value;
}

std::optional<double> as_number(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(number)) return std::nullopt;
  return number;
}

const std::shared_ptr<const Columns::Values>& no_columns() {
  static const auto empty = std::make_shared<const Columns::Values>();
  return empty;
}

}  // namespace

Columns::Columns() : values_(no_columns()) {}

Columns::Columns(std::shared_ptr<const Values> values) : values_(values ? std::move(values) : no_columns()) {}

Columns::Columns(std::initializer_list<std::pair<const std::string, std::string>> json_texts)
    : Columns(from_json_texts(std::map<std::string, std::string>(json_texts))) {}

Columns Columns::from_json_texts(const std::map<std::string, std::string>& json_texts) {
  auto values = std::make_shared<Values>();
  for (const auto& [name, text] : json_texts) values->by_name.emplace(name, parse_column(name, text));
  return Columns(std::move(values));
}

bool Columns::has(const std::string& name) const { return values_->by_name.count(name) != 0; }

int64_t Columns::size() const { return static_cast<int64_t>(values_->by_name.size()); }

std::vector<std::string> Columns::names() const {
  std::vector<std::string> out;
  for (const auto& entry : values_->by_name) out.push_back(entry.first);
  return out;
}

std::string Columns::at(const std::string& name) const {
  const auto it = values_->by_name.find(name);
  TORCH_CHECK(it != values_->by_name.end(), "the row has no column '", name, "'");
  return it->second.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Columns::string(const std::string& name) const {
  const auto it = values_->by_name.find(name);
  TORCH_CHECK(it != values_->by_name.end(), "the row has no column '", name, "'");
  return it->second.is_string() ? it->second.get<std::string>() : at(name);
}

double Columns::number(const std::string& name) const {
  const auto it = values_->by_name.find(name);
  TORCH_CHECK(it != values_->by_name.end(), "the row has no column '", name, "'");
  const auto number = as_number(it->second);
  TORCH_CHECK(number.has_value(), "column '", name, "' must be a number, got ", at(name));
  return *number;
}

std::vector<double> Columns::numbers(const std::string& name) const {
  const auto it = values_->by_name.find(name);
  TORCH_CHECK(it != values_->by_name.end(), "the row has no column '", name, "'");
  TORCH_CHECK(it->second.is_array(), "column '", name, "' must be an array of numbers, got ", at(name));
  std::vector<double> out;
  for (const auto& item : it->second) {
    const auto number = as_number(item);
    TORCH_CHECK(number.has_value(), "column '", name, "' must be an array of numbers, got ", at(name));
    out.push_back(*number);
  }
  return out;
}

void Columns::set(const std::string& name, const std::string& json_text) {
  auto copy = std::make_shared<Values>(*values_);
  copy->by_name[name] = parse_column(name, json_text);
  values_ = std::move(copy);
}

bool Columns::operator==(const Columns& other) const {
  return values_ == other.values_ || values_->by_name == other.values_->by_name;
}

}  // namespace grpo
