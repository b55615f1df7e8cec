#include <grpo/support/files.h>
#include <grpo/data/dataset.h>

#include "data/columns_values.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

namespace grpo {
namespace {

// Calls `row(object, line_number)` for each non-blank line of a JSON Lines file.
template <typename Fn>
void for_each_json_line(const std::string& path, Fn&& row) {
  std::ifstream in(path);
  TORCH_CHECK(in.is_open(), "cannot open dataset '", path, "'");
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {  // also out_of_range: a number beyond double
      TORCH_CHECK(false, path, ":", number, ": not valid JSON (", e.what(), ")");
    }
    TORCH_CHECK(object.is_object(), path, ":", number, ": expected a JSON object, got ", object.type_name());
    row(object, number);
  }
}

std::string string_column(const nlohmann::json& object, const std::string& column, const std::string& path,
                          int64_t line) {
  const auto it = object.find(column);
  TORCH_CHECK(it != object.end(), path, ":", line, ": missing column '", column, "'");
  TORCH_CHECK(it->is_string(), path, ":", line, ": column '", column, "' must be a string, got ",
              it->type_name());
  return it->get<std::string>();
}

}  // namespace

PromptDataset::PromptDataset(std::vector<PromptRow> rows) : rows_(std::move(rows)) {
  for (size_t i = 0; i < rows_.size(); ++i) {
    TORCH_CHECK(!rows_[i].prompt.empty(), "PromptDataset: row ", i, " has an empty prompt");
  }
}

PromptDataset PromptDataset::from_jsonl(const std::string& path, const std::string& prompt_column) {
  std::vector<PromptRow> rows;
  for_each_json_line(path, [&](const nlohmann::json& object, int64_t line) {
    PromptRow row;
    row.prompt = string_column(object, prompt_column, path, line);
    TORCH_CHECK(!row.prompt.empty(), path, ":", line, ": column '", prompt_column, "' is empty");
    auto columns = std::make_shared<Columns::Values>();
    for (const auto& [key, value] : object.items()) {
      if (key != prompt_column) columns->by_name.emplace(key, value);
    }
    row.fields = Columns(std::move(columns));
    rows.push_back(std::move(row));
  });
  TORCH_CHECK(!rows.empty(), "dataset '", path, "' has no rows");
  return PromptDataset(std::move(rows));
}

void PromptDataset::to_jsonl(const std::string& path, const std::string& prompt_column) const {
  write_file_atomically(path, [&](std::ostream& out) {
    for (const auto& row : rows_) {
      nlohmann::ordered_json object;
      object[prompt_column] = row.prompt;
      for (const auto& [key, value] : row.fields.values().by_name) object[key] = value;
      out << object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
  });
}

std::vector<int64_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch) {
  TORCH_CHECK(size >= 0, "epoch_order: size must be >= 0, got ", size);
  // Fisher-Yates driven by mt19937_64, whose output the C++ standard fixes; the modulo
  // reduction (bias < 2^-40 for any realistic size) keeps the order identical everywhere.
  std::mt19937_64 rng(seed ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(epoch + 1)));
  std::vector<int64_t> order(static_cast<size_t>(size));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng() % i]);
  }
  return order;
}

std::vector<int64_t> stream_indices(int64_t size, uint64_t seed, int64_t begin, int64_t count) {
  TORCH_CHECK(size >= 1 && begin >= 0 && count >= 0, "stream_indices: need size >= 1, begin >= 0 and count >= 0, got ",
              size, ", ", begin, ", ", count);
  std::vector<int64_t> indices;
  int64_t cached_epoch = -1;
  std::vector<int64_t> order;
  for (int64_t position = begin; position < begin + count; ++position) {
    if (position / size != cached_epoch) {
      cached_epoch = position / size;
      order = epoch_order(size, seed, cached_epoch);
    }
    indices.push_back(order[static_cast<size_t>(position % size)]);
  }
  return indices;
}

std::vector<int64_t> PromptDataset::epoch_order(uint64_t seed, int64_t epoch) const {
  return grpo::epoch_order(size(), seed, epoch);
}

std::vector<SftExample> read_sft_jsonl(const std::string& path) {
  std::vector<SftExample> examples;
  for_each_json_line(path, [&](const nlohmann::json& object, int64_t line) {
    SftExample example{string_column(object, "prompt", path, line), string_column(object, "completion", path, line)};
    TORCH_CHECK(!example.completion.empty(), path, ":", line, ": column 'completion' is empty");
    examples.push_back(std::move(example));
  });
  TORCH_CHECK(!examples.empty(), "dataset '", path, "' has no rows");
  return examples;
}

void write_sft_jsonl(const std::string& path, const std::vector<SftExample>& examples) {
  write_file_atomically(path, [&](std::ostream& out) {
    for (const auto& e : examples) {
      nlohmann::ordered_json object;
      object["prompt"] = e.prompt;
      object["completion"] = e.completion;
      out << object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
  });
}

}  // namespace grpo
