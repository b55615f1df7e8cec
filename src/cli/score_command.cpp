// `grpo score`: scores JSONL rows with built-in rewards.
#include "cli/commands.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace grpo::cli {
namespace {

// One JSONL row: `completion` (required), `prompt`, `completion_ids`, `truncated`; other keys are fields.
RewardInput row_from_line(const std::string& line, const std::string& file, size_t number) {
  const std::string where = file + ":" + std::to_string(number) + ": ";
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  TORCH_CHECK(!json.is_discarded(), where, "not valid JSON");
  TORCH_CHECK(json.is_object(), where, "a row must be a JSON object");
  TORCH_CHECK(json.contains("completion") && json["completion"].is_string(), where,
              "'completion' must be present and a string");
  RewardInput row;
  std::map<std::string, std::string> columns;
  for (const auto& [key, value] : json.items()) {
    if (key == "completion") {
      row.completion = value.get<std::string>();
    } else if (key == "prompt") {
      TORCH_CHECK(value.is_string(), where, "'prompt' must be a string");
      row.prompt = value.get<std::string>();
    } else if (key == "completion_ids") {
      TORCH_CHECK(value.is_array(), where, "'completion_ids' must be an array of integers");
      for (const auto& id : value) {
        TORCH_CHECK(id.is_number_integer(), where, "'completion_ids' must be an array of integers");
        row.completion_ids.push_back(id.get<int64_t>());
      }
    } else if (key == "truncated") {
      TORCH_CHECK(value.is_boolean(), where, "'truncated' must be true or false");
      row.truncated = value.get<bool>();
    } else {
      columns[key] = value.dump();
    }
  }
  row.fields = Columns::from_json_texts(columns);
  return row;
}

void score(const std::string& input, const std::vector<std::string>& specs) {
  std::vector<std::shared_ptr<RewardFn>> rewards;
  std::set<std::string> names;
  for (const auto& spec : specs) {
    rewards.push_back(reward_from_spec(spec));
    TORCH_CHECK(names.insert(rewards.back()->name()).second, "reward '", rewards.back()->name(),
                "' given twice");
  }
  std::ifstream file;
  if (input != "-") {
    file.open(input);
    TORCH_CHECK(file.is_open(), "cannot open '", input, "'");
  }
  std::istream& in = input == "-" ? std::cin : file;
  const std::string label = input == "-" ? "<stdin>" : input;
  std::vector<RewardInput> rows;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    rows.push_back(row_from_line(line, label, number));
  }
  std::vector<std::vector<double>> scores;
  for (const auto& reward : rewards) scores.push_back(reward->score(rows));
  for (size_t i = 0; i < rows.size(); ++i) {
    nlohmann::json out = nlohmann::json::object();
    for (size_t k = 0; k < rewards.size(); ++k) {
      const double value = scores[k][i];
      out[rewards[k]->name()] = std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
    }
    std::cout << out.dump() << "\n";
  }
}

}  // namespace

void add_score_command(CLI::App& app) {
  auto input = std::make_shared<std::string>("-");
  auto specs = std::make_shared<std::vector<std::string>>();
  std::string names;
  for (const auto& name : builtin_reward_names()) names += (names.empty() ? "" : ", ") + name;
  auto* cmd = app.add_subcommand("score",
                                 "Score JSONL rows (completion, prompt, completion_ids, truncated, any fields) with "
                                 "built-in rewards; write one JSON object of rewards per row (null: does not apply)");
  cmd->add_option("-i,--input", *input, "JSONL file, or - for stdin")->capture_default_str();
  cmd->add_option("-r,--reward", *specs, "reward as NAME or NAME:key=value,key=value; one of " + names)->required();
  cmd->callback([input, specs] { score(*input, *specs); });
}

}  // namespace grpo::cli
