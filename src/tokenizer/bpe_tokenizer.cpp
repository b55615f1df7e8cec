// BpeTokenizer: Hugging Face tokenizer.json byte-level BPE. The pipeline follows the
// `tokenizers` library step by step (added-token split, normalizer, added-token split on the
// normalized text, pre-tokenizers, BPE model, post-processor; byte-level decoder), so that
// valid UTF-8 gets the same ids. Each step lives in the file named after its `tokenizers`
// component (normalizers, pre_tokenizers, added_vocabulary, bpe_model, decoders,
// post_processors); this file reads tokenizer.json into them and runs them in order.
#include <grpo/tokenizer/bpe_tokenizer.h>

#include <grpo/support/files.h>

#include "support/text.h"
#include "tokenizer/added_vocabulary.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/decoders.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/normalizers.h"
#include "tokenizer/post_processors.h"
#include "tokenizer/pre_tokenizers.h"

#include <c10/util/Exception.h>

#include <fstream>
#include <utility>

namespace grpo {
namespace {

using Json = detail::TokenizerJson;

Json parse_json_text(const std::string& text, const std::string& path) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    TORCH_CHECK(false, "BpeTokenizer: ", path, " is not valid JSON: ", e.what());
  }
}

}  // namespace

struct BpeTokenizer::Impl {
  std::string path;
  std::string json_text;    // tokenizer.json as read, for save()
  std::string config_text;  // tokenizer_config.json as read by from_directory(), or empty
  std::string chat_template_text;  // chat_template.jinja as read by from_directory(), or empty
  detail::Normalizer normalizer;
  detail::PreTokenizer pre_tokenizer;
  detail::BpeModel model;
  detail::AddedVocabulary added;
  detail::Decoder decoder;
  detail::PostProcessor post_processor;

  std::vector<std::optional<std::string>> id_to_token;  // by id
  std::vector<std::string> decoded;                      // bytes of each id under the decoder
  std::vector<bool> special;
  std::optional<int64_t> eos_id;
  std::optional<int64_t> pad_id;

  void grow(int32_t id) {
    if (static_cast<size_t>(id) >= id_to_token.size()) {
      id_to_token.resize(id + 1);
      decoded.resize(id + 1);
      special.resize(id + 1, false);
    }
  }

  /// The id tables: added tokens first (in file order, later entries win), then the model's
  /// vocabulary for the ids they leave free; every token's bytes under the decoder.
  void build_id_tables() {
    for (const auto& token : added.tokens()) {
      grow(token.id);
      id_to_token[token.id] = token.content;
      decoded[token.id] = token.matched;
      special[token.id] = token.special;
    }
    for (const auto& [token, id] : model.vocab()) {
      grow(id);
      if (!id_to_token[id]) {
        id_to_token[id] = token;
        decoded[id] = token;
      }
    }
    for (auto& text : decoded) {
      text = decoder.token_bytes(text);
    }
  }

  std::optional<int64_t> resolve(const std::optional<std::string>& token, const char* what) const {
    if (!token) return std::nullopt;
    const auto id = find_token(*token);
    TORCH_CHECK(id.has_value(), "BpeTokenizer: ", path, ": ", what, " \"", *token,
                "\" is not in the vocabulary");
    return id;
  }

  std::optional<int64_t> find_token(const std::string& token) const {
    if (const auto id = added.token_to_id(token)) return *id;
    const auto it = model.vocab().find(token);
    if (it != model.vocab().end()) return it->second;
    return std::nullopt;
  }

  void encode(std::string_view text, std::vector<int64_t>& out) const {
    const auto on_word = [&](std::string_view word) { model.tokenize(std::string(word), out); };
    added.split_raw(text, [&](std::string_view segment, int32_t id) {
      if (id >= 0) {
        out.push_back(id);
        return;
      }
      std::string normalized_storage;
      std::string_view normalized = segment;
      if (!normalizer.empty()) {
        normalized_storage = normalizer.normalize(segment);
        normalized = normalized_storage;
      }
      added.split_normalized(normalized, [&](std::string_view piece, int32_t piece_id) {
        if (piece_id >= 0) {
          out.push_back(piece_id);
        } else {
          pre_tokenizer.pre_tokenize(piece, on_word);
        }
      });
    });
  }
};

BpeTokenizer::BpeTokenizer(const std::string& tokenizer_json_path, BpeTokenizerOptions options)
    : impl_(std::make_unique<Impl>()) {
  TORCH_CHECK(options.cache_capacity() >= 0, "BpeTokenizerOptions: cache_capacity must be >= 0, got ",
              options.cache_capacity());
  Impl& impl = *impl_;
  impl.path = tokenizer_json_path;
  impl.json_text = detail::read_text_file(tokenizer_json_path, "BpeTokenizer");
  const Json j = parse_json_text(impl.json_text, tokenizer_json_path);
  try {
    TORCH_CHECK(j.is_object(), "BpeTokenizer: ", tokenizer_json_path,
                " does not hold a JSON object");
    const Json null;
    const auto section = [&](const char* key) -> const Json& {
      const auto it = j.find(key);
      return it == j.end() ? null : *it;
    };
    impl.model = detail::BpeModel::from_json(section("model"), tokenizer_json_path);
    impl.normalizer = detail::Normalizer::from_json(section("normalizer"), tokenizer_json_path);
    impl.pre_tokenizer = detail::PreTokenizer::from_json(section("pre_tokenizer"), tokenizer_json_path);
    impl.decoder = detail::Decoder::from_json(section("decoder"), tokenizer_json_path);
    impl.post_processor = detail::PostProcessor::from_json(section("post_processor"), tokenizer_json_path);
    impl.added = detail::AddedVocabulary::from_json(section("added_tokens"), tokenizer_json_path, impl.normalizer);
  } catch (const Json::exception& e) {
    TORCH_CHECK(false, "BpeTokenizer: ", tokenizer_json_path, " is not a valid tokenizer.json: ",
                e.what());
  }
  impl.build_id_tables();
  // The post-processor names its special tokens by id; an id the vocabulary does not have would
  // be emitted by encode() and fail only later, in the model's embedding.
  for (const auto* ids : {&impl.post_processor.prefix_ids(), &impl.post_processor.suffix_ids()}) {
    for (const auto id : *ids) {
      TORCH_CHECK(id >= 0 && id < static_cast<int64_t>(impl.id_to_token.size()), "BpeTokenizer: ",
                  tokenizer_json_path, ": post_processor token id ", id, " is outside the vocabulary [0, ",
                  impl.id_to_token.size(), ")");
    }
  }
  impl.model.set_cache_capacity(static_cast<size_t>(options.cache_capacity()));
  impl.eos_id = impl.resolve(options.eos_token(), "eos_token");
  impl.pad_id = impl.resolve(options.pad_token(), "pad_token");
}

BpeTokenizer BpeTokenizer::from_directory(const std::string& directory) {
  BpeTokenizerOptions options;
  const std::string config_path = directory + "/tokenizer_config.json";
  std::string config_text;
  if (std::ifstream(config_path).good()) {
    config_text = detail::read_text_file(config_path, "BpeTokenizer");
    const Json config = parse_json_text(config_text, config_path);
    const auto token_content = [&](const char* key) -> std::optional<std::string> {
      const auto it = config.find(key);
      if (it == config.end() || it->is_null()) return std::nullopt;
      if (it->is_string()) return it->get<std::string>();
      TORCH_CHECK(it->is_object() && it->contains("content") && it->at("content").is_string(),
                  "BpeTokenizer: ", config_path, ": ", key,
                  " must be a string or an object with \"content\", got ", it->dump());
      return it->at("content").get<std::string>();
    };
    options.eos_token(token_content("eos_token")).pad_token(token_content("pad_token"));
  }
  BpeTokenizer tokenizer(directory + "/tokenizer.json", options);
  tokenizer.impl_->config_text = std::move(config_text);
  if (std::ifstream(directory + "/chat_template.jinja").good()) {
    tokenizer.impl_->chat_template_text =
        detail::read_text_file(directory + "/chat_template.jinja", "BpeTokenizer");
  }
  return tokenizer;
}

void BpeTokenizer::save(const std::string& directory) const {
  write_file_atomically(directory + "/tokenizer.json", [&](std::ostream& out) { out << impl_->json_text; });
  std::string config = impl_->config_text;
  if (config.empty()) {
    Json j = Json::object();
    j["tokenizer_class"] = "PreTrainedTokenizerFast";
    if (impl_->eos_id) j["eos_token"] = *id_to_token(*impl_->eos_id);
    if (impl_->pad_id) j["pad_token"] = *id_to_token(*impl_->pad_id);
    config = j.dump(2) + "\n";
  }
  write_file_atomically(directory + "/tokenizer_config.json", [&](std::ostream& out) { out << config; });
  if (!impl_->chat_template_text.empty()) {
    write_file_atomically(directory + "/chat_template.jinja", [&](std::ostream& out) { out << impl_->chat_template_text; });
  }
}

BpeTokenizer::BpeTokenizer(BpeTokenizer&& other) noexcept = default;
BpeTokenizer& BpeTokenizer::operator=(BpeTokenizer&& other) noexcept = default;
BpeTokenizer::~BpeTokenizer() = default;

std::vector<int64_t> BpeTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  impl_->encode(text, ids);
  return ids;
}

std::vector<int64_t> BpeTokenizer::encode(const std::string& text, bool add_special_tokens) const {
  if (!add_special_tokens) return encode(text);
  const auto& suffix = impl_->post_processor.suffix_ids();
  std::vector<int64_t> ids = impl_->post_processor.prefix_ids();
  impl_->encode(text, ids);
  ids.insert(ids.end(), suffix.begin(), suffix.end());
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  const Impl& impl = *impl_;
  std::string text;
  bool first = true;
  for (const int64_t id : ids) {
    TORCH_CHECK(id >= 0 && id < vocab_size(), "BpeTokenizer::decode: id ", id,
                " is outside [0, ", vocab_size(), ")");
    if (!impl.id_to_token[id] || (skip_special_tokens && impl.special[id])) continue;
    impl.decoder.append(text, impl.decoded[id], first);
    first = false;
  }
  return text;
}

int64_t BpeTokenizer::vocab_size() const { return static_cast<int64_t>(impl_->id_to_token.size()); }

std::optional<int64_t> BpeTokenizer::eos_token_id() const { return impl_->eos_id; }

std::optional<int64_t> BpeTokenizer::pad_token_id() const { return impl_->pad_id; }

std::optional<int64_t> BpeTokenizer::token_to_id(const std::string& token) const {
  return impl_->find_token(token);
}

std::optional<std::string> BpeTokenizer::id_to_token(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return std::nullopt;
  return impl_->id_to_token[id];
}

bool BpeTokenizer::is_special_token(int64_t id) const {
  return id >= 0 && id < vocab_size() && impl_->special[id];
}

}  // namespace grpo
