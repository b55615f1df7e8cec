#pragma once
/// @file Umbrella header: everything a grpo user needs.

#include <grpo/version.h>
#include <grpo/core/advantages.h>
#include <grpo/core/device.h>
#include <grpo/core/loss.h>
#include <grpo/core/options.h>
#include <grpo/tokenizer/bpe_tokenizer.h>
#include <grpo/tokenizer/chat_template.h>
#include <grpo/tokenizer/tokenizer.h>
