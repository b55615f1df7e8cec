#pragma once
// `grpo tokenize`: text lines to token ids (JSONL) and back, with a tokenizer.json.

#include <CLI/CLI.hpp>

namespace grpo::cli {

/// Adds the `tokenize` subcommand to `app`.
void add_tokenize_command(CLI::App& app);

}  // namespace grpo::cli
