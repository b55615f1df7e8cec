// `grpo plot RUN_DIR [RUN_DIR...] [--output FILE.png]`: the training curves of runs as a PNG.
#include "cli/commands.h"
#include "cli/plot.h"

#include <iostream>

namespace grpo::cli {

void add_plot_command(CLI::App& app) {
  struct Flags {
    std::vector<std::string> runs;
    std::string output;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("plot", "Draw the training curves of run directories (overlaid) as a PNG");
  cmd->add_option("runs", f->runs, "run directories (output_dir of grpo train, grpo sft or the demo's grpo/, sft/)")
      ->required();
  cmd->add_option("--output,-o", f->output, "the PNG to write (default: plot.png in the first run directory)");
  cmd->callback([f] {
    const auto output = f->output.empty() ? f->runs.front() + "/plot.png" : f->output;
    const auto size = write_plot(f->runs, output);
    std::cout << "wrote " << output << " (" << size.width << "x" << size.height << ")\n";
  });
}

}  // namespace grpo::cli
