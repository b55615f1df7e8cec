#pragma once
// Subcommands of the grpo program, one file each.

#include <CLI/CLI.hpp>

namespace grpo::cli {

/// `grpo demo`.
void add_demo_command(CLI::App& app);

}  // namespace grpo::cli
