#include "tokenizer/pre_tokenizers.h"

#include "support/utf8.h"
#include "tokenizer/byte_level.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace grpo::detail {
namespace {

/// Rust's char::is_numeric (Nd, Nl, No), used by the Digits pre-tokenizer.
bool is_numeric(char32_t cp) {
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category == UTF8PROC_CATEGORY_ND || category == UTF8PROC_CATEGORY_NL ||
         category == UTF8PROC_CATEGORY_NO;
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

}  // namespace

class PreTokenizerRegex {
 public:
  /// Compiles `pattern` with Unicode classes and Oniguruma's `\s`; `where` names the source
  /// in errors.
  PreTokenizerRegex(const std::string& original, const std::string& where) {
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
  ~PreTokenizerRegex() { pcre2_code_free(code_); }
  PreTokenizerRegex(const PreTokenizerRegex&) = delete;
  PreTokenizerRegex& operator=(const PreTokenizerRegex&) = delete;

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

namespace {

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

const PreTokenizerRegex& gpt2_regex() {
  static const PreTokenizerRegex regex(
      R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
      "ByteLevel pre-tokenizer");
  return regex;
}

// ---------------------------------------------------------------------------------------------
// Splitting with the `tokenizers` delimiter behaviours.

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
std::vector<Span> regex_spans(const PreTokenizerRegex& regex, std::string_view text) {
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
    char32_t cp = 0;
    const size_t n = utf8_decode_at(text, i, cp);
    const size_t step = n == 0 ? 1 : n;
    if (n != 0 && predicate(cp)) {
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

}  // namespace

PreTokenizer PreTokenizer::from_json(const TokenizerJson& j, const std::string& path) {
  PreTokenizer pre_tokenizer;
  pre_tokenizer.add(j, path);
  return pre_tokenizer;
}

void PreTokenizer::add(const TokenizerJson& j, const std::string& path) {
  if (j.is_null()) return;
  const std::string type = type_of(j);
  Step step;
  if (type == "Sequence") {
    for (const auto& child : j.at("pretokenizers")) add(child, path);
    return;
  }
  if (type == "Split") {
    const TokenizerJson& pattern = j.at("pattern");
    std::string regex;
    if (pattern.contains("Regex")) {
      regex = pattern.at("Regex").get<std::string>();
    } else {
      regex = escape_regex(pattern.at("String").get<std::string>());
    }
    step.kind = Step::Kind::kSplit;
    step.regex = std::make_shared<const PreTokenizerRegex>(regex, path + " (Split pre-tokenizer)");
    step.behavior = parse_split_behavior(j.at("behavior").get<std::string>(), path);
    step.invert = optional_bool(j, "invert", false);
  } else if (type == "ByteLevel") {
    step.kind = Step::Kind::kByteLevel;
    step.add_prefix_space = optional_bool(j, "add_prefix_space", true);
    step.use_regex = optional_bool(j, "use_regex", true);
  } else if (type == "Digits") {
    step.kind = Step::Kind::kDigits;
    step.individual_digits = optional_bool(j, "individual_digits", false);
  } else {
    TORCH_CHECK(false, "BpeTokenizer: ", path, ": unsupported pre_tokenizer type \"", type,
                "\" (supported: Split, ByteLevel, Digits, Sequence)");
  }
  steps_.push_back(std::move(step));
}

void PreTokenizer::pre_tokenize(std::string_view text,
                                const std::function<void(std::string_view)>& on_word) const {
  run(0, text, on_word);
}

void PreTokenizer::run(size_t stage, std::string_view piece,
                       const std::function<void(std::string_view)>& on_word) const {
  if (piece.empty()) return;
  if (stage == steps_.size()) {
    on_word(piece);
    return;
  }
  const Step& step = steps_[stage];
  switch (step.kind) {
    case Step::Kind::kSplit:
    case Step::Kind::kDigits: {
      std::vector<Span> spans =
          step.kind == Step::Kind::kSplit
              ? regex_spans(*step.regex, piece)
              : char_spans(piece, [](char32_t cp) { return is_numeric(cp); });
      SplitBehavior behavior = step.behavior;
      if (step.kind == Step::Kind::kDigits) {
        behavior = step.individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous;
      }
      if (step.invert) {
        for (auto& s : spans) s.is_match = !s.is_match;
      }
      for (const auto& [begin, end] : apply_behavior(spans, behavior)) {
        run(stage + 1, piece.substr(begin, end - begin), on_word);
      }
      return;
    }
    case Step::Kind::kByteLevel: {
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
        run(stage + 1, mapped, on_word);
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

}  // namespace grpo::detail
