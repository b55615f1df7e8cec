// grpo: the command-line program. `grpo info` prints the build and the device.
#include "tokenize_command.h"

#include <grpo/grpo.h>

#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"grpo: GRPO training of language models with rule-based rewards"};
  app.set_version_flag("--version", grpo::version());
  app.require_subcommand(1);

  auto* info = app.add_subcommand("info", "Print the library version, LibTorch build and device");
  info->callback([] { std::cout << grpo::build_info() << "\n"; });
  grpo::cli::add_tokenize_command(app);

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
