#include "tokenizer/bpe_model.h"

#include "support/utf8.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <sstream>

namespace grpo::detail {

BpeModel BpeModel::from_json(const TokenizerJson& j, const std::string& path) {
  BpeModel model;
  model.load(j, path);
  return model;
}

void BpeModel::load(const TokenizerJson& j, const std::string& path) {
  TORCH_CHECK(j.is_object(), "BpeTokenizer: ", path, ": \"model\" is missing");
  std::string type = type_of(j);
  if (type.empty() && j.contains("merges")) type = "BPE";
  TORCH_CHECK(type == "BPE", "BpeTokenizer: ", path, ": unsupported model type \"", type,
              "\" (supported: BPE)");
  const auto dropout = j.find("dropout");
  TORCH_CHECK(dropout == j.end() || dropout->is_null() || dropout->get<double>() == 0.0,
              "BpeTokenizer: ", path, ": BPE dropout ", dropout == j.end() ? "" : dropout->dump(),
              " is not supported (only null or 0)");
  for (const auto& [token, id] : j.at("vocab").items()) {
    vocab_[token] = checked_id(id, path);
  }
  fuse_unk_ = optional_bool(j, "fuse_unk", false);
  byte_fallback_ = optional_bool(j, "byte_fallback", false);
  ignore_merges_ = optional_bool(j, "ignore_merges", false);
  continuing_subword_prefix_ = optional_string(j, "continuing_subword_prefix").value_or("");
  end_of_word_suffix_ = optional_string(j, "end_of_word_suffix").value_or("");
  if (const auto unk = optional_string(j, "unk_token")) {
    const auto it = vocab_.find(*unk);
    TORCH_CHECK(it != vocab_.end(), "BpeTokenizer: ", path, ": unk_token \"", *unk,
                "\" is not in the vocabulary");
    unk_id_ = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    std::ostringstream name;
    name << "<0x" << std::uppercase << std::hex << (b < 16 ? "0" : "") << b << ">";
    const auto it = vocab_.find(name.str());
    byte_fallback_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }

  const auto lookup = [&](const std::string& token) {
    const auto it = vocab_.find(token);
    TORCH_CHECK(it != vocab_.end(), "BpeTokenizer: ", path, ": merge token \"", token,
                "\" is not in the vocabulary");
    return it->second;
  };
  const size_t prefix_length = continuing_subword_prefix_.size();
  int32_t rank = 0;
  for (const auto& merge : j.at("merges")) {
    std::string a;
    std::string b;
    if (merge.is_string()) {
      const auto text = merge.get<std::string>();
      if (text.rfind("#version", 0) == 0) continue;
      const auto space = text.find(' ');
      TORCH_CHECK(space != std::string::npos && text.find(' ', space + 1) == std::string::npos,
                  "BpeTokenizer: ", path, ": merge ", rank + 1, " \"", text,
                  "\" is not two tokens separated by one space");
      a = text.substr(0, space);
      b = text.substr(space + 1);
    } else {
      TORCH_CHECK(merge.is_array() && merge.size() == 2, "BpeTokenizer: ", path, ": merge ",
                  rank + 1, " is neither \"a b\" nor [a, b]: ", merge.dump());
      a = merge[0].get<std::string>();
      b = merge[1].get<std::string>();
    }
    TORCH_CHECK(b.size() >= prefix_length, "BpeTokenizer: ", path, ": merge token \"", b,
                "\" is shorter than continuing_subword_prefix");
    const int32_t a_id = lookup(a);
    const int32_t b_id = lookup(b);
    merges_.set(a_id, b_id, {rank, lookup(a + b.substr(prefix_length))});
    ++rank;
  }
  index_small_chars();
}

void BpeModel::index_small_chars() {
  small_char_ids_.fill(-1);
  if (!continuing_subword_prefix_.empty() || !end_of_word_suffix_.empty()) return;
  for (char32_t cp = 0; cp < small_char_ids_.size(); ++cp) {
    std::string c;
    append_utf8(c, cp);
    const auto it = vocab_.find(c);
    if (it != vocab_.end()) small_char_ids_[cp] = it->second;
  }
}

void BpeModel::tokenize(const std::string& word, std::vector<int64_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    const auto it = vocab_.find(word);
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (cache_->lookup(word, out)) return;
  const size_t first = out.size();
  merge_word(word, out);
  cache_->insert(word, out.data() + first, out.size() - first);
}

/// Splits `word` into characters and applies the merges in rank order (lowest rank first,
/// leftmost first among equal ranks), as `tokenizers`' Word::merge_all.
void BpeModel::merge_word(const std::string& word, std::vector<int64_t>& out) const {
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    bool removed;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add_symbol = [&symbols](int32_t id) {
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, false});
    if (index > 0) symbols[index - 1].next = index;
  };

  int32_t pending_unk = -1;  // an unknown-token run not yet added
  std::string piece;
  size_t i = 0;
  const bool plain = continuing_subword_prefix_.empty() && end_of_word_suffix_.empty();
  while (i < word.size()) {
    char32_t cp = 0;
    const size_t length = utf8_decode_at(word, i, cp);
    const size_t n = std::max<size_t>(1, length);
    if (plain && length != 0 && length <= 2) {
      if (cp < small_char_ids_.size() && small_char_ids_[cp] >= 0) {
        if (pending_unk >= 0) {
          add_symbol(pending_unk);
          pending_unk = -1;
        }
        add_symbol(small_char_ids_[cp]);
        i += n;
        continue;
      }
    }
    piece.clear();
    if (i > 0) piece += continuing_subword_prefix_;
    piece.append(word, i, n);
    if (i + n == word.size()) piece += end_of_word_suffix_;
    i += n;

    const auto it = vocab_.find(piece);
    if (it != vocab_.end()) {
      if (pending_unk >= 0) {
        add_symbol(pending_unk);
        pending_unk = -1;
      }
      add_symbol(it->second);
      continue;
    }
    if (byte_fallback_ && std::all_of(piece.begin(), piece.end(), [this](char c) {
          return byte_fallback_ids_[static_cast<unsigned char>(c)] >= 0;
        })) {
      for (const char c : piece) add_symbol(byte_fallback_ids_[static_cast<unsigned char>(c)]);
      continue;
    }
    if (unk_id_) {
      if (pending_unk >= 0 && !fuse_unk_) add_symbol(pending_unk);
      pending_unk = *unk_id_;
    }
  }
  if (pending_unk >= 0) add_symbol(pending_unk);

  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  for (size_t k = 0; k + 1 < symbols.size(); ++k) {
    if (const Merge* m = find_merge(symbols[k].id, symbols[k + 1].id)) {
      queue.push({m->rank, static_cast<int32_t>(k), m->new_id});
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.removed || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    const Merge* current = find_merge(left.id, right.id);
    if (current == nullptr || current->new_id != top.new_id) continue;  // stale entry
    left.id = top.new_id;
    right.removed = true;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) {
      if (const Merge* m = find_merge(symbols[left.prev].id, left.id)) {
        queue.push({m->rank, left.prev, m->new_id});
      }
    }
    if (left.next >= 0) {
      if (const Merge* m = find_merge(left.id, symbols[left.next].id)) {
        queue.push({m->rank, top.pos, m->new_id});
      }
    }
  }
  for (const Symbol& s : symbols) {
    if (!s.removed) out.push_back(s.id);
  }
}


}  // namespace grpo::detail
