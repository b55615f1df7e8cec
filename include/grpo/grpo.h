#pragma once
/// @file Umbrella header: everything a grpo user needs.

#include <grpo/version.h>
#include <grpo/core/advantages.h>
#include <grpo/core/device.h>
#include <grpo/core/loss.h>
#include <grpo/core/options.h>
#include <grpo/data/files.h>
#include <grpo/data/dataset.h>
#include <grpo/tasks/countdown.h>
#include <grpo/trainer/grpo_config.h>
