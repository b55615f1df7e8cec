#pragma once
// Progress of a long phase (evaluation, SFT, sampling, checkpoint writing): on a terminal one
// line redrawn in place with the count, rate and ETA; in a log file (standard error not a
// terminal) one log line per update, at most one every 10 s and one at the end.

#include <chrono>
#include <cstdint>
#include <string>

namespace grpo::detail {

class Progress {
 public:
  /// A phase of `total` units (>= 0) named `label` (for example "eval"), counted in `unit`
  /// (for example "prompts"). Prints nothing yet.
  Progress(std::string label, int64_t total, std::string unit);
  /// Ends the terminal line if one was drawn and not finished.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Counts `units` more done and shows the progress when due (always when the phase completes).
  void advance(int64_t units = 1);

  /// "label 12/50 prompts | 3.1 prompts/s | eta 12 s" for `done` units after `seconds`.
  static std::string line(const std::string& label, int64_t done, int64_t total, const std::string& unit,
                          double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_, unit_;
  int64_t total_, done_ = 0;
  bool tty_, drawn_ = false;
  Clock::time_point start_, last_shown_;
};

}  // namespace grpo::detail
