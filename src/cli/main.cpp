// grpo: the command-line program.
//   grpo info                      prints the build and the device
//   grpo score -r NAME[:k=v,...]   scores JSONL rows with built-in rewards, writes JSONL rewards
//   grpo demo [--smoke]            Countdown end to end: SFT, GRPO, held-out evaluation
//   grpo tokenize                  text lines to token ids and back with a tokenizer.json
#include <grpo/grpo.h>

#include "cli/commands.h"
#include "tokenize_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

// "name" or "name:key=value,key=value" -> a built-in reward.
std::shared_ptr<grpo::RewardFn> reward_from_spec(const std::string& spec) {
  const size_t colon = spec.find(':');
  grpo::RewardParams params;
  if (colon != std::string::npos) {
    std::stringstream list(spec.substr(colon + 1));
    std::string item;
    while (std::getline(list, item, ',')) {
      const size_t eq = item.find('=');
      TORCH_CHECK(eq != std::string::npos && eq > 0, "score: reward parameter must be key=value, got '", item, "' in '",
                  spec, "'");
      params[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  return grpo::make_builtin_reward(spec.substr(0, colon), params);
}

// One JSONL row: `completion` (required), `prompt`, `completion_ids`, `truncated`; other keys are fields.
grpo::RewardInput row_from_line(const std::string& line, const std::string& file, size_t number) {
  const std::string where = file + ":" + std::to_string(number) + ": ";
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  TORCH_CHECK(!json.is_discarded(), where, "not valid JSON");
  TORCH_CHECK(json.is_object(), where, "a row must be a JSON object");
  TORCH_CHECK(json.contains("completion") && json["completion"].is_string(), where,
              "'completion' must be present and a string");
  grpo::RewardInput row;
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
      row.fields[key] = value.dump();
    }
  }
  return row;
}

void score(const std::string& input, const std::vector<std::string>& specs) {
  std::vector<std::shared_ptr<grpo::RewardFn>> rewards;
  std::set<std::string> names;
  for (const auto& spec : specs) {
    rewards.push_back(reward_from_spec(spec));
    TORCH_CHECK(names.insert(rewards.back()->name()).second, "score: reward '", rewards.back()->name(),
                "' given twice");
  }
  std::ifstream file;
  if (input != "-") {
    file.open(input);
    TORCH_CHECK(file.is_open(), "score: cannot open '", input, "'");
  }
  std::istream& in = input == "-" ? std::cin : file;
  const std::string label = input == "-" ? "<stdin>" : input;
  std::vector<grpo::RewardInput> rows;
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

int main(int argc, char** argv) {
  CLI::App app{"grpo: GRPO training of language models with rule-based rewards"};
  app.set_version_flag("--version", grpo::version());
  app.require_subcommand(1);

  auto* info = app.add_subcommand("info", "Print the library version, LibTorch build and device");
  info->callback([] { std::cout << grpo::build_info() << "\n"; });
  grpo::cli::add_tokenize_command(app);

  std::string input = "-";
  std::vector<std::string> specs;
  std::string names;
  for (const auto& name : grpo::builtin_reward_names()) names += (names.empty() ? "" : ", ") + name;
  auto* score_cmd =
      app.add_subcommand("score",
                         "Score JSONL rows (completion, prompt, completion_ids, truncated, any fields) with built-in "
                         "rewards; write one JSON object of rewards per row (null: does not apply)");
  score_cmd->add_option("-i,--input", input, "JSONL file, or - for stdin")->capture_default_str();
  score_cmd->add_option("-r,--reward", specs, "reward as NAME or NAME:key=value,key=value; one of " + names)
      ->required();
  score_cmd->callback([&] { score(input, specs); });

  grpo::cli::add_demo_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const c10::Error& e) {
    std::cerr << "grpo: " << e.what_without_backtrace() << "\n";
    return 1;
  }
  return 0;
}
