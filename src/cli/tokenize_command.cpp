// `grpo tokenize`: encodes text lines to JSONL token ids with a Hugging Face tokenizer.json, or
// (--decode) turns such JSONL back into text lines, so that
//   grpo tokenize -t DIR < in.txt | grpo tokenize -t DIR --decode
// reproduces in.txt.
#include "cli/commands.h"

#include <grpo/tokenizer/bpe_tokenizer.h>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace grpo::cli {
namespace {

struct TokenizeArgs {
  std::string tokenizer;
  std::string input = "-";
  bool decode = false;
  bool add_special_tokens = false;
  bool skip_special_tokens = false;
};

BpeTokenizer load(const std::string& path) {
  if (std::filesystem::is_directory(path)) return BpeTokenizer::from_directory(path);
  return BpeTokenizer(path);
}

void encode_lines(const BpeTokenizer& tokenizer, std::istream& in, bool add_special_tokens) {
  for (std::string line; std::getline(in, line);) {
    const auto ids = tokenizer.encode(line, add_special_tokens);
    nlohmann::json tokens = nlohmann::json::array();
    for (const int64_t id : ids) tokens.push_back(tokenizer.id_to_token(id).value_or(""));
    const nlohmann::json row = {{"ids", ids}, {"tokens", tokens}};
    std::cout << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
}

void decode_lines(const BpeTokenizer& tokenizer, std::istream& in, bool skip_special_tokens) {
  size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      TORCH_CHECK(false, "tokenize --decode: line ", number, " is not JSON: ", e.what());
    }
    const nlohmann::json& ids = row.is_object() && row.contains("ids") ? row.at("ids") : row;
    TORCH_CHECK(ids.is_array(), "tokenize --decode: line ", number,
                " must be an array of ids or an object with \"ids\", got ", line);
    std::vector<int64_t> values;
    for (const auto& id : ids) {
      TORCH_CHECK(id.is_number_integer(), "tokenize --decode: line ", number,
                  ": ids must be integers, got ", id.dump());
      values.push_back(id.get<int64_t>());
    }
    std::cout << tokenizer.decode(values, skip_special_tokens) << "\n";
  }
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* cmd = app.add_subcommand(
      "tokenize",
      "Encode text lines to JSONL token ids ({\"ids\": [...], \"tokens\": [...]}) with a Hugging "
      "Face tokenizer.json, or decode such lines back to text with --decode");
  cmd->add_option("-t,--tokenizer", args->tokenizer,
                  "tokenizer.json, or a model directory holding tokenizer.json")
      ->required();
  cmd->add_option("input", args->input, "input file; - or nothing reads standard input");
  cmd->add_flag("--decode", args->decode, "read JSONL ids (arrays or {\"ids\": ...}), write text lines");
  cmd->add_flag("--add-special-tokens", args->add_special_tokens,
                "encode: add the post-processor's tokens (for example <|begin_of_text|>)");
  cmd->add_flag("--skip-special-tokens", args->skip_special_tokens,
                "decode: leave special tokens out");
  cmd->callback([args] {
    const BpeTokenizer tokenizer = load(args->tokenizer);
    std::ifstream file;
    if (args->input != "-") {
      file.open(args->input, std::ios::binary);
      TORCH_CHECK(file.good(), "tokenize: cannot open ", args->input);
    }
    std::istream& in = args->input == "-" ? std::cin : file;
    if (args->decode) {
      decode_lines(tokenizer, in, args->skip_special_tokens);
    } else {
      encode_lines(tokenizer, in, args->add_special_tokens);
    }
  });
}

}  // namespace grpo::cli
