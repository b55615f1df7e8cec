// `grpo sample`: completions of a model directory for prompts, one JSON line per completion,
// to check a model and its tokenizer and chat template quickly.
#include "cli/commands.h"

#include "support/progress.h"

#include <grpo/support/log.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

namespace grpo::cli {

void add_sample_command(CLI::App& app) {
  struct Flags {
    ModelFlags model;
    std::vector<std::string> prompts;
    std::string input, device = "auto";
    SamplingOptions options = SamplingOptions().max_new_tokens(128);
    int64_t batch_prompts = 16;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("sample", "Sample completions for prompts; one JSON line per completion");
  add_model_flags(cmd, f->model);
  cmd->add_option("-p,--prompt", f->prompts, "a prompt; repeatable");
  cmd->add_option("-i,--input", f->input, "JSONL file with a `prompt` per line");
  cmd->add_option("--device", f->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("-n,--num-samples", f->options.num_generations(), "completions per prompt")->capture_default_str();
  cmd->add_option("--max-new-tokens", f->options.max_new_tokens(), "most tokens per completion")->capture_default_str();
  cmd->add_option("--temperature", f->options.temperature(), "sampling temperature")->capture_default_str();
  cmd->add_option("--top-p", f->options.top_p(), "nucleus sampling, 1 = off")->capture_default_str();
  cmd->add_option("--top-k", f->options.top_k(), "top-k sampling, 0 = off, 1 = greedy")->capture_default_str();
  cmd->add_option("--seed", f->options.seed(), "sampling seed")->capture_default_str();
  cmd->add_option("--stop", f->options.stop_strings(), "stop string; repeatable");
  cmd->add_flag("--cuda-graphs", f->options.cuda_graphs(),
                "static-shape decoding, replayed as CUDA graphs on a CUDA device (docs/model.md)");
  cmd->add_option("--max-decode-rows", f->options.max_decode_rows(),
                  "continuous batching: most completions decoded at once, 0 = all of a batch (docs/model.md)")
      ->capture_default_str();
  cmd->add_option("--batch-prompts", f->batch_prompts,
                  "prompts sampled together; batch b (from 0) samples with seed + b")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([f] {
    std::vector<std::string> prompts = f->prompts;
    if (!f->input.empty()) {
      const auto dataset = PromptDataset::from_jsonl(f->input);
      for (const auto& row : dataset.rows()) prompts.push_back(row.prompt);
    }
    TORCH_CHECK(!prompts.empty(), "give prompts with --prompt or --input");
    auto policy = load_policy(f->model, f->device);
    std::vector<std::string> rendered;
    for (const auto& p : prompts) rendered.push_back(render_prompt(f->model, p));
    const auto n = static_cast<int64_t>(prompts.size());
    detail::Progress progress("sample", n, "prompts");
    double sampling_seconds = 0;
    int64_t completion_tokens = 0;
    for (int64_t begin = 0, batch = 0; begin < n; begin += f->batch_prompts, ++batch) {
      const int64_t end = std::min(n, begin + f->batch_prompts);
      const std::vector<std::string> texts(rendered.begin() + begin, rendered.begin() + end);
      const auto start = std::chrono::steady_clock::now();
      const auto rollout =
          policy.generate(texts, SamplingOptions(f->options).seed(f->options.seed() + static_cast<uint64_t>(batch)));
      sampling_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const auto lengths = rollout.completion_mask.sum(1).to(torch::kCPU);
      completion_tokens += lengths.sum().item<int64_t>();
      const auto truncated = rollout.truncated.to(torch::kCPU);
      for (int64_t r = 0; r < rollout.num_rows(); ++r) {
        nlohmann::json line = {{"prompt", prompts[static_cast<size_t>(begin + r / rollout.num_generations)]},
                               {"completion", rollout.completions[static_cast<size_t>(r)]},
                               {"tokens", lengths[r].item<int64_t>()},
                               {"truncated", truncated[r].item<bool>()}};
        std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      }
      std::cout.flush();
      progress.advance(end - begin);
    }
    // generate() returns after its last read of the device, so its wall time is the sampling's.
    log::info(c10::str("sample: ", completion_tokens, " completion tokens in ", sampling_seconds, " s of sampling, ",
                       sampling_seconds > 0 ? static_cast<double>(completion_tokens) / sampling_seconds : 0.0,
                       " tokens/s"));
  });
}

}  // namespace grpo::cli
