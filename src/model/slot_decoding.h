#pragma once
/// @file Policy::generate()'s static-shape decoding loop with continuous batching (internal):
/// used with SamplingOptions::cuda_graphs, or when max_decode_rows is below the rollout's rows.

#include "model/sampling.h"

#include <grpo/model/policy.h>
#include <grpo/model/transformer.h>
#include <grpo/tokenizer/tokenizer.h>

namespace grpo::detail {

/// Decodes the N = B * G rows of `inputs` in a batch of S slots, S = N, or with max_decode_rows
/// the largest multiple of G not above it (when smaller than N). Every slot keeps its own output
/// column, cache column and position, all device tensors the step advances itself, so the step
/// has fixed shapes and never reads the device: on CUDA with cuda_graphs it is captured as a
/// graph and replayed. At each look at the device (every done_check_interval steps) finished
/// rows leave their slots, and waiting prompts are admitted whole into free slots (prefilled
/// then, their cache rows copied in); once none waits, the batch is compacted as the dynamic
/// loop's. Each row's draws come from its own noise stream (its prompt's generator, or the
/// one generator when all rows fit), so a row's tokens do not depend on its slot or on when it
/// was admitted.
/// @throws c10::Error when cuda_graphs is asked on a CUDA device and the build has no CUDA graphs.
DecodedRows decode_in_slots(TransformerImpl& model, const Tokenizer& tokenizer, DecodingInputs inputs,
                            const SamplingOptions& options);

}  // namespace grpo::detail
