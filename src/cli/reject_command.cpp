// `grpo reject`: rejection sampling (R1 sec. 2.3.3) from a model directory into prompt/completion
// JSONL that `grpo sft` reads, with a report of what was kept and why; `grpo distill` samples the
// teacher's traces through the same flags and reject_into().
#include "cli/commands.h"

#include <grpo/support/files.h>
#include <grpo/trainer/rejection_sampler.h>

#include <c10/util/Exception.h>

#include <cstdlib>
#include <iostream>

namespace grpo::cli {
namespace {

// "SPEC" or "SPEC>=MIN": a built-in reward (NAME or NAME:key=value,...) and its threshold (default 1).
RewardFilter parse_filter(const std::string& text) {
  const size_t at = text.rfind(">=");
  RewardFilter filter{reward_from_spec(text.substr(0, at)), 1.0};
  if (at != std::string::npos) {
    const std::string value = text.substr(at + 2);
    char* end = nullptr;
    filter.min_score = std::strtod(value.c_str(), &end);
    TORCH_CHECK(!value.empty() && end == value.c_str() + value.size(), "--filter takes REWARD or REWARD>=MIN, got '",
                text, "'");
  }
  return filter;
}

}  // namespace

CLI::Option* add_rejection_flags(CLI::App* cmd, std::vector<std::string>& filters, RejectionSamplingOptions& o) {
  auto* filter = cmd->add_option(
      "--filter", filters, "REWARD or REWARD>=MIN (default MIN 1), REWARD as NAME or NAME:key=value,...; repeatable");
  cmd->add_option("-k,--num-generations", o.num_generations(), "completions sampled per prompt")->capture_default_str();
  cmd->add_option("--max-per-prompt", o.max_per_prompt(), "most completions kept per prompt")->capture_default_str();
  cmd->add_option("--max-new-tokens", o.max_new_tokens(), "most tokens per completion")->capture_default_str();
  cmd->add_option("--temperature", o.temperature(), "sampling temperature")->capture_default_str();
  cmd->add_option("--top-p", o.top_p(), "nucleus sampling, 1 = off")->capture_default_str();
  cmd->add_option("--top-k", o.top_k(), "top-k sampling, 0 = off")->capture_default_str();
  cmd->add_option("--seed", o.seed(), "sampling seed")->capture_default_str();
  cmd->add_option("--stop", o.stop_strings(), "stop string; repeatable");
  cmd->add_option("--near-duplicate", o.near_duplicate_threshold(),
                  "word-trigram Jaccard similarity at which two kept completions are duplicates")
      ->capture_default_str();
  cmd->add_flag("!--keep-truncated", o.drop_truncated(), "keep completions cut at --max-new-tokens");
  cmd->add_flag("!--sample-order", o.best_of(), "keep in sampling order instead of the best filter scores first");
  return filter;
}

std::string reject_into(const ModelFlags& model, const std::string& device, const std::string& data,
                        const std::vector<std::string>& filters, const RejectionSamplingOptions& options,
                        const std::string& output, const std::string& report) {
  std::vector<RewardFilter> parsed;
  for (const auto& text : filters) parsed.push_back(parse_filter(text));
  const RejectionSampler sampler(std::move(parsed), options);
  const auto dataset = PromptDataset::from_jsonl(data);
  std::vector<std::string> rendered;
  if (model.chat) {
    for (const auto& row : dataset.rows()) rendered.push_back(render_prompt(model, row.prompt));
  }
  auto policy = load_policy(model, device);
  const auto result = sampler.run(policy, dataset, rendered);
  write_sft_jsonl(output, result.examples);
  const auto json = result.report.to_json();
  if (!report.empty()) write_file_atomically(report, [&](std::ostream& out) { out << json << '\n'; });
  return json;
}

void add_reject_command(CLI::App& app) {
  struct Flags {
    ModelFlags model;
    std::string data, output, report, device = "auto";
    std::vector<std::string> filters;
    RejectionSamplingOptions options;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "reject", "Rejection sampling: k completions per prompt, kept when every --filter passes; writes SFT JSONL");
  add_model_flags(cmd, f->model);
  cmd->add_option("--data", f->data, "JSONL with `prompt` and the columns the filters read")->required();
  add_rejection_flags(cmd, f->filters, f->options)->required();
  cmd->add_option("-o,--output", f->output, "SFT JSONL to write (prompt, completion)")->required();
  cmd->add_option("--report", f->report, "also write the report (kept, pass rates) to this JSON file");
  cmd->add_option("--device", f->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->callback([f] {
    std::cout << reject_into(f->model, f->device, f->data, f->filters, f->options, f->output, f->report) << "\n";
  });
}

}  // namespace grpo::cli
