// Hugging Face model directories: Policy::from_pretrained / save_pretrained (config.json,
// weights, generation_config.json, tokenizer files) and Policy::save / load.
#include <grpo/model/pretrained.h>

#include "model/hf_json.h"
#include "support/text.h"

#include <grpo/model/hub_cache.h>
#include <grpo/model/policy.h>
#include <grpo/support/files.h>
#include <grpo/tokenizer/load.h>

#include <c10/core/DefaultDtype.h>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <torch/torch.h>

namespace grpo {

Policy Policy::from_pretrained(const std::string& name_or_path, const PretrainedOptions& options) {
  const std::string directory = resolve_model_path(name_or_path, options.revision());
  const std::string config_path = directory + "/config.json";
  TORCH_CHECK(path_exists(directory), "model directory '", directory, "' does not exist");
  TORCH_CHECK(path_exists(config_path), "model directory '", directory, "' has no config.json");
  const auto info = parse_hf_config(detail::read_text_file(config_path), config_path);
  const auto dtype = options.dtype().value_or(info.dtype.value_or(torch::kFloat32));
  TORCH_CHECK(detail::hf_dtype_name(dtype) != nullptr, "Policy::from_pretrained: unsupported dtype ", dtype,
              " (supported: float32, bfloat16, float16)");
  auto tokenizer = load_tokenizer(directory);

  // Build the model in its final dtype (no float32 copy of a large model), then load.
  const auto previous = c10::get_default_dtype();
  c10::set_default_dtype(c10::scalarTypeToTypeMeta(dtype));
  std::optional<Transformer> model;
  try {
    model.emplace(info.config);
  } catch (...) {
    c10::set_default_dtype(previous);
    throw;
  }
  c10::set_default_dtype(previous);
  load_weights(*model, directory);

  Policy policy(*model, std::move(tokenizer), options.device());
  std::vector<int64_t> eos = policy.eos_token_ids();
  eos.insert(eos.end(), info.eos_token_ids.begin(), info.eos_token_ids.end());
  const std::string generation_path = directory + "/generation_config.json";
  if (path_exists(generation_path)) {
    const auto generation = detail::parse_hf_json_object(detail::read_text_file(generation_path), generation_path);
    const auto ids = detail::hf_token_id_list(generation, generation_path, "eos_token_id");
    eos.insert(eos.end(), ids.begin(), ids.end());
  }
  try {
    policy.set_eos_token_ids(eos);
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, "model directory '", directory, "': ", e.what_without_backtrace());
  }
  return policy;
}

void Policy::save_pretrained(const std::string& directory) const {
  create_directories(directory);
  const auto dtype = model_->model->embed_tokens->weight.scalar_type();
  save_weights(model_, directory + "/model.safetensors");
  write_file_atomically(directory + "/config.json",
                        [&](std::ostream& out) { out << hf_config_json(model_->config(), dtype, eos_token_ids_); });
  nlohmann::ordered_json generation;
  if (eos_token_ids_.size() == 1) generation["eos_token_id"] = eos_token_ids_.front();
  if (eos_token_ids_.size() > 1) generation["eos_token_id"] = eos_token_ids_;
  generation["pad_token_id"] = pad_id_;
  write_file_atomically(directory + "/generation_config.json",
                        [&](std::ostream& out) { out << generation.dump(2) << '\n'; });
  tokenizer_->save(directory);
}

void Policy::save(const std::string& path) const { save_weights(model_, path); }

void Policy::load(const std::string& path) {
  TORCH_CHECK(path_exists(path), "Policy::load: '", path, "' does not exist");
  load_weights_file(model_, path);
}

}  // namespace grpo
