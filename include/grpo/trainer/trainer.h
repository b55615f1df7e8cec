#pragma once
/// @file Trainer: what every trainer shares. AdamW over the policy's parameters, the
/// learning-rate schedule, gradient clipping, the training loop (a console line every
/// logging_steps, checkpoints every save_steps, the final model), metrics.jsonl, and
/// checkpoint/resume. GrpoTrainer and SftTrainer implement one step each.
///
/// Under a launcher (torchrun, Slurm: see WorldInfo) every rank runs the same trainer: the
/// constructor joins the process-wide group (init_distributed()), the gradients are averaged over
/// the ranks before the clip, and rank 0 alone writes config.json, logs, metrics, samples,
/// TensorBoard files, checkpoints and the final model, which every rank resumes from.

#include <grpo/distributed/process_group.h>
#include <grpo/model/policy.h>
#include <grpo/trainer/training_args.h>

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grpo {
namespace detail {
class EventWriter;
class OutputDirLock;
}  // namespace detail

/// The shared trainer skeleton. A subclass implements train_step() (one training step) and may
/// add files to checkpoints (save_extra_files(), load_extra_files()) and work after a step
/// (after_step(), for example evaluation).
class Trainer {
 public:
  virtual ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  /// Steps until max_steps, with a console line every logging_steps (and after the last step),
  /// a checkpoint every save_steps and after the last step, after_step() after each; finally
  /// writes the trained model to `<output_dir>/model` (Policy::save_pretrained).
  /// @throws c10::Error as the steps do (a non-finite loss, a failing reward, ...) or naming the
  ///         file that cannot be written; checkpoints written before stay whole.
  void train();

  /// Writes `<output_dir>/checkpoint-<step>` atomically (it appears under that name only when
  /// complete): a Hugging Face model directory (Policy::save_pretrained, so transformers and
  /// Policy::from_pretrained load it) plus `optimizer.pt`, `trainer_state.json` and the
  /// subclass's files; removes the oldest beyond save_total_limit. Returns the directory.
  /// @throws c10::Error naming the file that cannot be written; the previous checkpoints stay.
  std::string save_checkpoint();

  /// Restores the model, the optimizer, the step and the subclass's state from a directory
  /// written by save_checkpoint(), or from the newest one in output_dir when given "latest" (a
  /// `.tmp` directory left by a crash is never taken). The data order and sampling continue as
  /// in an unbroken run. metrics.jsonl, samples.jsonl and eval.jsonl in output_dir are cut back
  /// to the checkpoint's step, so the steps run again after it are logged once.
  /// @throws c10::Error naming the directory and the file if one is missing or malformed, or
  ///         when "latest" finds no checkpoint.
  void resume(const std::string& checkpoint_dir);

  /// Steps done so far.
  int64_t global_step() const { return step_; }
  /// The policy being trained (its parameters are updated in place; copies share them).
  Policy& policy() { return policy_; }
  /// The shared part of the trainer's config.
  const TrainingArguments& args() const { return *args_; }

 protected:
  /// Validates `args`, applies bf16 to the policy, checks the policy's device against
  /// args.device(), creates the AdamW optimizer and output_dir, locks `<output_dir>/.lock`
  /// (flock, released when the trainer is destroyed or the process dies) and writes
  /// `<output_dir>/config.json`. Under a launcher it first joins the process group (ddp_backend,
  /// ddp_timeout, ddp_bucket_cap_mb) and checks that every rank has the same config; only rank 0
  /// locks and writes.
  /// @throws c10::Error if args is invalid, the policy is not on args.device(), output_dir
  ///         cannot be created, another process has output_dir locked, the process group cannot
  ///         be formed, or a rank's config differs from rank 0's (naming the rank and the key).
  Trainer(Policy policy, std::unique_ptr<const TrainingArguments> args);

  /// Runs one step (the subclass's) and returns the text of its console line, without the
  /// step counter and timing the loop adds.
  virtual std::string train_step() = 0;
  /// Called by train() after each step and its checkpoint. Default: nothing.
  virtual void after_step() {}
  /// Writes the subclass's own checkpoint files into `dir`. Default: none.
  virtual void save_extra_files(const std::string& dir) const;
  /// Reads what save_extra_files() wrote. Default: nothing.
  /// @throws c10::Error naming `dir` and the file when it is missing or malformed.
  virtual void load_extra_files(const std::string& dir);

  /// Starts optimizer update `update` (0-based) of `total`: sets the scheduled learning rate
  /// on the optimizer and zeroes the gradients. Returns the learning rate.
  double begin_update(int64_t update, int64_t total);
  /// Averages the gradients over the ranks (when distributed), then clips them to max_grad_norm
  /// (as torch.nn.utils.clip_grad_norm_) without reading the device, and returns the total L2
  /// norm before clipping: a [] float32 tensor on the policy's device.
  torch::Tensor clip_gradients();
  /// Seconds the gradient all-reduce of the last clip_gradients() took (0 in one process).
  double last_allreduce_seconds() const { return allreduce_seconds_; }
  /// The process group when distributed, else null.
  ProcessGroup* process_group() const { return world_.get(); }
  /// Whether this process writes the run's files: rank 0, or the only process.
  bool is_main_process() const { return !world_ || world_->is_main(); }
  /// This process's rank (0 in one process) and the number of processes (1).
  int64_t rank() const { return world_ ? world_->rank() : 0; }
  int64_t world_size() const { return world_ ? world_->world_size() : 1; }
  /// Applies the optimizer to the accumulated (clipped) gradients.
  void finish_update();
  /// Appends one JSON object (with an integer "step") to `<output_dir>/metrics.jsonl` and, with
  /// report_to `tensorboard`, writes each of its numbers as scalar `train/<key>` at that step.
  /// @throws c10::Error naming the file if it cannot be written.
  void log_metrics(const std::string& json_line) const;
  /// With report_to `tensorboard`, writes each number of the JSON object `json_object` as
  /// scalar `<prefix><key>` at global_step() (evaluation results: prefix `eval/`). Else nothing.
  /// @throws c10::Error naming the event file if it cannot be written.
  void report_scalars(const std::string& prefix, const std::string& json_object) const;
  /// With report_to `tensorboard`, writes `markdown` as text summary `tag` at global_step().
  /// Else nothing. @throws c10::Error naming the event file if it cannot be written.
  void report_text(const std::string& tag, const std::string& markdown) const;
  /// Marks the step done (global_step() + 1).
  void count_step() { ++step_; }

 private:
  void check_same_config() const;
  void run_steps();

  std::unique_ptr<const TrainingArguments> args_;
  Policy policy_;
  std::shared_ptr<ProcessGroup> world_;  // null in one process
  double allreduce_seconds_ = 0;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::unique_ptr<detail::EventWriter> events_;  // report_to tensorboard, else null
  int64_t step_ = 0;
  std::unique_ptr<detail::OutputDirLock> lock_;
};

}  // namespace grpo
