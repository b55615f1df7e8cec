#include "support/progress.h"

#include <grpo/support/log.h>

#include <cstdio>
#include <iomanip>
#include <sstream>
#include <unistd.h>

namespace grpo::detail {
namespace {

constexpr double kTerminalInterval = 0.2;  // seconds between redraws on a terminal
constexpr double kLogInterval = 10.0;      // seconds between lines in a log file

}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(::isatty(STDERR_FILENO) != 0),
      start_(Clock::now()), last_shown_(start_) {}

Progress::~Progress() {
  if (drawn_ && done_ < total_) std::fputc('\n', stderr);
}

std::string Progress::line(const std::string& label, int64_t done, int64_t total, const std::string& unit,
                           double seconds) {
  std::ostringstream out;
  out << label << ' ' << done << '/' << total << ' ' << unit;
  if (seconds > 0 && done > 0) {
    const double rate = static_cast<double>(done) / seconds;
    out << std::fixed << std::setprecision(rate < 10 ? 2 : 1) << " | " << rate << ' ' << unit << "/s";
    if (done < total) out << std::setprecision(0) << " | eta " << static_cast<double>(total - done) / rate << " s";
    else out << std::setprecision(1) << " | " << seconds << " s";
  }
  return out.str();
}

void Progress::advance(int64_t units) {
  done_ += units;
  const auto now = Clock::now();
  const double since_shown = std::chrono::duration<double>(now - last_shown_).count();
  const bool complete = done_ >= total_;
  if (!complete && since_shown < (tty_ ? kTerminalInterval : kLogInterval)) return;
  last_shown_ = now;
  const auto text = line(label_, done_, total_, unit_, std::chrono::duration<double>(now - start_).count());
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", text.c_str(), complete ? "\n" : "");
    std::fflush(stderr);
    drawn_ = !complete;
  } else {
    log::info(text);
  }
}

}  // namespace grpo::detail
