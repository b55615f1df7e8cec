#include <grpo/core/options.h>

#include <c10/util/Exception.h>

namespace grpo {

std::string to_string(LossType value) {
  switch (value) {
    case LossType::kGrpo: return "grpo";
    case LossType::kBnpo: return "bnpo";
    case LossType::kDrGrpo: return "dr_grpo";
    case LossType::kDapo: return "dapo";
  }
  TORCH_CHECK(false, "LossType: invalid enum value ", static_cast<int>(value));
}

std::string to_string(ImportanceSamplingLevel value) {
  switch (value) {
    case ImportanceSamplingLevel::kToken: return "token";
    case ImportanceSamplingLevel::kSequence: return "sequence";
  }
  TORCH_CHECK(false, "ImportanceSamplingLevel: invalid enum value ", static_cast<int>(value));
}

std::string to_string(ScaleRewards value) {
  switch (value) {
    case ScaleRewards::kGroup: return "group";
    case ScaleRewards::kBatch: return "batch";
    case ScaleRewards::kNone: return "none";
  }
  TORCH_CHECK(false, "ScaleRewards: invalid enum value ", static_cast<int>(value));
}

LossType parse_loss_type(const std::string& text) {
  for (auto value : {LossType::kGrpo, LossType::kBnpo, LossType::kDrGrpo, LossType::kDapo}) {
    if (text == to_string(value)) return value;
  }
  TORCH_CHECK(false, "loss_type must be one of grpo, bnpo, dr_grpo, dapo, got '", text, "'");
}

ImportanceSamplingLevel parse_importance_sampling_level(const std::string& text) {
  for (auto value : {ImportanceSamplingLevel::kToken, ImportanceSamplingLevel::kSequence}) {
    if (text == to_string(value)) return value;
  }
  TORCH_CHECK(false, "importance_sampling_level must be token or sequence, got '", text, "'");
}

ScaleRewards parse_scale_rewards(const std::string& text) {
  for (auto value : {ScaleRewards::kGroup, ScaleRewards::kBatch, ScaleRewards::kNone}) {
    if (text == to_string(value)) return value;
  }
  TORCH_CHECK(false, "scale_rewards must be one of group, batch, none, got '", text, "'");
}

}  // namespace grpo
