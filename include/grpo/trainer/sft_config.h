#pragma once
/// @file Configuration of SftTrainer: the shared TrainingArguments with SFT's defaults (names as
/// TRL's `SFTConfig` / transformers' `TrainingArguments`).

#include <grpo/trainer/training_args.h>

namespace grpo {

/// Options of SftTrainer. Read from and written to JSON (from_json_file(), to_json()); unknown
/// keys are an error. An update sees per_device_train_batch_size * gradient_accumulation_steps
/// examples. Defaults differ from GrpoConfig's: output_dir `runs/sft`, max_steps 500,
/// per_device_train_batch_size 32, learning_rate 1e-3, lr_scheduler_type `cosine`, warmup_ratio
/// 0.05, logging_steps 50.
struct SftConfig : TrainingConfig<SftConfig> {
  SftConfig() {
    output_dir("runs/sft")
        .max_steps(500)
        .per_device_train_batch_size(32)
        .learning_rate(1e-3)
        .lr_scheduler_type("cosine")
        .warmup_ratio(0.05)
        .logging_steps(50);
  }

  /// Calls `visitor(key, field)` for every field: the one list that JSON reading and writing walk.
  template <typename Visitor>
  static void visit_fields(SftConfig& c, Visitor&& visitor) {
    visit_arguments(c, visitor);
  }

  const char* config_name() const override { return "SftConfig"; }
};

// Defined in the library (src/trainer), where the JSON code lives.
extern template class TrainingConfig<SftConfig>;

}  // namespace grpo
