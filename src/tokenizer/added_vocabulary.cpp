#include "tokenizer/added_vocabulary.h"

#include "support/text.h"
#include "support/utf8.h"

#include <utf8proc.h>

#include <algorithm>

namespace grpo::detail {
namespace {

/// The Rust regex crate's `\w` (Alphabetic, marks, decimal digits, connector punctuation,
/// joiners), approximated by general categories (letters, Nl, marks, Nd, Pc).
bool is_word_character(char32_t cp) {
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return cp == 0x200C || cp == 0x200D;
  }
}

}  // namespace

void AddedTokenMatcher::add(AddedToken token) {
  int32_t node = 0;
  for (const char c : token.matched) {
    node = add_child(node, static_cast<unsigned char>(c));
  }
  nodes_[node].token = static_cast<int32_t>(tokens_.size());
  first_bytes_[static_cast<unsigned char>(token.matched[0])] = true;
  tokens_.push_back(std::move(token));
}

void AddedTokenMatcher::split(std::string_view text, const AddedPieceFn& on_piece) const {
  if (tokens_.empty()) {
    if (!text.empty()) on_piece(text, -1);
    return;
  }
  size_t start_offset = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!first_bytes_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    int32_t node = 0;
    int32_t found = -1;
    size_t found_end = 0;
    for (size_t j = i; j < text.size(); ++j) {
      node = find_child(node, static_cast<unsigned char>(text[j]));
      if (node < 0) break;
      if (nodes_[node].token >= 0) {
        found = nodes_[node].token;
        found_end = j + 1;
      }
    }
    if (found < 0) {
      ++i;
      continue;
    }
    const AddedToken& token = tokens_[found];
    size_t start = i;
    size_t stop = found_end;
    i = found_end;
    if (token.single_word) {
      const auto before = start == 0 ? std::nullopt : utf8_char_before(text, start);
      const auto after = stop == text.size() ? std::nullopt : utf8_char_at(text, stop);
      if ((before && is_word_character(*before)) || (after && is_word_character(*after))) {
        continue;
      }
    }
    if (start < start_offset) {
      continue;  // inside the whitespace an rstrip token took
    }
    if (token.lstrip) {
      size_t new_start = start;
      while (const auto c = utf8_char_before(text, new_start)) {
        if (!is_unicode_white_space(*c)) break;
        new_start -= *c < 0x80u ? 1 : (*c < 0x800u ? 2 : (*c < 0x10000u ? 3 : 4));
      }
      start = std::max(new_start, start_offset);
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        const auto c = utf8_char_at(text, stop);
        if (!c || !is_unicode_white_space(*c)) break;
        stop += utf8_length_at(text, stop);
      }
      i = stop;
    }
    if (start_offset < start) {
      on_piece(text.substr(start_offset, start - start_offset), -1);
    }
    on_piece(text.substr(start, stop - start), token.id);
    start_offset = stop;
  }
  if (start_offset < text.size()) {
    on_piece(text.substr(start_offset), -1);
  }
}

int32_t AddedTokenMatcher::find_child(int32_t node, unsigned char byte) const {
  for (const auto& [b, next] : nodes_[node].children) {
    if (b == byte) return next;
  }
  return -1;
}

int32_t AddedTokenMatcher::add_child(int32_t node, unsigned char byte) {
  const int32_t existing = find_child(node, byte);
  if (existing >= 0) return existing;
  nodes_.emplace_back();
  const auto next = static_cast<int32_t>(nodes_.size() - 1);
  nodes_[node].children.emplace_back(byte, next);
  return next;
}

AddedVocabulary AddedVocabulary::from_json(const TokenizerJson& j, const std::string& path,
                                           const Normalizer& normalizer) {
  AddedVocabulary vocabulary;
  if (j.is_null()) return vocabulary;
  for (const auto& entry : j) {
    AddedToken token;
    token.content = entry.at("content").get<std::string>();
    if (token.content.empty()) continue;
    token.id = checked_id(entry.at("id"), path);
    token.single_word = optional_bool(entry, "single_word", false);
    token.lstrip = optional_bool(entry, "lstrip", false);
    token.rstrip = optional_bool(entry, "rstrip", false);
    token.special = optional_bool(entry, "special", false);
    token.normalized = optional_bool(entry, "normalized", !token.special);
    token.matched = token.normalized ? normalizer.normalize(token.content) : token.content;
    vocabulary.by_content_[token.content] = token.id;
    vocabulary.tokens_.push_back(token);
    (token.normalized ? vocabulary.normalized_ : vocabulary.raw_).add(std::move(token));
  }
  return vocabulary;
}

std::optional<int32_t> AddedVocabulary::token_to_id(const std::string& content) const {
  const auto it = by_content_.find(content);
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

}  // namespace grpo::detail
