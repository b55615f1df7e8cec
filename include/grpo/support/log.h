#pragma once
/// @file The library's log: one spdlog logger named `grpo`, writing to standard error.
/// Metrics leave through StepStats and metrics.jsonl, never through the log.

#include <string>

namespace grpo::log {

/// An informational line (one per logged training step, evaluations, checkpoints).
void info(const std::string& message);
/// Something the user should look at that did not stop the run.
void warn(const std::string& message);
/// Sets the least severe level printed: `trace`, `debug`, `info`, `warn`, `error` or `off`.
/// @throws std::invalid_argument naming the value if it is none of these.
void set_level(const std::string& level);

}  // namespace grpo::log
