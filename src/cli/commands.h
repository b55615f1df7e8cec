#pragma once
// Subcommands of the grpo program, one file each, and what they share: common.cpp, and the stages
// that `distill` reuses, defined beside their own commands (reject_command.cpp, sft_command.cpp,
// train_command.cpp).

#include <grpo/data/dataset.h>
#include <grpo/model/policy.h>
#include <grpo/rewards/reward.h>
#include <grpo/trainer/grpo_config.h>
#include <grpo/trainer/rejection_sampler.h>
#include <grpo/trainer/sft_config.h>

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace grpo::cli {

void add_demo_command(CLI::App& app);      ///< `grpo demo`
void add_tokenize_command(CLI::App& app);  ///< `grpo tokenize`
void add_score_command(CLI::App& app);     ///< `grpo score`
void add_sft_command(CLI::App& app);       ///< `grpo sft`
void add_train_command(CLI::App& app);     ///< `grpo train`
void add_eval_command(CLI::App& app);      ///< `grpo eval`
void add_sample_command(CLI::App& app);    ///< `grpo sample`
void add_reject_command(CLI::App& app);    ///< `grpo reject`
void add_distill_command(CLI::App& app);   ///< `grpo distill`
void add_plot_command(CLI::App& app);      ///< `grpo plot`

/// The model flags every model-using subcommand takes.
struct ModelFlags {
  std::string dir;                 ///< --model: a model directory, or a repo id in the Hugging Face cache
  std::string revision;            ///< --revision: branch, tag or commit of a repo id (default main)
  std::string dtype = "float32";   ///< --dtype: float32, bfloat16 or float16 parameters
  std::string autocast = "none";   ///< --autocast: none, bfloat16 or float16 (mixed precision)
  int64_t threads = 0;             ///< --threads: CPU intra-op threads, 0 = LibTorch's default
  bool chat = false;               ///< --chat: render prompts with the model's chat template
  std::string system;              ///< --system: system message for --chat
  std::vector<std::string> chat_template_kwargs;  ///< --chat-template-kwargs: KEY=VALUE template variables
};

/// Adds --model (required; a repo id is resolved to its cached snapshot directory once parsed,
/// resolve_model_path()), --revision, --dtype, --autocast, --threads, --chat, --system,
/// --chat-template-kwargs to `cmd`. `model_flag` names --model otherwise (`distill`'s --student).
void add_model_flags(CLI::App* cmd, ModelFlags& flags, const std::string& model_flag = "--model");

/// Loads the model of `flags` onto `device` (`auto`, `cpu`, `cuda[:N]`).
Policy load_policy(const ModelFlags& flags, const std::string& device);

/// The --chat-template-kwargs assignments (KEY=VALUE) as a JSON object: each VALUE parsed as
/// JSON where it parses (false, 3, [1]), else kept as a string.
/// @throws c10::Error for an assignment without '=' or with an empty key.
std::string chat_template_kwargs_json(const std::vector<std::string>& assignments);

/// `prompt` as the model would see it: with --chat, one user message (after the --system
/// message, if any) rendered with the directory's chat template (any Jinja template, with the
/// --chat-template-kwargs variables) and the assistant's turn opened.
std::string render_prompt(const ModelFlags& flags, const std::string& prompt);

/// A dataset with every prompt passed through render_prompt().
PromptDataset render_prompts(const ModelFlags& flags, const PromptDataset& dataset);

/// The run flags of `sft` and `train`: a JSON config and overrides, and resuming.
struct RunFlags {
  std::string config;              ///< --config: the trainer's config JSON
  std::vector<std::string> sets;   ///< --set key=value, in order
  std::string output_dir;          ///< --output-dir
  int64_t max_steps = 0;           ///< --max-steps
  double learning_rate = 0;        ///< --learning-rate
  std::string resume;              ///< --resume DIR|latest
};

/// Adds --config, --set, --output-dir, --max-steps, --learning-rate and --resume to `cmd`.
void add_run_flags(CLI::App* cmd, RunFlags& flags);

/// The config JSON of `defaults_json` or --config (read by `from_file`), with --set and the
/// dedicated flags given on the command line applied, in that order.
std::string resolved_config_json(const CLI::App* cmd, const RunFlags& flags, const std::string& defaults_json,
                                 const std::function<std::string(const std::string&)>& from_file,
                                 std::vector<std::string> extra_sets = {});

/// The SftConfig of `sft` and `distill`: SftConfig's defaults or --config, then the run flags.
/// @throws c10::Error naming the file, key or value as SftConfig::from_json() and validate().
SftConfig sft_config_from_flags(const CLI::App* cmd, const RunFlags& flags);

/// Trains `model` with SftTrainer on the prompt/completion JSONL `data` (prompts rendered by
/// render_prompt()), resuming from `resume` when not empty; prints the final model's directory.
void train_sft(const ModelFlags& model, const std::string& data, const SftConfig& config, const std::string& resume);

/// The GrpoConfig of `train` and `distill`: GrpoConfig's defaults or --config, then --set,
/// `rewards` (--reward specs, when any: they replace reward_funcs, weights 1) and the run flags.
/// @throws c10::Error naming the spec, file, key or value.
GrpoConfig grpo_config_from_flags(const CLI::App* cmd, const RunFlags& flags, const std::vector<std::string>& rewards);

/// Adds the rejection-sampling flags of `reject` and `distill` to `cmd`: --filter (returned, so
/// that a command can require it), -k/--num-generations, --max-per-prompt, --max-new-tokens,
/// --temperature, --top-p, --top-k, --seed, --stop, --near-duplicate, --keep-truncated and
/// --sample-order.
CLI::Option* add_rejection_flags(CLI::App* cmd, std::vector<std::string>& filters, RejectionSamplingOptions& options);

/// Rejection sampling (RejectionSampler) from the model of `model` on `device` over the prompts
/// of the JSONL `data`, with the `filters` (REWARD or REWARD>=MIN each): writes the kept
/// prompt/completion pairs to `output` and, when `report` is not empty, the report there.
/// Returns the report's JSON.
/// @throws c10::Error naming a malformed filter, as RejectionSampler does, or naming the file
///         that cannot be read or written.
std::string reject_into(const ModelFlags& model, const std::string& device, const std::string& data,
                        const std::vector<std::string>& filters, const RejectionSamplingOptions& options,
                        const std::string& output, const std::string& report);

/// A built-in reward from "name" or "name:key=value,key=value".
/// @throws c10::Error naming the spec when a parameter is not key=value, or as make_builtin_reward().
std::shared_ptr<RewardFn> reward_from_spec(const std::string& spec);

/// The JSON object `config_json` with each "key=value" of `sets` applied (value parsed as JSON,
/// else taken as a string).
/// @throws c10::Error naming the item when it has no '=' or an empty key.
std::string apply_overrides(const std::string& config_json, const std::vector<std::string>& sets);

}  // namespace grpo::cli
