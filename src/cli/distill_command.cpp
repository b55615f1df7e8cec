// `grpo distill`: distillation of a teacher model directory into a student. Without --on-policy
// as DeepSeek-R1 (arXiv:2501.12948 sec. 2.4): rejection-sampled teacher traces, then SFT of the
// student on them. With --on-policy in the GRPO loop (GKD, arXiv:2306.13649): the student samples,
// the teacher scores the student's tokens, the advantage is log p_teacher - log p_student.
#include "cli/commands.h"

#include <grpo/model/hub_cache.h>
#include <grpo/support/files.h>
#include <grpo/trainer/grpo_trainer.h>

#include <c10/util/Exception.h>

#include <iostream>

namespace grpo::cli {

void add_distill_command(CLI::App& app) {
  struct Flags {
    ModelFlags student;
    RunFlags run;
    std::string teacher, data;
    bool on_policy = false;
    std::vector<std::string> filters, rewards;
    RejectionSamplingOptions sampling;
    double reward_weight = 0.0;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "distill", "Distil a teacher into a student: teacher traces then SFT, or on-policy with --on-policy (docs/cli.md)");
  cmd->add_option("--teacher", f->teacher,
                  "teacher model directory, or a repo id (revision main) in the local Hugging Face cache")
      ->required();
  add_model_flags(cmd, f->student, "--student");
  cmd->add_option("--data", f->data, "prompt JSONL (with the columns the filters or rewards read)")->required();
  add_run_flags(cmd, f->run);
  cmd->get_option("--output-dir")->required();
  cmd->add_flag("--on-policy", f->on_policy,
                "on-policy distillation in the GRPO loop (a GrpoConfig from --config/--set) instead of teacher "
                "traces and SFT (an SftConfig)");
  add_rejection_flags(cmd, f->filters, f->sampling);
  cmd->add_option("--reward", f->rewards,
                  "--on-policy: reward NAME or NAME:key=value,...; repeatable; scored and logged, and trained on "
                  "with --reward-weight");
  cmd->add_option("--reward-weight", f->reward_weight,
                  "--on-policy: weight of the rewards' group advantage added to the teacher's per-token advantage")
      ->capture_default_str();
  cmd->callback([f, cmd] {
    const char* const rejection_flags[] = {"--filter", "--num-generations", "--max-per-prompt", "--max-new-tokens",
                                           "--temperature", "--top-p", "--top-k", "--seed", "--stop",
                                           "--near-duplicate", "--keep-truncated", "--sample-order"};
    for (const char* flag : rejection_flags) {
      TORCH_CHECK(!f->on_policy || cmd->count(flag) == 0, flag,
                  " sets the teacher's rejection sampling, which --on-policy does not run (the student samples as "
                  "the GrpoConfig says: --set num_generations=..., max_completion_length=..., temperature=...)");
    }
    for (const char* flag : {"--reward", "--reward-weight"}) {
      TORCH_CHECK(f->on_policy || cmd->count(flag) == 0, flag, " goes with --on-policy");
    }
    ModelFlags teacher = f->student;
    teacher.dir = resolve_model_path(f->teacher);
    teacher.revision.clear();
    if (f->on_policy) {
      const auto config = grpo_config_from_flags(cmd, f->run, f->rewards);
      GrpoTrainer trainer(load_policy(f->student, config.device()), load_policy(teacher, config.device()), {},
                          render_prompts(f->student, PromptDataset::from_jsonl(f->data)), config,
                          DistillationOptions().reward_weight(f->reward_weight));
      if (!f->run.resume.empty()) trainer.resume(f->run.resume);
      trainer.train();
      std::cout << config.output_dir() << "/model\n";
      return;
    }
    TORCH_CHECK(!f->filters.empty(),
                "--filter: rejection sampling of the teacher's traces needs at least one (for example "
                "--filter accuracy; --filter 'format>=0' keeps every completion)");
    const auto config = sft_config_from_flags(cmd, f->run);
    const std::string traces = config.output_dir() + "/traces.jsonl";
    if (f->run.resume.empty()) {
      create_directories(config.output_dir());
      std::cout << reject_into(teacher, config.device(), f->data, f->filters, f->sampling, traces,
                               config.output_dir() + "/report.json")
                << "\n";
    } else {
      TORCH_CHECK(path_exists(traces), "--resume: ", traces, " is missing; the traces are sampled by a run without --resume");
    }
    train_sft(f->student, traces, config, f->run.resume);
  });
}

}  // namespace grpo::cli
