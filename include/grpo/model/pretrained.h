#pragma once
/// @file Hugging Face model directories: `config.json` (LlamaForCausalLM, Qwen2ForCausalLM,
/// Qwen3ForCausalLM), weights in `model.safetensors` or shards listed by
/// `model.safetensors.index.json`, `generation_config.json`, and the tokenizer files
/// (load_tokenizer(), grpo/tokenizer/load.h). Policy::from_pretrained() and
/// Policy::save_pretrained() are built on these.
///
/// A directory this library writes is loadable by transformers' `AutoModelForCausalLM` and
/// (for byte-level BPE tokenizers) `AutoTokenizer`. The built-in character tokenizer is saved
/// as `char_tokenizer.json`, which only this library reads.

#include <grpo/model/config.h>
#include <grpo/model/transformer.h>
#include <grpo/tokenizer/load.h>  // load_tokenizer(), declared here before it moved to tokenizer/
#include <grpo/tokenizer/tokenizer.h>

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// How Policy::from_pretrained() places the weights.
struct PretrainedOptions {
  /// Device of the model. Default: CPU.
  TORCH_ARG(torch::Device, device) = torch::kCPU;
  /// dtype of the parameters (kFloat32, kBFloat16 or kFloat16); unset keeps the checkpoint's
  /// dtype (`torch_dtype` / `dtype` of config.json, else the weights' own). Default: kFloat32,
  /// the training dtype on the CPU.
  TORCH_ARG(std::optional<torch::ScalarType>, dtype) = torch::kFloat32;
  /// Branch, tag or commit when the model is named by a Hugging Face repo id (see
  /// resolve_model_path(), grpo/model/hub_cache.h). Default: empty, meaning `main`.
  TORCH_ARG(std::string, revision);
};

/// What a `config.json` says beyond ModelConfig.
struct HfModelInfo {
  /// The model's sizes and options.
  ModelConfig config;
  /// `architectures[0]`: LlamaForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM.
  std::string architecture;
  /// `torch_dtype` (or `dtype`) when given: kFloat32, kBFloat16 or kFloat16.
  std::optional<torch::ScalarType> dtype;
  /// `eos_token_id` (an integer or a list), possibly empty.
  std::vector<int64_t> eos_token_ids;
  /// `bos_token_id` when given.
  std::optional<int64_t> bos_token_id;
};

/// Reads the text of a Hugging Face `config.json`.
/// Mapping: Llama: attention_bias -> q/k/v/o biases (`mlp_bias` must be false); Qwen2: q/k/v
/// biases, no o bias (`use_sliding_window` must be false); Qwen3: q/k norm, attention_bias as
/// Llama. `head_dim` defaults to hidden_size / num_attention_heads, num_key_value_heads to
/// num_attention_heads; `rope_scaling` may be null or of type `llama3`
/// (`rope_parameters` of newer transformers versions is read the same way); `hidden_act`
/// must be `silu`.
/// @param source name for error messages (the file's path).
/// @throws c10::Error naming `source` and the field for malformed JSON, a missing or mistyped
///   field, "unsupported architecture X", an unsupported option (its name and value), or a
///   config that fails ModelConfig::validate().
HfModelInfo parse_hf_config(const std::string& json_text, const std::string& source);

/// The `config.json` text of a model (the architecture follows from the options: q/k norm ->
/// Qwen3ForCausalLM; q/k/v bias without an o bias -> Qwen2ForCausalLM; else LlamaForCausalLM).
/// @param dtype written as `torch_dtype`. @param eos_token_ids, bos_token_id written when given.
/// @throws c10::Error if the config is not representable in any of the three families (an o
///   bias without q/k/v biases).
std::string hf_config_json(const ModelConfig& config, torch::ScalarType dtype,
                           const std::vector<int64_t>& eos_token_ids = {},
                           std::optional<int64_t> bos_token_id = std::nullopt);

/// Copies the weights of a model directory (`model.safetensors`, or the shards of
/// `model.safetensors.index.json`) into `model`'s parameters by name, converting dtype and
/// moving to the parameters' device. A tied model ignores `lm_head.weight`; an untied model
/// without `lm_head.weight` in the files is an error.
/// @throws c10::Error naming the file and tensor for a missing shard or tensor, a shape that
///   differs from the config's, an unsupported dtype, or a tensor the model does not have.
void load_weights(Transformer& model, const std::string& directory);

/// Writes `model`'s parameters (HF names, their dtype) to `path` as one safetensors file,
/// atomically; tied models write no `lm_head.weight` (as transformers does).
/// @throws c10::Error naming the file if it cannot be written (the previous file, if any, stays).
void save_weights(const Transformer& model, const std::string& path);

/// Reads parameters written by save_weights() (or any safetensors file with the model's HF
/// names) from `path` into `model`, with the checks of load_weights().
/// @throws c10::Error naming the file and tensor as load_weights(), or the file when it is
///   missing or not a valid safetensors file.
void load_weights_file(Transformer& model, const std::string& path);

}  // namespace grpo
