// BpeTokenizer: Hugging Face tokenizer.json byte-level BPE. The pipeline follows the
// `tokenizers` library step by step (added-token split, normalizer, added-token split on the
// normalized text, pre-tokenizers, BPE model, post-processor; byte-level decoder), so that
// valid UTF-8 gets the same ids. Regexes run on PCRE2 (UTF + UCP), normalisation on utf8proc.
#include <grpo/tokenizer/bpe_tokenizer.h>

#include <grpo/support/files.h>

#include <c10/util/Exception.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <nlohmann/json.hpp>
#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <queue>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace grpo {
namespace {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// UTF-8 and Unicode helpers.

/// Length (1-4) of the valid UTF-8 sequence starting at text[i], or 0 when the bytes there are
/// not valid UTF-8 (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_length_at(std::string_view text, size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    return 1;
  }
  size_t n = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (i + n > text.size()) {
    return 0;
  }
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
      (b0 == 0xF4 && b1 > 0x8F)) {
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
      return 0;
    }
  }
  return n;
}

/// Code point of the valid `length`-byte sequence at text[i].
uint32_t code_point_at(std::string_view text, size_t i, size_t length) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (length == 1) {
    return b0;
  }
  uint32_t cp = b0 & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  }
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Calls on_run(run, valid) for the maximal valid UTF-8 runs and invalid byte runs of `text`.
template <class F>
void for_each_utf8_run(std::string_view text, F&& on_run) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t begin = i;
    const bool valid = utf8_length_at(text, i) != 0;
    while (i < text.size()) {
      const size_t n = utf8_length_at(text, i);
      if ((n != 0) != valid) {
        break;
      }
      i += valid ? n : 1;
    }
    on_run(text.substr(begin, i - begin), valid);
  }
}

/// Unicode White_Space, the `\s` of the Rust regex crate that `tokenizers` uses for added
/// tokens' lstrip/rstrip.
bool is_white_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

/// The Rust regex crate's `\w` (Alphabetic, marks, decimal digits, connector punctuation,
/// joiners), approximated by general categories (letters, Nl, marks, Nd, Pc).
bool is_word_character(uint32_t cp) {
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

/// Rust's char::is_numeric (Nd, Nl, No), used by the Digits pre-tokenizer.
bool is_numeric(uint32_t cp) {
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category == UTF8PROC_CATEGORY_ND || category == UTF8PROC_CATEGORY_NL ||
         category == UTF8PROC_CATEGORY_NO;
}

/// The character that ends text[0, end), if it is valid UTF-8.
std::optional<uint32_t> char_before(std::string_view text, size_t end) {
  for (size_t back = 1; back <= 4 && back <= end; ++back) {
    const size_t n = utf8_length_at(text, end - back);
    if (n != 0) {
      if (n == back) {
        return code_point_at(text, end - back, n);
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<uint32_t> char_at(std::string_view text, size_t i) {
  const size_t n = utf8_length_at(text, i);
  if (n == 0) {
    return std::nullopt;
  }
  return code_point_at(text, i, n);
}

// ---------------------------------------------------------------------------------------------
// Byte-level alphabet (GPT-2's bytes_to_unicode): printable bytes map to themselves, the others
// to U+0100 onwards in byte order.

struct ByteLevelAlphabet {
  std::array<std::string, 256> byte_to_utf8;
  std::array<int16_t, 512> code_point_to_byte;

  ByteLevelAlphabet() {
    code_point_to_byte.fill(-1);
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const uint32_t cp = printable ? b : next++;
      append_utf8(byte_to_utf8[b], cp);
      code_point_to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const ByteLevelAlphabet& byte_level_alphabet() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

void append_byte_level(std::string& out, std::string_view bytes) {
  const auto& alphabet = byte_level_alphabet();
  for (const char c : bytes) {
    out += alphabet.byte_to_utf8[static_cast<unsigned char>(c)];
  }
}

/// Bytes of a token under the byte-level decoder: every character mapped back to its byte, or
/// the token's own bytes when one of its characters is outside the alphabet.
std::string byte_level_decode(const std::string& token) {
  const auto& alphabet = byte_level_alphabet();
  std::string bytes;
  size_t i = 0;
  while (i < token.size()) {
    const size_t n = utf8_length_at(token, i);
    if (n == 0) {
      return token;
    }
    const uint32_t cp = code_point_at(token, i, n);
    if (cp >= alphabet.code_point_to_byte.size() || alphabet.code_point_to_byte[cp] < 0) {
      return token;
    }
    bytes += static_cast<char>(alphabet.code_point_to_byte[cp]);
    i += n;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// PCRE2 regex with per-thread match data.

struct ThreadMatchState {
  pcre2_match_data* match_data = pcre2_match_data_create(1, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);

  ThreadMatchState() { pcre2_jit_stack_assign(context, nullptr, jit_stack); }
  ~ThreadMatchState() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(match_data);
  }
  ThreadMatchState(const ThreadMatchState&) = delete;
  ThreadMatchState& operator=(const ThreadMatchState&) = delete;
};

ThreadMatchState& thread_match_state() {
  thread_local ThreadMatchState state;
  return state;
}

/// `pattern` with `\s` and `\S` spelled out as Unicode White_Space, which is what they match in
/// Oniguruma (the regex engine of `tokenizers`). PCRE2 with UCP also counts U+180E MONGOLIAN
/// VOWEL SEPARATOR as space (through `\h`), which Unicode dropped from White_Space in 6.3.
std::string with_unicode_white_space(const std::string& pattern) {
  static const std::string kSpaces =
      R"(\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      if (next == 's') {
        out += in_class ? kSpaces : "[" + kSpaces + "]";
      } else if (next == 'S' && !in_class) {
        out += "[^" + kSpaces + "]";
      } else {
        out += c;
        out += next;
      }
      continue;
    }
    out += c;
    if (!in_class && c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
    } else if (in_class && c == ']') {
      in_class = false;
    }
  }
  return out;
}

class Regex {
 public:
  /// Compiles `pattern` with Unicode classes and Oniguruma's `\s`; `where` names the source
  /// in errors.
  Regex(const std::string& original, const std::string& where) {
    const std::string pattern = with_unicode_white_space(original);
    int error = 0;
    PCRE2_SIZE offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                          PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
    if (code_ == nullptr) {
      std::array<PCRE2_UCHAR, 256> message{};
      pcre2_get_error_message(error, message.data(), message.size());
      TORCH_CHECK(false, "BpeTokenizer: ", where, ": regex ", original, " does not compile at offset ",
                  offset, ": ", reinterpret_cast<const char*>(message.data()));
    }
    // Without JIT support pcre2_match falls back to the interpreter by itself.
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
  }
  ~Regex() { pcre2_code_free(code_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  /// Calls on_match(begin, end) for the successive non-overlapping matches in `text`. Invalid
  /// UTF-8 is never part of a match. A matching error (a resource limit) ends the search.
  template <class F>
  void for_each_match(std::string_view text, F&& on_match) const {
    ThreadMatchState& state = thread_match_state();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t position = 0;
    while (position <= text.size()) {
      int rc = pcre2_match(code_, subject, text.size(), position, 0, state.match_data, state.context);
      if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
        rc = pcre2_match(code_, subject, text.size(), position, PCRE2_NO_JIT, state.match_data,
                         state.context);
      }
      if (rc < 0) {
        return;
      }
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.match_data);
      const size_t begin = ovector[0];
      const size_t end = ovector[1];
      on_match(begin, end);
      if (end > begin) {
        position = end;
      } else if (end < text.size()) {
        position = end + std::max<size_t>(1, utf8_length_at(text, end));
      } else {
        return;
      }
    }
  }

 private:
  pcre2_code* code_ = nullptr;
};

/// PCRE2 pattern matching `literal` exactly.
std::string escape_regex(const std::string& literal) {
  std::string out;
  for (const char c : literal) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !std::isalnum(u)) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

const Regex& gpt2_regex() {
  static const Regex regex(
      R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
      "ByteLevel pre-tokenizer");
  return regex;
}

// ---------------------------------------------------------------------------------------------
// Splitting with the `tokenizers` delimiter behaviours.

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Span {
  size_t begin;
  size_t end;
  bool is_match;
};

SplitBehavior parse_split_behavior(const std::string& name, const std::string& where) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  TORCH_CHECK(false, "BpeTokenizer: ", where, ": unsupported Split behavior \"", name,
              "\" (supported: Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
}

/// Spans of `text` covering it in order: the matches of `regex` and the text between them.
std::vector<Span> regex_spans(const Regex& regex, std::string_view text) {
  std::vector<Span> spans;
  if (text.empty()) {
    spans.push_back({0, 0, false});
    return spans;
  }
  size_t previous = 0;
  regex.for_each_match(text, [&](size_t begin, size_t end) {
    if (previous != begin) {
      spans.push_back({previous, begin, false});
    }
    spans.push_back({begin, end, true});
    previous = end;
  });
  if (previous != text.size()) {
    spans.push_back({previous, text.size(), false});
  }
  return spans;
}

/// Spans of `text` where each character satisfying `predicate` is a match of its own.
template <class Predicate>
std::vector<Span> char_spans(std::string_view text, Predicate&& predicate) {
  std::vector<Span> spans;
  if (text.empty()) {
    spans.push_back({0, 0, false});
    return spans;
  }
  size_t last = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = utf8_length_at(text, i);
    const size_t step = n == 0 ? 1 : n;
    if (n != 0 && predicate(code_point_at(text, i, n))) {
      if (last < i) {
        spans.push_back({last, i, false});
      }
      spans.push_back({i, i + step, true});
      last = i + step;
    }
    i += step;
  }
  if (last < text.size()) {
    spans.push_back({last, text.size(), false});
  }
  return spans;
}

/// Pieces kept by `behavior` (in the order of the text), as `tokenizers`' NormalizedString::split.
std::vector<std::pair<size_t, size_t>> apply_behavior(const std::vector<Span>& spans,
                                                      SplitBehavior behavior) {
  std::vector<std::pair<size_t, size_t>> pieces;
  pieces.reserve(spans.size());
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const auto& s : spans) pieces.emplace_back(s.begin, s.end);
      break;
    case SplitBehavior::kRemoved:
      for (const auto& s : spans) {
        if (!s.is_match) pieces.emplace_back(s.begin, s.end);
      }
      break;
    case SplitBehavior::kContiguous:
      for (const auto& s : spans) {
        if (s.is_match == previous_match && !pieces.empty()) {
          pieces.back().second = s.end;
        } else {
          pieces.emplace_back(s.begin, s.end);
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const auto& s : spans) {
        if (s.is_match && !previous_match && !pieces.empty()) {
          pieces.back().second = s.end;
        } else {
          pieces.emplace_back(s.begin, s.end);
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !pieces.empty()) {
          pieces.back().first = it->begin;
        } else {
          pieces.emplace_back(it->begin, it->end);
        }
        previous_match = it->is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
  }
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Pipeline steps.

struct PreTokenizerStep {
  enum class Kind { kSplit, kByteLevel, kDigits };
  Kind kind = Kind::kSplit;
  std::shared_ptr<const Regex> regex;  // kSplit
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;  // kByteLevel
  bool use_regex = true;          // kByteLevel
  bool individual_digits = false;  // kDigits
};

struct AddedToken {
  std::string content;  // matched text (normalized form for `normalized` tokens)
  int32_t id = 0;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
};

/// Leftmost-longest matching of a set of added tokens (a byte trie).
class AddedTokenMatcher {
 public:
  void add(AddedToken token) {
    int32_t node = 0;
    for (const char c : token.content) {
      node = add_child(node, static_cast<unsigned char>(c));
    }
    nodes_[node].token = static_cast<int32_t>(tokens_.size());
    first_bytes_[static_cast<unsigned char>(token.content[0])] = true;
    tokens_.push_back(std::move(token));
  }

  bool empty() const { return tokens_.empty(); }

  /// Calls on_piece(text, id) for the pieces of `text` in order: added tokens (id >= 0, with
  /// the whitespace their lstrip/rstrip take) and the text between them (id -1). Empty pieces
  /// are left out. Follows `tokenizers`' AddedVocabulary::find_matches.
  template <class F>
  void split(std::string_view text, F&& on_piece) const {
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
        const auto before = start == 0 ? std::nullopt : char_before(text, start);
        const auto after = stop == text.size() ? std::nullopt : char_at(text, stop);
        if ((before && is_word_character(*before)) || (after && is_word_character(*after))) {
          continue;
        }
      }
      if (start < start_offset) {
        continue;  // inside the whitespace an rstrip token took
      }
      if (token.lstrip) {
        size_t new_start = start;
        while (const auto c = char_before(text, new_start)) {
          if (!is_white_space(*c)) break;
          new_start -= *c < 0x80u ? 1 : (*c < 0x800u ? 2 : (*c < 0x10000u ? 3 : 4));
        }
        start = std::max(new_start, start_offset);
      }
      if (token.rstrip) {
        while (stop < text.size()) {
          const auto c = char_at(text, stop);
          if (!c || !is_white_space(*c)) break;
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

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;
    int32_t token = -1;
  };

  int32_t find_child(int32_t node, unsigned char byte) const {
    for (const auto& [b, next] : nodes_[node].children) {
      if (b == byte) return next;
    }
    return -1;
  }

  int32_t add_child(int32_t node, unsigned char byte) {
    const int32_t existing = find_child(node, byte);
    if (existing >= 0) return existing;
    nodes_.emplace_back();
    const auto next = static_cast<int32_t>(nodes_.size() - 1);
    nodes_[node].children.emplace_back(byte, next);
    return next;
  }

  std::vector<Node> nodes_ = std::vector<Node>(1);  // the root
  std::array<bool, 256> first_bytes_{};
  std::vector<AddedToken> tokens_;
};

/// Per-word cache of BPE results, sharded so that threads rarely wait on one another.
class WordCache {
 public:
  explicit WordCache(size_t capacity) : shard_capacity_((capacity + kShards - 1) / kShards) {}

  bool lookup(const std::string& word, std::vector<int64_t>& out) const {
    if (shard_capacity_ == 0) return false;
    Shard& shard = shards_[std::hash<std::string>{}(word) % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    const auto it = shard.map.find(word);
    if (it == shard.map.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }

  void insert(const std::string& word, const int64_t* ids, size_t count) const {
    if (shard_capacity_ == 0 || word.size() >= kMaxWordBytes) return;
    Shard& shard = shards_[std::hash<std::string>{}(word) % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.map.size() < shard_capacity_) {
      shard.map.emplace(word, std::vector<int32_t>(ids, ids + count));
    }
  }

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxWordBytes = 256;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

/// Merge table: (left id, right id) -> (rank, merged id), open addressing with linear probing
/// (the hottest lookup of encoding).
class MergeTable {
 public:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };

  /// Adds or replaces the merge of (a, b).
  void set(int32_t a, int32_t b, Merge merge) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    Slot& slot = slots_[probe(key(a, b))];
    if (slot.key == kEmpty) ++size_;
    slot = {key(a, b), merge};
  }

  const Merge* find(int32_t a, int32_t b) const {
    if (slots_.empty()) return nullptr;
    const Slot& slot = slots_[probe(key(a, b))];
    return slot.key == kEmpty ? nullptr : &slot.merge;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key = kEmpty;
    Merge merge{0, 0};
  };

  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  size_t probe(uint64_t k) const {
    const size_t mask = slots_.size() - 1;
    size_t i = static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 32) & mask;
    while (slots_[i].key != kEmpty && slots_[i].key != k) i = (i + 1) & mask;
    return i;
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, 2 * old.size()), Slot{});
    for (const Slot& slot : old) {
      if (slot.key != kEmpty) slots_[probe(slot.key)] = slot;
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

/// The BPE model: vocabulary, merge ranks and the merge loop.
struct BpeModel {
  using Merge = MergeTable::Merge;

  std::unordered_map<std::string, int32_t> vocab;
  MergeTable merges;
  std::optional<int32_t> unk_id;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  std::array<int32_t, 256> byte_fallback_ids{};
  /// Id of each one-character token below U+0200 (all of the byte-level alphabet), -1 if none;
  /// used when there is no continuing_subword_prefix or end_of_word_suffix.
  std::array<int32_t, 512> small_char_ids{};

  const Merge* find_merge(int32_t a, int32_t b) const { return merges.find(a, b); }

  void index_small_chars() {
    small_char_ids.fill(-1);
    if (!continuing_subword_prefix.empty() || !end_of_word_suffix.empty()) return;
    for (uint32_t cp = 0; cp < small_char_ids.size(); ++cp) {
      std::string c;
      append_utf8(c, cp);
      const auto it = vocab.find(c);
      if (it != vocab.end()) small_char_ids[cp] = it->second;
    }
  }

  /// Appends the ids of `word` (already in the vocabulary's alphabet) to `out`.
  void tokenize(const std::string& word, const WordCache& cache, std::vector<int64_t>& out) const {
    if (word.empty()) return;
    if (ignore_merges) {
      const auto it = vocab.find(word);
      if (it != vocab.end()) {
        out.push_back(it->second);
        return;
      }
    }
    if (cache.lookup(word, out)) return;
    const size_t first = out.size();
    merge_word(word, out);
    cache.insert(word, out.data() + first, out.size() - first);
  }

  /// Splits `word` into characters and applies the merges in rank order (lowest rank first,
  /// leftmost first among equal ranks), as `tokenizers`' Word::merge_all.
  void merge_word(const std::string& word, std::vector<int64_t>& out) const {
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
    const bool plain = continuing_subword_prefix.empty() && end_of_word_suffix.empty();
    while (i < word.size()) {
      const size_t length = utf8_length_at(word, i);
      const size_t n = std::max<size_t>(1, length);
      if (plain && length != 0 && length <= 2) {
        const uint32_t cp = code_point_at(word, i, n);
        if (cp < small_char_ids.size() && small_char_ids[cp] >= 0) {
          if (pending_unk >= 0) {
            add_symbol(pending_unk);
            pending_unk = -1;
          }
          add_symbol(small_char_ids[cp]);
          i += n;
          continue;
        }
      }
      piece.clear();
      if (i > 0) piece += continuing_subword_prefix;
      piece.append(word, i, n);
      if (i + n == word.size()) piece += end_of_word_suffix;
      i += n;

      const auto it = vocab.find(piece);
      if (it != vocab.end()) {
        if (pending_unk >= 0) {
          add_symbol(pending_unk);
          pending_unk = -1;
        }
        add_symbol(it->second);
        continue;
      }
      if (byte_fallback && std::all_of(piece.begin(), piece.end(), [this](char c) {
            return byte_fallback_ids[static_cast<unsigned char>(c)] >= 0;
          })) {
        for (const char c : piece) add_symbol(byte_fallback_ids[static_cast<unsigned char>(c)]);
        continue;
      }
      if (unk_id) {
        if (pending_unk >= 0 && !fuse_unk) add_symbol(pending_unk);
        pending_unk = *unk_id;
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
};

// ---------------------------------------------------------------------------------------------
// JSON helpers.

std::optional<std::string> optional_string(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return it->get<std::string>();
}

bool optional_bool(const Json& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  return it->get<bool>();
}

std::string type_of(const Json& object) {
  const auto it = object.find("type");
  return it == object.end() || !it->is_string() ? std::string() : it->get<std::string>();
}

std::string read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  TORCH_CHECK(file.good(), "BpeTokenizer: cannot open ", path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

Json parse_json_text(const std::string& text, const std::string& path) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    TORCH_CHECK(false, "BpeTokenizer: ", path, " is not valid JSON: ", e.what());
  }
}

int32_t checked_id(const Json& value, const std::string& where) {
  const auto id = value.get<int64_t>();
  TORCH_CHECK(id >= 0 && id < (int64_t{1} << 31), "BpeTokenizer: ", where, ": token id ", id,
              " is outside [0, 2^31)");
  return static_cast<int32_t>(id);
}

}  // namespace

// -----------------------------------------------------------------------------------------------

struct BpeTokenizer::Impl {
  std::string path;
  std::string json_text;    // tokenizer.json as read, for save()
  std::string config_text;  // tokenizer_config.json as read by from_directory(), or empty
  std::string chat_template_text;  // chat_template.jinja as read by from_directory(), or empty
  std::vector<utf8proc_option_t> normalizers;
  std::vector<PreTokenizerStep> pre_tokenizers;
  BpeModel model;
  std::unique_ptr<WordCache> cache;
  AddedTokenMatcher raw_added;         // added tokens with normalized = false
  AddedTokenMatcher normalized_added;  // added tokens with normalized = true
  bool byte_level_decoder = false;
  std::vector<int64_t> prefix_ids;  // post-processor, single sequence
  std::vector<int64_t> suffix_ids;

  std::vector<std::optional<std::string>> id_to_token;  // by id
  std::vector<std::string> decoded;                      // bytes of each id under the decoder
  std::vector<bool> special;
  std::unordered_map<std::string, int32_t> added_by_content;
  std::optional<int64_t> eos_id;
  std::optional<int64_t> pad_id;

  // --- loading ---

  std::string where(const std::string& what) const { return path + " (" + what + ")"; }

  void load_normalizer(const Json& j) {
    if (j.is_null()) return;
    const std::string type = type_of(j);
    if (type == "Sequence") {
      for (const auto& child : j.at("normalizers")) load_normalizer(child);
      return;
    }
    const auto base = static_cast<utf8proc_option_t>(UTF8PROC_STABLE);
    if (type == "NFC") {
      normalizers.push_back(static_cast<utf8proc_option_t>(base | UTF8PROC_COMPOSE));
    } else if (type == "NFD") {
      normalizers.push_back(static_cast<utf8proc_option_t>(base | UTF8PROC_DECOMPOSE));
    } else if (type == "NFKC") {
      normalizers.push_back(
          static_cast<utf8proc_option_t>(base | UTF8PROC_COMPOSE | UTF8PROC_COMPAT));
    } else if (type == "NFKD") {
      normalizers.push_back(
          static_cast<utf8proc_option_t>(base | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT));
    } else {
      TORCH_CHECK(false, "BpeTokenizer: ", path, ": unsupported normalizer type \"", type,
                  "\" (supported: NFC, NFD, NFKC, NFKD, Sequence)");
    }
  }

  void load_pre_tokenizer(const Json& j) {
    if (j.is_null()) return;
    const std::string type = type_of(j);
    PreTokenizerStep step;
    if (type == "Sequence") {
      for (const auto& child : j.at("pretokenizers")) load_pre_tokenizer(child);
      return;
    }
    if (type == "Split") {
      const Json& pattern = j.at("pattern");
      std::string regex;
      if (pattern.contains("Regex")) {
        regex = pattern.at("Regex").get<std::string>();
      } else {
        regex = escape_regex(pattern.at("String").get<std::string>());
      }
      step.kind = PreTokenizerStep::Kind::kSplit;
      step.regex = std::make_shared<const Regex>(regex, where("Split pre-tokenizer"));
      step.behavior = parse_split_behavior(j.at("behavior").get<std::string>(), path);
      step.invert = optional_bool(j, "invert", false);
    } else if (type == "ByteLevel") {
      step.kind = PreTokenizerStep::Kind::kByteLevel;
      step.add_prefix_space = optional_bool(j, "add_prefix_space", true);
      step.use_regex = optional_bool(j, "use_regex", true);
    } else if (type == "Digits") {
      step.kind = PreTokenizerStep::Kind::kDigits;
      step.individual_digits = optional_bool(j, "individual_digits", false);
    } else {
      TORCH_CHECK(false, "BpeTokenizer: ", path, ": unsupported pre_tokenizer type \"", type,
                  "\" (supported: Split, ByteLevel, Digits, Sequence)");
    }
    pre_tokenizers.push_back(std::move(step));
  }

  void load_model(const Json& j) {
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
      model.vocab[token] = checked_id(id, path);
    }
    model.fuse_unk = optional_bool(j, "fuse_unk", false);
    model.byte_fallback = optional_bool(j, "byte_fallback", false);
    model.ignore_merges = optional_bool(j, "ignore_merges", false);
    model.continuing_subword_prefix = optional_string(j, "continuing_subword_prefix").value_or("");
    model.end_of_word_suffix = optional_string(j, "end_of_word_suffix").value_or("");
    if (const auto unk = optional_string(j, "unk_token")) {
      const auto it = model.vocab.find(*unk);
      TORCH_CHECK(it != model.vocab.end(), "BpeTokenizer: ", path, ": unk_token \"", *unk,
                  "\" is not in the vocabulary");
      model.unk_id = it->second;
    }
    for (int b = 0; b < 256; ++b) {
      std::ostringstream name;
      name << "<0x" << std::uppercase << std::hex << (b < 16 ? "0" : "") << b << ">";
      const auto it = model.vocab.find(name.str());
      model.byte_fallback_ids[b] = it == model.vocab.end() ? -1 : it->second;
    }

    const auto lookup = [&](const std::string& token) {
      const auto it = model.vocab.find(token);
      TORCH_CHECK(it != model.vocab.end(), "BpeTokenizer: ", path, ": merge token \"", token,
                  "\" is not in the vocabulary");
      return it->second;
    };
    const size_t prefix_length = model.continuing_subword_prefix.size();
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
      model.merges.set(a_id, b_id, {rank, lookup(a + b.substr(prefix_length))});
      ++rank;
    }
    model.index_small_chars();
  }

  void load_decoder(const Json& j) {
    if (j.is_null()) return;
    const std::string type = type_of(j);
    TORCH_CHECK(type == "ByteLevel", "BpeTokenizer: ", path, ": unsupported decoder type \"", type,
                "\" (supported: ByteLevel)");
    byte_level_decoder = true;
  }

  void load_post_processor(const Json& j) {
    if (j.is_null()) return;
    const std::string type = type_of(j);
    if (type == "Sequence") {
      for (const auto& child : j.at("processors")) load_post_processor(child);
    } else if (type == "ByteLevel") {
      // Offsets only; ids are unchanged.
    } else if (type == "TemplateProcessing") {
      bool seen_sequence = false;
      for (const auto& piece : j.at("single")) {
        if (piece.contains("Sequence")) {
          TORCH_CHECK(!seen_sequence, "BpeTokenizer: ", path,
                      ": TemplateProcessing single template has more than one sequence");
          seen_sequence = true;
          continue;
        }
        const auto name = piece.at("SpecialToken").at("id").get<std::string>();
        const Json& special_tokens = j.at("special_tokens");
        TORCH_CHECK(special_tokens.contains(name), "BpeTokenizer: ", path,
                    ": TemplateProcessing names the unknown special token \"", name, "\"");
        auto& target = seen_sequence ? suffix_ids : prefix_ids;
        for (const auto& id : special_tokens.at(name).at("ids")) target.push_back(checked_id(id, path));
      }
    } else if (type == "RobertaProcessing" || type == "BertProcessing") {
      prefix_ids.push_back(checked_id(j.at("cls").at(1), path));
      suffix_ids.push_back(checked_id(j.at("sep").at(1), path));
    } else {
      TORCH_CHECK(false, "BpeTokenizer: ", path, ": unsupported post_processor type \"", type,
                  "\" (supported: ByteLevel, TemplateProcessing, RobertaProcessing, "
                  "BertProcessing, Sequence)");
    }
  }

  void load_added_tokens(const Json& j) {
    if (j.is_null()) return;
    for (const auto& entry : j) {
      AddedToken token;
      const auto content = entry.at("content").get<std::string>();
      if (content.empty()) continue;
      token.id = checked_id(entry.at("id"), path);
      token.single_word = optional_bool(entry, "single_word", false);
      token.lstrip = optional_bool(entry, "lstrip", false);
      token.rstrip = optional_bool(entry, "rstrip", false);
      const bool is_special = optional_bool(entry, "special", false);
      const bool normalized = optional_bool(entry, "normalized", !is_special);
      token.content = normalized ? normalize(content) : content;
      added_by_content[content] = token.id;
      grow(token.id);
      id_to_token[token.id] = content;
      decoded[token.id] = token.content;
      special[token.id] = is_special;
      (normalized ? normalized_added : raw_added).add(std::move(token));
    }
  }

  void grow(int32_t id) {
    if (static_cast<size_t>(id) >= id_to_token.size()) {
      id_to_token.resize(id + 1);
      decoded.resize(id + 1);
      special.resize(id + 1, false);
    }
  }

  void build_id_tables() {
    for (const auto& [token, id] : model.vocab) {
      grow(id);
      if (!id_to_token[id]) {
        id_to_token[id] = token;
        decoded[id] = token;
      }
    }
    for (auto& text : decoded) {
      text = byte_level_decoder ? byte_level_decode(text) : text;
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
    const auto added = added_by_content.find(token);
    if (added != added_by_content.end()) return added->second;
    const auto it = model.vocab.find(token);
    if (it != model.vocab.end()) return it->second;
    return std::nullopt;
  }

  // --- encoding ---

  std::string normalize(std::string_view text) const {
    std::string current(text);
    for (const utf8proc_option_t options : normalizers) {
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

  void pre_tokenize(size_t stage, std::string_view piece, std::vector<int64_t>& out) const {
    if (piece.empty()) return;
    if (stage == pre_tokenizers.size()) {
      model.tokenize(std::string(piece), *cache, out);
      return;
    }
    const PreTokenizerStep& step = pre_tokenizers[stage];
    switch (step.kind) {
      case PreTokenizerStep::Kind::kSplit:
      case PreTokenizerStep::Kind::kDigits: {
        std::vector<Span> spans =
            step.kind == PreTokenizerStep::Kind::kSplit
                ? regex_spans(*step.regex, piece)
                : char_spans(piece, [](uint32_t cp) { return is_numeric(cp); });
        SplitBehavior behavior = step.behavior;
        if (step.kind == PreTokenizerStep::Kind::kDigits) {
          behavior = step.individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous;
        }
        if (step.invert) {
          for (auto& s : spans) s.is_match = !s.is_match;
        }
        for (const auto& [begin, end] : apply_behavior(spans, behavior)) {
          pre_tokenize(stage + 1, piece.substr(begin, end - begin), out);
        }
        return;
      }
      case PreTokenizerStep::Kind::kByteLevel: {
        std::string prefixed;
        std::string_view text = piece;
        if (step.add_prefix_space && piece.front() != ' ') {
          prefixed.reserve(piece.size() + 1);
          prefixed += ' ';
          prefixed.append(piece);
          text = prefixed;
        }
        std::string mapped;
        const auto emit = [&](std::string_view part) {
          mapped.clear();
          append_byte_level(mapped, part);
          pre_tokenize(stage + 1, mapped, out);
        };
        if (!step.use_regex) {
          emit(text);
          return;
        }
        for (const auto& [begin, end] :
             apply_behavior(regex_spans(gpt2_regex(), text), SplitBehavior::kIsolated)) {
          if (end > begin) emit(text.substr(begin, end - begin));
        }
        return;
      }
    }
  }

  void encode(std::string_view text, std::vector<int64_t>& out) const {
    raw_added.split(text, [&](std::string_view segment, int32_t id) {
      if (id >= 0) {
        out.push_back(id);
        return;
      }
      std::string normalized_storage;
      std::string_view normalized = segment;
      if (!normalizers.empty()) {
        normalized_storage = normalize(segment);
        normalized = normalized_storage;
      }
      normalized_added.split(normalized, [&](std::string_view piece, int32_t piece_id) {
        if (piece_id >= 0) {
          out.push_back(piece_id);
        } else {
          pre_tokenize(0, piece, out);
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
  impl.json_text = read_text_file(tokenizer_json_path);
  const Json j = parse_json_text(impl.json_text, tokenizer_json_path);
  try {
    TORCH_CHECK(j.is_object(), "BpeTokenizer: ", tokenizer_json_path,
                " does not hold a JSON object");
    const Json null;
    const auto section = [&](const char* key) -> const Json& {
      const auto it = j.find(key);
      return it == j.end() ? null : *it;
    };
    impl.load_model(section("model"));
    impl.load_normalizer(section("normalizer"));
    impl.load_pre_tokenizer(section("pre_tokenizer"));
    impl.load_decoder(section("decoder"));
    impl.load_post_processor(section("post_processor"));
    impl.load_added_tokens(section("added_tokens"));
  } catch (const Json::exception& e) {
    TORCH_CHECK(false, "BpeTokenizer: ", tokenizer_json_path, " is not a valid tokenizer.json: ",
                e.what());
  }
  impl.build_id_tables();
  impl.cache = std::make_unique<WordCache>(static_cast<size_t>(options.cache_capacity()));
  impl.eos_id = impl.resolve(options.eos_token(), "eos_token");
  impl.pad_id = impl.resolve(options.pad_token(), "pad_token");
}

BpeTokenizer BpeTokenizer::from_directory(const std::string& directory) {
  BpeTokenizerOptions options;
  const std::string config_path = directory + "/tokenizer_config.json";
  std::string config_text;
  if (std::ifstream(config_path).good()) {
    config_text = read_text_file(config_path);
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
    tokenizer.impl_->chat_template_text = read_text_file(directory + "/chat_template.jinja");
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
  std::vector<int64_t> ids = impl_->prefix_ids;
  impl_->encode(text, ids);
  ids.insert(ids.end(), impl_->suffix_ids.begin(), impl_->suffix_ids.end());
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
    if (!impl.byte_level_decoder && !first) text += ' ';
    text += impl.decoded[id];
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
