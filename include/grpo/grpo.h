#pragma once
/// @file Umbrella header: everything a grpo user needs.

#include <grpo/version.h>
#include <grpo/core/advantages.h>
#include <grpo/core/device.h>
#include <grpo/core/loss.h>
#include <grpo/core/options.h>
#include <grpo/support/files.h>
#include <grpo/data/dataset.h>
#include <grpo/tasks/countdown.h>
#include <grpo/trainer/grpo_config.h>
#include <grpo/model/config.h>
#include <grpo/model/policy.h>
#include <grpo/model/pretrained.h>
#include <grpo/model/safetensors.h>
#include <grpo/model/transformer.h>
#include <grpo/tokenizer/char_tokenizer.h>
#include <grpo/tokenizer/tokenizer.h>
#include <grpo/rewards/checkers.h>
#include <grpo/rewards/reward.h>
#include <grpo/tokenizer/bpe_tokenizer.h>
#include <grpo/tokenizer/chat_template.h>
#include <grpo/tokenizer/load.h>
#include <grpo/support/log.h>
#include <grpo/trainer/grpo_trainer.h>
#include <grpo/trainer/sft_trainer.h>
#include <grpo/tasks/countdown_demo.h>
