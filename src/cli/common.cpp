// What the model-using subcommands share: model flags and loading, chat rendering, reward
// specs and config overrides.
#include "cli/commands.h"

#include <grpo/core/device.h>
#include <grpo/model/hub_cache.h>
#include <grpo/tokenizer/chat_template.h>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <sstream>

namespace grpo::cli {
namespace {

std::optional<torch::ScalarType> parse_dtype(const std::string& name, const char* flag, bool allow_none) {
  if (name == "float32" && !allow_none) return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16") return torch::kFloat16;
  TORCH_CHECK(allow_none && name == "none", flag, " must be ", allow_none ? "none, " : "float32, ",
              "bfloat16 or float16, got '", name, "'");
  return std::nullopt;
}

}  // namespace

void add_model_flags(CLI::App* cmd, ModelFlags& flags, const std::string& model_flag) {
  cmd->add_option(model_flag, flags.dir,
                  "model directory in Hugging Face layout (config.json, safetensors, tokenizer), or a repo id "
                  "(org/name) already in the local Hugging Face cache")
      ->required();
  cmd->add_option("--revision", flags.revision, "branch, tag or commit of a " + model_flag + " repo id (default: main)");
  // From here on flags.dir is a directory: the policy, its tokenizer and chat template read it.
  cmd->parse_complete_callback([&flags] { flags.dir = resolve_model_path(flags.dir, flags.revision); });
  cmd->add_option("--dtype", flags.dtype, "parameter dtype: float32, bfloat16 or float16")->capture_default_str();
  cmd->add_option("--autocast", flags.autocast, "mixed precision: none, bfloat16 or float16")->capture_default_str();
  cmd->add_option("--threads", flags.threads, "CPU intra-op threads (0: LibTorch's default)")->capture_default_str();
  cmd->add_flag("--chat", flags.chat, "render each prompt as a user message with the model's chat template");
  cmd->add_option("--system", flags.system, "system message for --chat");
  cmd->add_option("--chat-template-kwargs", flags.chat_template_kwargs,
                  "variables for the chat template, KEY=VALUE (VALUE parsed as JSON where it parses, else a "
                  "string), e.g. enable_thinking=false; repeat the flag for several")
      ->expected(1);
}

std::string chat_template_kwargs_json(const std::vector<std::string>& assignments) {
  nlohmann::ordered_json kwargs = nlohmann::ordered_json::object();
  for (const std::string& assignment : assignments) {
    const size_t eq = assignment.find('=');
    TORCH_CHECK(eq != std::string::npos && eq > 0, "--chat-template-kwargs: expected KEY=VALUE, got '", assignment, "'");
    const std::string key = assignment.substr(0, eq);
    const std::string value = assignment.substr(eq + 1);
    nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(value, nullptr, /*allow_exceptions=*/false);
    kwargs[key] = parsed.is_discarded() ? nlohmann::ordered_json(value) : parsed;
  }
  return kwargs.dump();
}

Policy load_policy(const ModelFlags& flags, const std::string& device) {
  TORCH_CHECK(flags.threads >= 0, "--threads must be >= 0, got ", flags.threads);
  if (flags.threads > 0) at::set_num_threads(static_cast<int>(flags.threads));
  auto policy = Policy::from_pretrained(
      flags.dir, PretrainedOptions().device(parse_device(device)).dtype(parse_dtype(flags.dtype, "--dtype", false)));
  policy.set_autocast_dtype(parse_dtype(flags.autocast, "--autocast", true));
  return policy;
}

std::string render_prompt(const ModelFlags& flags, const std::string& prompt) {
  if (!flags.chat) return prompt;
  static std::map<std::string, ChatTemplate> templates;  // one per directory
  auto it = templates.find(flags.dir);
  if (it == templates.end()) {
    it = templates.emplace(flags.dir, ChatTemplate::from_tokenizer_config(flags.dir + "/tokenizer_config.json")).first;
  }
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!flags.system.empty()) messages.push_back({{"role", "system"}, {"content", flags.system}});
  messages.push_back({{"role", "user"}, {"content", prompt}});
  return it->second.render_json(messages.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                                /*add_generation_prompt=*/true, chat_template_kwargs_json(flags.chat_template_kwargs));
}

PromptDataset render_prompts(const ModelFlags& flags, const PromptDataset& dataset) {
  if (!flags.chat) return dataset;
  std::vector<PromptRow> rows = dataset.rows();
  for (auto& row : rows) row.prompt = render_prompt(flags, row.prompt);
  return PromptDataset(std::move(rows));
}

std::shared_ptr<RewardFn> reward_from_spec(const std::string& spec) {
  const auto parsed = parse_reward_spec(spec);
  return make_builtin_reward(parsed.name, parsed.params);
}

std::string apply_overrides(const std::string& config_json, const std::vector<std::string>& sets) {
  auto j = nlohmann::ordered_json::parse(config_json);
  for (const auto& item : sets) {
    const size_t eq = item.find('=');
    TORCH_CHECK(eq != std::string::npos && eq > 0, "--set takes key=value, got '", item, "'");
    const std::string value = item.substr(eq + 1);
    auto parsed = nlohmann::ordered_json::parse(value, nullptr, /*allow_exceptions=*/false);
    j[item.substr(0, eq)] = parsed.is_discarded() ? nlohmann::ordered_json(value) : parsed;
  }
  return j.dump();
}

void add_run_flags(CLI::App* cmd, RunFlags& flags) {
  cmd->add_option("--config", flags.config, "the trainer's config JSON (docs/config.md); the flags below override it");
  cmd->add_option("--set", flags.sets, "override a config key: key=value (value as JSON, else a string); repeatable");
  cmd->add_option("--output-dir", flags.output_dir, "run directory (config key output_dir)");
  cmd->add_option("--max-steps", flags.max_steps, "optimizer steps (config key max_steps)");
  cmd->add_option("--learning-rate", flags.learning_rate, "learning rate (config key learning_rate)");
  cmd->add_option("--resume", flags.resume, "continue from a checkpoint directory, or `latest` in the run directory");
}

std::string resolved_config_json(const CLI::App* cmd, const RunFlags& flags, const std::string& defaults_json,
                                 const std::function<std::string(const std::string&)>& from_file,
                                 std::vector<std::string> extra_sets) {
  std::vector<std::string> sets = flags.sets;
  sets.insert(sets.end(), extra_sets.begin(), extra_sets.end());
  if (cmd->count("--output-dir")) sets.push_back("output_dir=" + nlohmann::json(flags.output_dir).dump());
  if (cmd->count("--max-steps")) sets.push_back("max_steps=" + std::to_string(flags.max_steps));
  if (cmd->count("--learning-rate")) sets.push_back("learning_rate=" + nlohmann::json(flags.learning_rate).dump());
  return apply_overrides(flags.config.empty() ? defaults_json : from_file(flags.config), sets);
}

}  // namespace grpo::cli
