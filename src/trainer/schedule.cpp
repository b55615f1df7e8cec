#include "trainer/schedule.h"

#include <algorithm>
#include <cmath>

namespace grpo::detail {

double scheduled_learning_rate(double base, const std::string& type, double warmup_ratio, int64_t update,
                               int64_t total) {
  constexpr double kPi = 3.14159265358979323846;
  const double t = static_cast<double>(total);
  const double warmup = std::ceil(warmup_ratio * t);
  const double u = static_cast<double>(update);
  double factor = 1.0;
  if (u < warmup) {
    factor = u / warmup;
  } else if (type != "constant") {
    const double progress = t > warmup ? (u - warmup) / (t - warmup) : 0.0;
    factor = type == "linear" ? std::max(0.0, 1.0 - progress) : 0.5 * (1.0 + std::cos(kPi * progress));
  }
  return base * factor;
}

}  // namespace grpo::detail
