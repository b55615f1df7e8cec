#include "tokenizer/normalizers.h"

#include "support/utf8.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>

namespace grpo::detail {

Normalizer Normalizer::from_json(const TokenizerJson& j, const std::string& path) {
  Normalizer normalizer;
  normalizer.add(j, path);
  return normalizer;
}

void Normalizer::add(const TokenizerJson& j, const std::string& path) {
  if (j.is_null()) return;
  const std::string type = type_of(j);
  if (type == "Sequence") {
    for (const auto& child : j.at("normalizers")) add(child, path);
    return;
  }
  const int base = UTF8PROC_STABLE;
  if (type == "NFC") {
    forms_.push_back(base | UTF8PROC_COMPOSE);
  } else if (type == "NFD") {
    forms_.push_back(base | UTF8PROC_DECOMPOSE);
  } else if (type == "NFKC") {
    forms_.push_back(base | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  } else if (type == "NFKD") {
    forms_.push_back(base | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  } else {
    TORCH_CHECK(false, "BpeTokenizer: ", path, ": unsupported normalizer type \"", type,
                "\" (supported: NFC, NFD, NFKC, NFKD, Sequence)");
  }
}

std::string Normalizer::normalize(std::string_view text) const {
  std::string current(text);
  for (const int form : forms_) {
    const auto options = static_cast<utf8proc_option_t>(form);
    std::string next;
    next.reserve(current.size());
    for_each_utf8_run(current, [&](std::string_view run, bool valid) {
      const bool ascii = std::all_of(run.begin(), run.end(),
                                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      if (!valid || ascii) {
        next.append(run);
        return;
      }
      utf8proc_uint8_t* mapped = nullptr;
      const auto length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(run.data()),
                                       static_cast<utf8proc_ssize_t>(run.size()), &mapped, options);
      if (length >= 0) {
        next.append(reinterpret_cast<const char*>(mapped), static_cast<size_t>(length));
      } else {
        next.append(run);
      }
      std::free(mapped);
    });
    current = std::move(next);
  }
  return current;
}

}  // namespace grpo::detail
