// Hugging Face config.json <-> ModelConfig (LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM).
#include <grpo/model/pretrained.h>

#include "model/hf_json.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

namespace grpo {
namespace detail {

nlohmann::json parse_hf_json_object(const std::string& text, const std::string& source) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  TORCH_CHECK(!j.is_discarded(), source, ": not valid JSON");
  TORCH_CHECK(j.is_object(), source, ": expected a JSON object, got ", j.type_name());
  return j;
}

const char* hf_dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    default: return nullptr;
  }
}

std::vector<int64_t> hf_token_id_list(const nlohmann::json& j, const std::string& source, const char* key) {
  std::vector<int64_t> ids;
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return ids;
  const auto add = [&](const nlohmann::json& v) {
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

}  // namespace detail

namespace {

using Json = nlohmann::json;

std::optional<torch::ScalarType> parse_dtype(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16") return torch::kFloat16;
  return std::nullopt;
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
  const Json j = detail::parse_hf_json_object(json_text, source);
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
  info.eos_token_ids = detail::hf_token_id_list(j, source, "eos_token_id");
  const auto bos = detail::hf_token_id_list(j, source, "bos_token_id");
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
  const char* dtype_text = detail::hf_dtype_name(dtype);
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

}  // namespace grpo
