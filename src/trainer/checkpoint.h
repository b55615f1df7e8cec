#pragma once
// Checkpoint directories shared by GrpoTrainer and SftTrainer: `output_dir/checkpoint-<step>`
// holds a Hugging Face model directory (Policy::save_pretrained) plus the trainer's own files
// (optimizer.pt, trainer_state.json, ...). A directory appears under its final name only when
// complete, and the oldest beyond the limit are removed.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>

namespace grpo::detail {

/// An exclusive lock on `<output_dir>/.lock` (flock(2)), held while a trainer lives, so that a
/// second run started on the same output_dir stops instead of mixing its checkpoints and metrics
/// with the first's. The kernel releases it when the process ends, killed or not, so a crashed
/// run never leaves it stuck. Trainers of one process share it (one lock per lock file).
class OutputDirLock {
 public:
  /// @throws c10::Error naming the lock file if another process holds it or it cannot be opened.
  explicit OutputDirLock(const std::string& output_dir);
  ~OutputDirLock();
  OutputDirLock(const OutputDirLock&) = delete;
  OutputDirLock& operator=(const OutputDirLock&) = delete;

  struct Shared;  // the open lock file, shared by this process's locks of it

 private:
  std::shared_ptr<Shared> shared_;
};

/// Test hook, for the crash tests (tests/crash/) only: when the environment variable
/// GRPO_TEST_KILL_AT is `<phase>:<step>` and both match, the process kills itself with SIGKILL,
/// as `kill -9` would. Phases: `sample` (GRPO, after sampling, before scoring), `update` (after
/// the backward passes, before the optimizer step), `checkpoint` (halfway through writing
/// checkpoint-<step>: the model written, the optimizer not), `between` (after step <step> and
/// its checkpoint). `step` is the 1-based step being run or saved. Unset: does nothing.
void test_kill_point(const char* phase, int64_t step);

/// Truncates a JSON Lines log of the trainer (metrics.jsonl, samples.jsonl, eval.jsonl) back to
/// `last_step`: keeps the lines whose integer "step" is <= last_step, and drops the rest and any
/// line cut short by a crash. Used on resume, so that the steps re-run after the checkpoint are
/// logged once. A missing file is fine.
/// @throws c10::Error naming the file if it cannot be rewritten.
void truncate_step_log(const std::string& path, int64_t last_step);

/// The lines of a JSON Lines log `text` that truncate_step_log() keeps, each ending in '\n'.
std::string step_log_up_to(const std::string& text, int64_t last_step);

/// `output_dir/checkpoint-<step>`.
std::string checkpoint_dir(const std::string& output_dir, int64_t step);

/// Writes `output_dir/checkpoint-<step>`: `fill(dir)` writes the files into a temporary
/// directory, which is then renamed; keeps the newest `keep` checkpoints. Returns the directory.
/// @throws c10::Error naming the checkpoint directory if a file cannot be written (the temporary
///         directory is removed; the previous checkpoints stay whole).
std::string write_checkpoint(const std::string& output_dir, int64_t step, int64_t keep,
                             const std::function<void(const std::string&)>& fill);

/// The trainer_state.json of a checkpoint, after checking that `required` files exist and that
/// it holds an integer `global_step`.
/// @throws c10::Error naming the directory and the missing or malformed file.
nlohmann::json read_trainer_state(const std::string& dir, std::initializer_list<const char*> required);

/// `path`, or for "latest" the newest `output_dir/checkpoint-<step>`.
/// @throws c10::Error if "latest" is asked and output_dir holds no checkpoint.
std::string resolve_checkpoint(const std::string& path, const std::string& output_dir);

}  // namespace grpo::detail
