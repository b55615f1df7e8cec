#pragma once
// Factories of the built-in rewards, registered by name in registry.cpp.

#include "params.h"

#include <memory>

namespace grpo::detail {

std::shared_ptr<RewardFn> make_format_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_tag_count_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_reasoning_steps_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_accuracy_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_cosine_length_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_length_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_repetition_penalty_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_soft_overlong_punishment_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_countdown_reward(ParamReader& params);
std::shared_ptr<RewardFn> make_language_consistency_reward(ParamReader& params);

}  // namespace grpo::detail
