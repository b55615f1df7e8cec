#pragma once
// Learning-rate schedule shared by the trainers (internal header).

#include <cstdint>
#include <string>

namespace grpo::detail {

/// Learning rate of optimizer update `update` (0-based) out of `total`, as transformers'
/// schedules: linear warmup from 0 over ceil(warmup_ratio * total) updates, then `linear`
/// decay to 0, `cosine` decay to 0, or `constant`.
double scheduled_learning_rate(double base, const std::string& type, double warmup_ratio, int64_t update,
                               int64_t total);

}  // namespace grpo::detail
