// grpo: the command-line program. Subcommands (src/cli/*_command.cpp, docs/cli.md):
//   info      the library version, LibTorch build and device
//   demo      Countdown end to end: cold-start SFT, GRPO, held-out evaluation
//   sft       supervised fine-tuning of a model directory on prompt/completion JSONL
//   train     GRPO of a model directory on prompt JSONL with built-in rewards
//   eval      greedy accuracy and pass@1 of a model directory on prompt JSONL
//   sample    completions of a model directory for prompts
//   reject    rejection sampling of a model directory into SFT data
//   distill   a teacher into a student: teacher traces then SFT, or on-policy in the GRPO loop
//   plot      the training curves of run directories as a PNG
//   score     built-in rewards of JSONL rows
//   tokenize  text lines to token ids and back with a tokenizer.json
#include <grpo/grpo.h>

#include "cli/commands.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

// LibTorch's CPU tensors come from malloc. glibc maps blocks above its mmap threshold on their
// own and unmaps them on free, and gives freed memory at the top of the heap back to the system,
// so a training step that frees and reallocates the same activations faults their pages in
// again every step. A threshold of 32 MiB (the most glibc's own adjustment raises it to on
// 64-bit systems) keeps such blocks in the heap, and a trim threshold of 512 MiB keeps freed heap
// memory: the default demo's GRPO took 290 s instead of 340 s, its peak memory 1.31 GB instead
// of 1.22 GB (docs/demo.md, docs/performance.md). MALLOC_MMAP_THRESHOLD_ or
// MALLOC_TRIM_THRESHOLD_ in the environment is left to glibc.
void keep_freed_cpu_memory() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_cpu_memory();
  CLI::App app{"grpo: GRPO training of language models with rule-based rewards"};
  app.set_version_flag("--version", grpo::version());
  app.require_subcommand(1);

  auto* info = app.add_subcommand("info", "Print the library version, LibTorch build and device");
  info->callback([] { std::cout << grpo::build_info() << "\n"; });
  grpo::cli::add_demo_command(app);
  grpo::cli::add_sft_command(app);
  grpo::cli::add_train_command(app);
  grpo::cli::add_eval_command(app);
  grpo::cli::add_sample_command(app);
  grpo::cli::add_reject_command(app);
  grpo::cli::add_distill_command(app);
  grpo::cli::add_plot_command(app);
  grpo::cli::add_score_command(app);
  grpo::cli::add_tokenize_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const c10::Error& e) {
    const auto* sub = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front();
    std::cerr << "grpo" << (sub ? " " + sub->get_name() : std::string()) << ": " << e.what_without_backtrace() << "\n";
    return 1;
  }
  return 0;
}
