// Hugging Face model directories: config.json <-> ModelConfig, safetensors weights by name,
// tokenizer files, and Policy::from_pretrained / save_pretrained / save / load.
#include <grpo/model/pretrained.h>

#include <grpo/support/files.h>
#include <grpo/model/policy.h>
#include <grpo/model/safetensors.h>
#include <grpo/tokenizer/bpe_tokenizer.h>
#include <grpo/tokenizer/char_tokenizer.h>

#include <c10/core/DefaultDtype.h>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <set>
#include <sstream>

namespace grpo {
namespace {

using Json = nlohmann::json;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  TORCH_CHECK(in.good(), "cannot open '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Json parse_json(const std::string& text, const std::string& source) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  TORCH_CHECK(!j.is_discarded(), source, ": not valid JSON");
  TORCH_CHECK(j.is_object(), source, ": expected a JSON object, got ", j.type_name());
  return j;
}

std::optional<torch::ScalarType> parse_dtype(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16") return torch::kFloat16;
  return std::nullopt;
}

const char* dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    default: return nullptr;
  }
}

// An integer or a list of integers (eos_token_id), as a list.
std::vector<int64_t> id_list(const Json& j, const std::string& source, const char* key) {
  std::vector<int64_t> ids;
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return ids;
  const auto add = [&](const Json& v) {
    TORCH_CHECK(v.is_number_integer() && v.get<int64_t>() >= 0, source, ": '", key,
                "' must be a non-negative integer or a list of them, got ", it->dump());
    ids.push_back(v.get<int64_t>());
  };
  if (it->is_array()) {
    for (const auto& v : *it) add(v);
  } else {
    add(*it);
  }
  return ids;
}

// Typed readers of config.json fields: the message names the file, the key and the value.
struct ConfigReader {
  const Json& j;
  const std::string& source;

  const Json* find(const char* key) const {
    const auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
  }
  int64_t integer(const char* key, std::optional<int64_t> fallback = std::nullopt) const {
    const Json* v = find(key);
    TORCH_CHECK(v != nullptr || fallback, source, ": missing '", key, "'");
    if (v == nullptr) return *fallback;
    TORCH_CHECK(v->is_number_integer(), source, ": '", key, "' must be an integer, got ", v->dump());
    return v->get<int64_t>();
  }
  double number(const char* key, std::optional<double> fallback = std::nullopt) const {
    const Json* v = find(key);
    TORCH_CHECK(v != nullptr || fallback, source, ": missing '", key, "'");
    if (v == nullptr) return *fallback;
    TORCH_CHECK(v->is_number(), source, ": '", key, "' must be a number, got ", v->dump());
    return v->get<double>();
  }
  bool boolean(const char* key, bool fallback) const {
    const Json* v = find(key);
    if (v == nullptr) return fallback;
    TORCH_CHECK(v->is_boolean(), source, ": '", key, "' must be true or false, got ", v->dump());
    return v->get<bool>();
  }
  std::string string(const char* key, const std::string& fallback) const {
    const Json* v = find(key);
    if (v == nullptr) return fallback;
    TORCH_CHECK(v->is_string(), source, ": '", key, "' must be a string, got ", v->dump());
    return v->get<std::string>();
  }
};

// rope_scaling (transformers 4.x) or rope_parameters (5.x): none/default or llama3.
void read_rope(const Json& j, const std::string& source, ModelConfig& config) {
  const ConfigReader top{j, source};
  const Json* params = top.find("rope_parameters");
  const Json* scaling = top.find("rope_scaling");
  double theta = top.number("rope_theta", 10000.0);
  const Json* spec = scaling != nullptr ? scaling : params;
  if (spec != nullptr) {
    TORCH_CHECK(spec->is_object(), source, ": rope scaling must be an object or null, got ", spec->dump());
    const ConfigReader r{*spec, source};
    theta = r.number("rope_theta", theta);
    std::string type = r.string("rope_type", r.string("type", "default"));
    if (type == "llama3") {
      config.rope_scaling_type("llama3")
          .rope_scaling_factor(r.number("factor"))
          .rope_low_freq_factor(r.number("low_freq_factor"))
          .rope_high_freq_factor(r.number("high_freq_factor"))
          .rope_original_max_position_embeddings(r.integer("original_max_position_embeddings"));
    } else {
      TORCH_CHECK(type == "default", source, ": unsupported rope type '", type, "' (supported: default, llama3)");
    }
  }
  config.rope_theta(theta);
}

}  // namespace

HfModelInfo parse_hf_config(const std::string& json_text, const std::string& source) {
  const Json j = parse_json(json_text, source);
  const ConfigReader r{j, source};
  HfModelInfo info;
  if (const Json* arch = r.find("architectures")) {
    TORCH_CHECK(arch->is_array() && !arch->empty() && arch->front().is_string(), source,
                ": 'architectures' must be a list of strings, got ", arch->dump());
    info.architecture = arch->front().get<std::string>();
  } else {
    const auto type = r.string("model_type", "");
    if (type == "llama") info.architecture = "LlamaForCausalLM";
    if (type == "qwen2") info.architecture = "Qwen2ForCausalLM";
    if (type == "qwen3") info.architecture = "Qwen3ForCausalLM";
    TORCH_CHECK(!info.architecture.empty(), source, ": no 'architectures' and unsupported model_type '", type, "'");
  }
  const auto& arch = info.architecture;
  TORCH_CHECK(arch == "LlamaForCausalLM" || arch == "Qwen2ForCausalLM" || arch == "Qwen3ForCausalLM", source,
              ": unsupported architecture ", arch, " (supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)");

  auto& c = info.config;
  const int64_t hidden = r.integer("hidden_size");
  const int64_t heads = r.integer("num_attention_heads");
  TORCH_CHECK(heads >= 1, source, ": num_attention_heads must be >= 1, got ", heads);
  c.vocab_size(r.integer("vocab_size"))
      .hidden_size(hidden)
      .intermediate_size(r.integer("intermediate_size"))
      .num_hidden_layers(r.integer("num_hidden_layers"))
      .num_attention_heads(heads)
      .num_key_value_heads(r.integer("num_key_value_heads", heads))
      .head_dim(r.integer("head_dim", hidden / heads))
      .rms_norm_eps(r.number("rms_norm_eps", 1e-6))
      .max_position_embeddings(r.integer("max_position_embeddings", 2048))
      .tie_word_embeddings(r.boolean("tie_word_embeddings", false));
  read_rope(j, source, c);
  const auto act = r.string("hidden_act", "silu");
  TORCH_CHECK(act == "silu", source, ": unsupported hidden_act '", act, "' (supported: silu)");
  TORCH_CHECK(!r.boolean("mlp_bias", false), source, ": unsupported mlp_bias true");
  TORCH_CHECK(!r.boolean("use_sliding_window", false), source, ": unsupported use_sliding_window true");
  const bool attention_bias = r.boolean("attention_bias", false);
  if (arch == "Qwen2ForCausalLM") {
    c.attention_bias(true).o_proj_bias(false).qk_norm(false);
  } else {
    c.attention_bias(attention_bias).o_proj_bias(attention_bias).qk_norm(arch == "Qwen3ForCausalLM");
  }
  // transformers 5 writes `dtype`, 4.x `torch_dtype`.
  const auto dtype = r.string("dtype", r.string("torch_dtype", ""));
  if (!dtype.empty()) {
    info.dtype = parse_dtype(dtype);
    TORCH_CHECK(info.dtype, source, ": unsupported dtype '", dtype, "' (supported: float32, bfloat16, float16)");
  }
  info.eos_token_ids = id_list(j, source, "eos_token_id");
  const auto bos = id_list(j, source, "bos_token_id");
  if (!bos.empty()) info.bos_token_id = bos.front();
  try {
    c.validate();
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, source, ": ", e.what_without_backtrace());
  }
  return info;
}

std::string hf_config_json(const ModelConfig& c, torch::ScalarType dtype, const std::vector<int64_t>& eos_token_ids,
                           std::optional<int64_t> bos_token_id) {
  const char* dtype_text = dtype_name(dtype);
  TORCH_CHECK(dtype_text != nullptr, "hf_config_json: unsupported dtype ", dtype,
              " (supported: float32, bfloat16, float16)");
  std::string arch, type;
  if (c.qk_norm()) {
    TORCH_CHECK(c.attention_bias() == c.o_proj_bias(), "hf_config_json: Qwen3 (q/k norm) needs attention_bias == "
                "o_proj_bias, got ", c.attention_bias(), " and ", c.o_proj_bias());
    arch = "Qwen3ForCausalLM", type = "qwen3";
  } else if (c.attention_bias() && !c.o_proj_bias()) {
    arch = "Qwen2ForCausalLM", type = "qwen2";
  } else {
    TORCH_CHECK(c.attention_bias() == c.o_proj_bias(), "hf_config_json: an o_proj bias without q/k/v biases "
                "fits none of Llama, Qwen2 and Qwen3");
    arch = "LlamaForCausalLM", type = "llama";
  }
  nlohmann::ordered_json j;
  j["architectures"] = {arch};
  j["model_type"] = type;
  j["vocab_size"] = c.vocab_size();
  j["hidden_size"] = c.hidden_size();
  j["intermediate_size"] = c.intermediate_size();
  j["num_hidden_layers"] = c.num_hidden_layers();
  j["num_attention_heads"] = c.num_attention_heads();
  j["num_key_value_heads"] = c.num_key_value_heads();
  j["head_dim"] = c.head_dim();
  j["hidden_act"] = "silu";
  j["rms_norm_eps"] = c.rms_norm_eps();
  j["rope_theta"] = c.rope_theta();
  if (c.rope_scaling_type() == "llama3") {
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", c.rope_scaling_factor()},
                         {"low_freq_factor", c.rope_low_freq_factor()},
                         {"high_freq_factor", c.rope_high_freq_factor()},
                         {"original_max_position_embeddings", c.rope_original_max_position_embeddings()}};
  } else {
    j["rope_scaling"] = nullptr;
  }
  j["max_position_embeddings"] = c.max_position_embeddings();
  j["tie_word_embeddings"] = c.tie_word_embeddings();
  if (type != "qwen2") j["attention_bias"] = c.attention_bias();
  if (type == "llama") j["mlp_bias"] = false;
  if (type != "llama") j["use_sliding_window"] = false;
  j["dtype"] = dtype_text;
  if (bos_token_id) j["bos_token_id"] = *bos_token_id;
  if (eos_token_ids.size() == 1) j["eos_token_id"] = eos_token_ids.front();
  if (eos_token_ids.size() > 1) j["eos_token_id"] = eos_token_ids;
  return j.dump(2) + "\n";
}

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& directory) {
  if (path_exists(directory + "/tokenizer.json")) {
    return std::make_shared<BpeTokenizer>(BpeTokenizer::from_directory(directory));
  }
  if (path_exists(directory + "/char_tokenizer.json")) {
    return std::make_shared<CharTokenizer>(CharTokenizer::from_file(directory + "/char_tokenizer.json"));
  }
  TORCH_CHECK(false, "'", directory, "' has no tokenizer: neither tokenizer.json nor char_tokenizer.json");
}

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
  const Json j = parse_json(read_text(index), index);
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

Policy Policy::from_pretrained(const std::string& directory, const PretrainedOptions& options) {
  const std::string config_path = directory + "/config.json";
  TORCH_CHECK(path_exists(directory), "model directory '", directory, "' does not exist");
  TORCH_CHECK(path_exists(config_path), "model directory '", directory, "' has no config.json");
  const auto info = parse_hf_config(read_text(config_path), config_path);
  const auto dtype = options.dtype().value_or(info.dtype.value_or(torch::kFloat32));
  TORCH_CHECK(dtype_name(dtype) != nullptr, "Policy::from_pretrained: unsupported dtype ", dtype,
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
    const auto ids = id_list(parse_json(read_text(generation_path), generation_path), generation_path, "eos_token_id");
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
