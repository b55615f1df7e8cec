// Hugging Face safetensors weights by parameter name: model.safetensors or the shards of
// model.safetensors.index.json.
#include <grpo/model/pretrained.h>

#include "model/hf_json.h"
#include "support/text.h"

#include <grpo/model/safetensors.h>
#include <grpo/support/files.h>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <set>

namespace grpo {
namespace {

// Copies the tensors of `files` into `model`'s parameters by name; every parameter must be found.
void copy_weights(Transformer& model, const std::vector<std::string>& files, const std::string& what) {
  auto params = model->named_parameters();
  const bool tied = model->config().tie_word_embeddings();
  std::set<std::string> loaded;
  torch::NoGradGuard no_grad;
  for (const auto& path : files) {
    const SafetensorsFile file(path);
    for (const auto& entry : file.header().tensors) {
      const auto& name = entry.name;
      if (tied && name == "lm_head.weight") continue;  // transformers writes it for some tied models
      // Checkpoints of older transformers versions hold the rotary buffers.
      if (name.size() > 20 && name.compare(name.size() - 20, 20, "rotary_emb.inv_freq") == 0) continue;
      auto* param = params.find(name);
      TORCH_CHECK(param != nullptr, path, ": tensor '", name, "' is not a parameter of the model (",
                  model->config().num_hidden_layers(), " layers, tie_word_embeddings ", tied, ")");
      TORCH_CHECK(entry.dtype == torch::kFloat32 || entry.dtype == torch::kBFloat16 || entry.dtype == torch::kFloat16,
                  path, ": tensor '", name, "' has dtype ", entry.dtype, "; weights must be F32, BF16 or F16");
      TORCH_CHECK(param->sizes() == c10::IntArrayRef(entry.shape), path, ": tensor '", name, "' has shape ",
                  c10::IntArrayRef(entry.shape), " but the config gives ", param->sizes());
      TORCH_CHECK(loaded.insert(name).second, path, ": tensor '", name, "' appears in two files");
      param->copy_(file.tensor(name));
    }
  }
  for (const auto& item : params) {
    TORCH_CHECK(loaded.count(item.key()) > 0, what, ": no tensor '", item.key(), "'",
                item.key() == "lm_head.weight" ? " (an untied model needs lm_head.weight)" : "");
  }
}

}  // namespace

void load_weights(Transformer& model, const std::string& directory) {
  const std::string single = directory + "/model.safetensors";
  const std::string index = directory + "/model.safetensors.index.json";
  if (path_exists(single)) {
    copy_weights(model, {single}, single);
    return;
  }
  TORCH_CHECK(path_exists(index), "'", directory, "' has no weights: neither model.safetensors nor ",
              "model.safetensors.index.json");
  const nlohmann::json j = detail::parse_hf_json_object(detail::read_text_file(index), index);
  TORCH_CHECK(j.contains("weight_map") && j["weight_map"].is_object(), index, ": 'weight_map' must be an object");
  std::set<std::string> shards;
  for (const auto& item : j["weight_map"].items()) {
    TORCH_CHECK(item.value().is_string(), index, ": weight_map['", item.key(), "'] must be a file name");
    const auto shard = item.value().get<std::string>();
    TORCH_CHECK(!shard.empty() && shard.find('/') == std::string::npos && shard != "." && shard != "..", index,
                ": weight_map['", item.key(), "'] must name a file in the directory, got '", shard, "'");
    shards.insert(shard);
  }
  std::vector<std::string> files;
  for (const auto& shard : shards) {
    const std::string path = directory + "/" + shard;
    TORCH_CHECK(path_exists(path), index, ": shard '", shard, "' is missing");
    files.push_back(path);
  }
  copy_weights(model, files, index);
}

void load_weights_file(Transformer& model, const std::string& path) { copy_weights(model, {path}, path); }

void save_weights(const Transformer& model, const std::string& path) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& item : model->named_parameters()) tensors.emplace_back(item.key(), item.value());
  save_safetensors(path, tensors, {{"format", "pt"}});
}

}  // namespace grpo
