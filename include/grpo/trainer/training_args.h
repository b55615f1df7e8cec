#pragma once
/// @file TrainingArguments: what every trainer's configuration shares (run directory, device,
/// seed, steps, batch, AdamW, learning-rate schedule, mixed precision, logging, checkpoints), named
/// as transformers' `TrainingArguments`. GrpoConfig and SftConfig add their own fields; one field
/// list, one JSON reader and writer and one validation serve the shared part of both.

#include <cstdint>
#include <string>
#include <vector>

namespace grpo {

/// Declares field `name` of type `T` with its getters, in TrainingArguments and its subclasses:
/// `name()` reads it and `name(value)` (declared by GRPO_CONFIG_SETTER in TrainingConfig) sets it.
#define GRPO_CONFIG_FIELD(T, name)                \
 public:                                          \
  const T& name() const noexcept { return name##_; } \
  T& name() noexcept { return name##_; }          \
                                                  \
 protected:                                       \
  T name##_ /* NOLINT */

/// Declares the chained setter of a TrainingArguments field in TrainingConfig<Derived>, returning
/// the derived config so that `GrpoConfig().output_dir("x").num_generations(8)` chains.
#define GRPO_CONFIG_SETTER(T, name)                    \
 public:                                               \
  using TrainingArguments::name;                       \
  Derived& name(const T& value) {                      \
    this->name##_ = value;                             \
    return static_cast<Derived&>(*this);               \
  }

/// The fields every trainer shares. Read through the getters; set through a concrete config
/// (GrpoConfig, SftConfig), whose chained setters return that config.
class TrainingArguments {
  // --- run ---
  /// Directory of config.json, metrics.jsonl, checkpoints and the final model (`<output_dir>/model`).
  /// Default: `runs/grpo` (GrpoConfig), `runs/sft` (SftConfig).
  GRPO_CONFIG_FIELD(std::string, output_dir) = "runs/train";
  /// `auto` (CUDA when present, else CPU), `cpu`, `cuda` or `cuda:N`: where the CLI loads the
  /// model. A trainer trains the policy where it is and checks that it is on this device when
  /// it is not `auto`. Default: `auto`.
  GRPO_CONFIG_FIELD(std::string, device) = "auto";
  /// Seed of everything random in a run, >= 0: the data order of epoch e is
  /// epoch_order(rows, seed, e); the sampling generator of GRPO step s (0-based) is seeded with
  /// seed * 1000003 + s. Nothing reads the global generator, so a run resumed from a checkpoint
  /// draws what an unbroken run draws. (The model's initialisation is the caller's.) Default: 42.
  GRPO_CONFIG_FIELD(int64_t, seed) = 42;
  /// Training steps, >= 1: one optimizer update each (SFT), or one generation batch and
  /// num_iterations updates each (GRPO). Default: 100 (GRPO), 500 (SFT).
  GRPO_CONFIG_FIELD(int64_t, max_steps) = 100;

  // --- batch ---
  /// Rows (GRPO: completions, SFT: examples) per forward/backward micro-batch, >= 1.
  /// Default: 8 (GRPO), 32 (SFT).
  GRPO_CONFIG_FIELD(int64_t, per_device_train_batch_size) = 8;
  /// Micro-batches whose gradients are summed into one optimizer update, >= 1. An update sees
  /// per_device_train_batch_size * gradient_accumulation_steps rows and equals, within float
  /// rounding, one update over those rows at once. Default: 1.
  GRPO_CONFIG_FIELD(int64_t, gradient_accumulation_steps) = 1;

  // --- optimizer (AdamW, Loshchilov & Hutter arXiv:1711.05101) ---
  /// Peak learning rate, finite and >= 0. Default: 1e-6 (GRPO, as TRL), 1e-3 (SFT).
  GRPO_CONFIG_FIELD(double, learning_rate) = 1e-6;
  /// AdamW's first-moment decay, in [0, 1). Default: 0.9.
  GRPO_CONFIG_FIELD(double, adam_beta1) = 0.9;
  /// AdamW's second-moment decay, in [0, 1). Default: 0.999.
  GRPO_CONFIG_FIELD(double, adam_beta2) = 0.999;
  /// AdamW's denominator offset, > 0. Default: 1e-8.
  GRPO_CONFIG_FIELD(double, adam_epsilon) = 1e-8;
  /// AdamW's decoupled weight decay, >= 0. Default: 0.
  GRPO_CONFIG_FIELD(double, weight_decay) = 0.0;
  /// Clip the global gradient L2 norm to this, > 0, or 0 for no clipping. Default: 1.
  GRPO_CONFIG_FIELD(double, max_grad_norm) = 1.0;
  /// `linear` (decay to 0), `cosine` (to 0) or `constant`, after warmup (transformers'
  /// schedules). Default: `linear` (GRPO), `cosine` (SFT).
  GRPO_CONFIG_FIELD(std::string, lr_scheduler_type) = "linear";
  /// Share of the optimizer updates spent raising the learning rate linearly from 0, in [0, 1].
  /// Default: 0 (GRPO), 0.05 (SFT).
  GRPO_CONFIG_FIELD(double, warmup_ratio) = 0.0;
  /// Mixed precision (TRL's `bf16`): sampling and scoring run under bfloat16 autocast
  /// (Policy::set_autocast_dtype) while parameters, gradients and the optimizer stay in their
  /// own dtype (float32 master weights). Default: false.
  GRPO_CONFIG_FIELD(bool, bf16) = false;

  // --- logging and checkpoints ---
  /// A console line every this many steps, >= 1 (metrics.jsonl gets every step).
  /// Default: 1 (GRPO), 50 (SFT).
  GRPO_CONFIG_FIELD(int64_t, logging_steps) = 1;
  /// A checkpoint every this many steps, >= 0 (0 = only at the end). Default: 0.
  GRPO_CONFIG_FIELD(int64_t, save_steps) = 0;
  /// When checkpoints are written, as transformers' `save_strategy`: `steps` (every save_steps
  /// and at the end) or `no` (never: no resuming, for example in benchmarks; the final model is
  /// still written to `<output_dir>/model`). Default: `steps`.
  GRPO_CONFIG_FIELD(std::string, save_strategy) = "steps";
  /// Checkpoints kept, >= 1 (older ones are removed). Default: 2.
  GRPO_CONFIG_FIELD(int64_t, save_total_limit) = 2;
  /// Where metrics go besides metrics.jsonl and the console, as transformers' `report_to`: a list
  /// of `tensorboard` (event files in `<output_dir>/runs/`: every metric of every step as
  /// `train/<key>`, evaluation results as `eval/<key>`, the config and sampled completions as
  /// text) or `none`; `[]` and `["none"]` report nowhere else. Default: [].
  GRPO_CONFIG_FIELD(std::vector<std::string>, report_to) = {};
  // --- data parallelism (used when a launcher starts several processes; see docs/distributed.md) ---
  /// c10d backend, as transformers' `ddp_backend`: `auto` (NCCL on CUDA, Gloo on the CPU),
  /// `gloo` or `nccl`. Default: auto.
  GRPO_CONFIG_FIELD(std::string, ddp_backend) = "auto";
  /// Seconds one collective (or the rendezvous) may wait before the run stops with an error
  /// naming the rank that stopped, >= 1. Default: 1800 (transformers' `ddp_timeout`).
  GRPO_CONFIG_FIELD(int64_t, ddp_timeout) = 1800;
  /// MiB per gradient all-reduce bucket, >= 1. Default: 25 (transformers' `ddp_bucket_cap_mb`).
  GRPO_CONFIG_FIELD(int64_t, ddp_bucket_cap_mb) = 25;

 public:
  virtual ~TrainingArguments() = default;

  /// Calls `visitor(key, field)` for every shared field, in the order of the JSON file: the one
  /// list that reading, writing and the docs walk (a config's own visit_fields() calls it first).
  template <typename Visitor>
  static void visit_arguments(TrainingArguments& a, Visitor&& visitor) {
    visitor("output_dir", a.output_dir_);
    visitor("device", a.device_);
    visitor("seed", a.seed_);
    visitor("max_steps", a.max_steps_);
    visitor("per_device_train_batch_size", a.per_device_train_batch_size_);
    visitor("gradient_accumulation_steps", a.gradient_accumulation_steps_);
    visitor("learning_rate", a.learning_rate_);
    visitor("adam_beta1", a.adam_beta1_);
    visitor("adam_beta2", a.adam_beta2_);
    visitor("adam_epsilon", a.adam_epsilon_);
    visitor("weight_decay", a.weight_decay_);
    visitor("max_grad_norm", a.max_grad_norm_);
    visitor("lr_scheduler_type", a.lr_scheduler_type_);
    visitor("warmup_ratio", a.warmup_ratio_);
    visitor("bf16", a.bf16_);
    visitor("logging_steps", a.logging_steps_);
    visitor("save_steps", a.save_steps_);
    visitor("save_strategy", a.save_strategy_);
    visitor("save_total_limit", a.save_total_limit_);
    visitor("report_to", a.report_to_);
    visitor("ddp_backend", a.ddp_backend_);
    visitor("ddp_timeout", a.ddp_timeout_);
    visitor("ddp_bucket_cap_mb", a.ddp_bucket_cap_mb_);
  }

  /// Checks every field, shared and the config's own.
  /// @throws c10::Error "<Config>: <field> must be <rule>, got <value>" for the first one out of range.
  virtual void validate() const;

  /// Whether report_to names `tensorboard`.
  bool reports_to_tensorboard() const;

  /// The config's name in messages: `GrpoConfig`, `SftConfig`.
  virtual const char* config_name() const = 0;

  /// The config as a JSON object with every field (TrainingConfig::to_json()).
  virtual std::string to_json() const = 0;

 protected:
  TrainingArguments() = default;
  TrainingArguments(const TrainingArguments&) = default;
  TrainingArguments& operator=(const TrainingArguments&) = default;
};

/// The chained setters of TrainingArguments' fields, returning `Derived&`. A concrete config
/// derives from TrainingConfig<itself>.
template <typename Derived>
class TrainingConfig : public TrainingArguments {
  GRPO_CONFIG_SETTER(std::string, output_dir)
  GRPO_CONFIG_SETTER(std::string, device)
  GRPO_CONFIG_SETTER(int64_t, seed)
  GRPO_CONFIG_SETTER(int64_t, max_steps)
  GRPO_CONFIG_SETTER(int64_t, per_device_train_batch_size)
  GRPO_CONFIG_SETTER(int64_t, gradient_accumulation_steps)
  GRPO_CONFIG_SETTER(double, learning_rate)
  GRPO_CONFIG_SETTER(double, adam_beta1)
  GRPO_CONFIG_SETTER(double, adam_beta2)
  GRPO_CONFIG_SETTER(double, adam_epsilon)
  GRPO_CONFIG_SETTER(double, weight_decay)
  GRPO_CONFIG_SETTER(double, max_grad_norm)
  GRPO_CONFIG_SETTER(std::string, lr_scheduler_type)
  GRPO_CONFIG_SETTER(double, warmup_ratio)
  GRPO_CONFIG_SETTER(bool, bf16)
  GRPO_CONFIG_SETTER(int64_t, logging_steps)
  GRPO_CONFIG_SETTER(int64_t, save_steps)
  GRPO_CONFIG_SETTER(std::string, save_strategy)
  GRPO_CONFIG_SETTER(int64_t, save_total_limit)
  GRPO_CONFIG_SETTER(std::vector<std::string>, report_to)
  GRPO_CONFIG_SETTER(std::string, ddp_backend)
  GRPO_CONFIG_SETTER(int64_t, ddp_timeout)
  GRPO_CONFIG_SETTER(int64_t, ddp_bucket_cap_mb)

 public:
  /// The config as a JSON object with every field, shared ones first (the file documents the run).
  std::string to_json() const override;
  /// Reads a JSON object; absent keys keep their defaults.
  /// @throws c10::Error "<Config>: ..." naming the key for an unknown key, a value of the wrong
  ///         type or an invalid choice, and naming the position for malformed JSON.
  static Derived from_json(const std::string& text);
  /// from_json() of a file. @throws c10::Error naming the file as well, or when it cannot be opened.
  static Derived from_json_file(const std::string& path);
};

#undef GRPO_CONFIG_SETTER
#undef GRPO_CONFIG_FIELD

}  // namespace grpo
