#pragma once
// The training curves of run directories as a PNG (`grpo plot`, and `grpo demo` at its end).

#include <string>
#include <vector>

namespace grpo::cli {

/// Size of the image write_plot() draws, in pixels.
struct PlotSize {
  int width = 0;
  int height = 0;
};

/// Draws the curves of the runs in `run_dirs` (each with the metrics.jsonl a trainer writes, and
/// eval.jsonl when it evaluated) against the step, one panel per quantity, the runs overlaid in
/// one colour each: GRPO's reward and each reward function's mean with a ±std band, held-out
/// pass@1 with a ±standard-error band, KL, entropy, mean completion length, clip ratios, loss,
/// learning rate, gradient norm and step seconds; SFT's loss, learning rate and gradient norm.
/// Panels no run has are left out. Writes a PNG (Cairo) to `output` and returns its size.
/// @throws c10::Error naming the file when a run has no metrics.jsonl, no steps in it, a line
///         that is not a JSON object with a "step", or when the PNG cannot be written.
PlotSize write_plot(const std::vector<std::string>& run_dirs, const std::string& output);

}  // namespace grpo::cli
