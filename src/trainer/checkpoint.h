#pragma once
// Checkpoint directories shared by GrpoTrainer and SftTrainer: `output_dir/checkpoint-<step>`
// holds a Hugging Face model directory (Policy::save_pretrained) plus the trainer's own files
// (optimizer.pt, trainer_state.json, ...). A directory appears under its final name only when
// complete, and the oldest beyond the limit are removed.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

namespace grpo::detail {

/// Writes `output_dir/checkpoint-<step>`: `fill(dir)` writes the files into a temporary
/// directory, which is then renamed; keeps the newest `keep` checkpoints. Returns the directory.
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
