// The Jinja lexer (see lexer.h); the rules follow jinja2's lexer with trim_blocks=True and
// lstrip_blocks=True.
#include "tokenizer/jinja/lexer.h"

#include "tokenizer/jinja/value.h"

#include <cstring>

namespace grpo::detail::jinja {
namespace {

/// Length of the UTF-8 whitespace character at text[at], or 0.
size_t space_at(const std::string& text, size_t at) {
  const auto b0 = static_cast<unsigned char>(text[at]);
  if (b0 < 0x80) return is_space(b0) ? 1 : 0;
  const std::u32string cp = decode_utf8(text.substr(at, 4));
  if (cp.empty() || !is_space(cp[0])) return 0;
  std::string back;
  append_utf8(back, cp[0]);
  return back.size();
}

std::string rstrip_space(const std::string& text) {
  std::u32string cps = decode_utf8(text);
  while (!cps.empty() && is_space(cps.back())) cps.pop_back();
  return encode_utf8(cps);
}

bool all_space(const std::string& text) {
  if (text.empty()) return false;
  for (char32_t cp : decode_utf8(text)) {
    if (!is_space(cp)) return false;
  }
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {}

  std::vector<Token> run() {
    bool line_starting = true;
    while (pos_ < src_.size()) {
      const size_t open = find_open(pos_);
      if (open == std::string::npos) {
        push(Token::kData, src_.substr(pos_), pos_);
        pos_ = src_.size();
        break;
      }
      const char kind = src_[open + 1];  // '{', '%' or '#'
      size_t raw_end = 0;
      const bool raw = kind == '%' && match_raw_begin(open, &raw_end);
      const char sign = open + 2 < src_.size() && (src_[open + 2] == '-' || src_[open + 2] == '+') ? src_[open + 2] : 0;
      std::string text = src_.substr(pos_, open - pos_);
      text = strip_before(text, sign, kind != '{', line_starting);
      if (!text.empty()) push(Token::kData, text, pos_);
      if (raw) {
        pos_ = raw_end;
        line_starting = lex_raw_body();
        continue;
      }
      if (kind == '#') {
        line_starting = skip_comment(open, sign ? open + 3 : open + 2);
        continue;
      }
      push(kind == '{' ? Token::kVariableBegin : Token::kBlockBegin, src_.substr(open, 2), open);
      pos_ = sign ? open + 3 : open + 2;
      line_starting = lex_tag(kind == '%');
    }
    push(Token::kEnd, "", src_.size());
    return std::move(tokens_);
  }

 private:
  size_t find_open(size_t from) const {
    for (size_t at = src_.find('{', from); at != std::string::npos; at = src_.find('{', at + 1)) {
      if (at + 1 < src_.size() && (src_[at + 1] == '{' || src_[at + 1] == '%' || src_[at + 1] == '#')) return at;
    }
    return std::string::npos;
  }

  /// The data before a tag, with the tag's whitespace control applied.
  static std::string strip_before(std::string text, char sign, bool block_like, bool line_starting) {
    if (sign == '-') return rstrip_space(text);
    if (sign != '+' && block_like) {
      const size_t nl = text.rfind('\n');
      const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting) && all_space(text.substr(l_pos))) text.resize(l_pos);
    }
    return text;
  }

  size_t skip_spaces(size_t at) const {
    while (at < src_.size()) {
      const size_t n = space_at(src_, at);
      if (!n) break;
      at += n;
    }
    return at;
  }

  /// `{%[-+]? raw [-]?%}` at `open`: sets *end past it.
  bool match_raw_begin(size_t open, size_t* end) const {
    size_t at = open + 2;
    if (at < src_.size() && (src_[at] == '-' || src_[at] == '+')) ++at;
    at = skip_spaces(at);
    if (src_.compare(at, 3, "raw") != 0) return false;
    at = skip_spaces(at + 3);
    if (src_.compare(at, 3, "-%}") == 0) {
      *end = skip_spaces(at + 3);
      return true;
    }
    if (src_.compare(at, 2, "%}") == 0) {
      *end = at + 2;
      return true;
    }
    return false;
  }

  /// The body of a raw block and its `{% endraw %}`; returns line_starting after it.
  bool lex_raw_body() {
    const size_t start = pos_;
    for (size_t at = src_.find("{%", pos_); at != std::string::npos; at = src_.find("{%", at + 1)) {
      size_t k = at + 2;
      char sign = 0;
      if (k < src_.size() && (src_[k] == '-' || src_[k] == '+')) sign = src_[k++];
      k = skip_spaces(k);
      if (src_.compare(k, 6, "endraw") != 0) continue;
      k = skip_spaces(k + 6);
      size_t end;
      bool newline = false;
      if (src_.compare(k, 3, "+%}") == 0) {
        end = k + 3;
      } else if (src_.compare(k, 3, "-%}") == 0) {
        end = skip_spaces(k + 3);
        newline = end > k + 3 && src_[end - 1] == '\n';
      } else if (src_.compare(k, 2, "%}") == 0) {
        end = k + 2;
        if (end < src_.size() && src_[end] == '\n') {
          ++end;
          newline = true;
        }
      } else {
        continue;
      }
      std::string text = strip_before(src_.substr(start, at - start), sign, true, false);
      if (!text.empty()) push(Token::kData, text, start);
      pos_ = end;
      return newline;
    }
    throw_at(start, "missing end of raw directive");
  }

  /// Skips a comment whose body starts at `body`; returns line_starting after it.
  bool skip_comment(size_t open, size_t body) {
    const size_t close = src_.find("#}", body);
    if (close == std::string::npos) throw_at(open, "missing end of comment tag");
    const char sign = close > body ? src_[close - 1] : 0;
    size_t end = close + 2;
    if (sign == '-') {
      end = skip_spaces(end);
      pos_ = end;
      return end > close + 2 && src_[end - 1] == '\n';
    }
    if (sign != '+' && end < src_.size() && src_[end] == '\n') {
      pos_ = end + 1;
      return true;
    }
    pos_ = end;
    return false;
  }

  /// Tokens of a `{% %}` or `{{ }}` tag up to and including its end; returns line_starting.
  bool lex_tag(bool block) {
    std::string balance;
    const size_t begin = pos_;
    while (true) {
      pos_ = skip_spaces(pos_);
      if (pos_ >= src_.size()) throw_at(begin, block ? "unexpected end of template, expected '%}'" : "unexpected end of template, expected '}}'");
      if (balance.empty()) {
        if (block) {
          if (src_.compare(pos_, 3, "+%}") == 0) {
            push(Token::kBlockEnd, "%}", pos_);
            pos_ += 3;
            return false;
          }
          if (src_.compare(pos_, 3, "-%}") == 0) {
            push(Token::kBlockEnd, "%}", pos_);
            const size_t after = pos_ + 3;
            pos_ = skip_spaces(after);
            return pos_ > after && src_[pos_ - 1] == '\n';
          }
          if (src_.compare(pos_, 2, "%}") == 0) {
            push(Token::kBlockEnd, "%}", pos_);
            pos_ += 2;
            if (pos_ < src_.size() && src_[pos_] == '\n') {
              ++pos_;
              return true;
            }
            return false;
          }
        } else {
          if (src_.compare(pos_, 3, "-}}") == 0) {
            push(Token::kVariableEnd, "}}", pos_);
            const size_t after = pos_ + 3;
            pos_ = skip_spaces(after);
            return pos_ > after && src_[pos_ - 1] == '\n';
          }
          if (src_.compare(pos_, 2, "}}") == 0) {
            push(Token::kVariableEnd, "}}", pos_);
            pos_ += 2;
            return false;
          }
        }
      }
      lex_token(balance);
    }
  }

  void lex_token(std::string& balance) {
    const size_t start = pos_;
    const char c = src_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      lex_number();
      return;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = pos_;
      while (end < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
      push(Token::kName, src_.substr(pos_, end - pos_), pos_);
      pos_ = end;
      return;
    }
    if (c == '\'' || c == '"') {
      lex_string();
      return;
    }
    static const char* const kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : kTwo) {
      if (src_.compare(pos_, 2, op) == 0) {
        push(Token::kOperator, op, pos_);
        pos_ += 2;
        return;
      }
    }
    if (std::strchr("+-/*%~[](){}><=.:|,;", c) && c != 0) {
      if (c == '(' || c == '[' || c == '{') {
        balance += c == '(' ? ')' : c == '[' ? ']' : '}';
      } else if (c == ')' || c == ']' || c == '}') {
        if (balance.empty()) throw_at(start, std::string("unexpected '") + c + "'");
        if (balance.back() != c) throw_at(start, std::string("unexpected '") + c + "', expected '" + balance.back() + "'");
        balance.pop_back();
      }
      push(Token::kOperator, std::string(1, c), pos_);
      ++pos_;
      return;
    }
    throw_at(start, "unexpected character '" + std::string(1, c) + "'");
  }

  void lex_number() {
    const size_t start = pos_;
    auto digits = [&](size_t at) {  // (\d+_)*\d+ from at; returns end (== at when none)
      size_t end = at;
      while (end < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[end])) ||
                                   (src_[end] == '_' && end > at && end + 1 < src_.size() &&
                                    std::isdigit(static_cast<unsigned char>(src_[end + 1]))))) {
        ++end;
      }
      return end;
    };
    // Base prefixes.
    if (src_[pos_] == '0' && pos_ + 1 < src_.size() && std::strchr("xXoObB", src_[pos_ + 1]) && src_[pos_ + 1] != 0) {
      const char base_char = static_cast<char>(std::tolower(static_cast<unsigned char>(src_[pos_ + 1])));
      const int base = base_char == 'x' ? 16 : base_char == 'o' ? 8 : 2;
      size_t end = pos_ + 2;
      std::string body;
      while (end < src_.size() && (std::isxdigit(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) {
        if (src_[end] != '_') body += src_[end];
        ++end;
      }
      if (body.empty()) throw_at(start, "invalid number literal");
      errno = 0;
      char* parse_end = nullptr;
      const long long v = std::strtoll(body.c_str(), &parse_end, base);
      if (errno || *parse_end) throw_at(start, "invalid or too large number literal");
      push(Token::kInteger, std::to_string(v), start);
      pos_ = end;
      return;
    }
    size_t end = digits(pos_);
    bool is_float = false;
    if (end + 1 < src_.size() && src_[end] == '.' && std::isdigit(static_cast<unsigned char>(src_[end + 1]))) {
      end = digits(end + 1);
      is_float = true;
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t k = end + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) {
        end = digits(k);
        is_float = true;
      }
    }
    std::string text;
    for (size_t k = start; k < end; ++k) {
      if (src_[k] != '_') text += src_[k];
    }
    push(is_float ? Token::kFloat : Token::kInteger, text, start);
    pos_ = end;
  }

  void lex_string() {
    const size_t start = pos_;
    const char quote = src_[pos_++];
    std::string body;
    while (true) {
      if (pos_ >= src_.size()) throw_at(start, "unterminated string");
      const char c = src_[pos_];
      if (c == quote) break;
      if (c == '\\' && pos_ + 1 < src_.size()) {
        body += c;
        body += src_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      body += c;
      ++pos_;
    }
    ++pos_;
    push(Token::kString, unescape(body, start), start);
  }

  /// Python's unicode-escape decoding of a string literal's body (non-ASCII kept as is).
  std::string unescape(const std::string& body, size_t at) const {
    std::string out;
    for (size_t k = 0; k < body.size(); ++k) {
      if (body[k] != '\\' || k + 1 >= body.size()) {
        out += body[k];
        continue;
      }
      const char e = body[++k];
      auto hex = [&](size_t n) {
        char32_t cp = 0;
        for (size_t m = 1; m <= n; ++m) {
          if (k + m >= body.size() || !std::isxdigit(static_cast<unsigned char>(body[k + m]))) {
            throw_at(at, "truncated \\x, \\u or \\U escape");
          }
          const char h = body[k + m];
          cp = cp * 16 + static_cast<char32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : std::tolower(h) - 'a' + 10);
        }
        k += n;
        if (cp > 0x10FFFF) throw_at(at, "illegal Unicode character in escape");
        append_utf8(out, cp);
      };
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\n': break;
        case 'x': hex(2); break;
        case 'u': hex(4); break;
        case 'U': hex(8); break;
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int m = 0; m < 2 && k + 1 < body.size() && body[k + 1] >= '0' && body[k + 1] <= '7'; ++m) {
              cp = cp * 8 + static_cast<char32_t>(body[++k] - '0');
            }
            append_utf8(out, cp);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    return out;
  }

  void push(Token::Kind kind, std::string text, size_t at) {
    int64_t line = 1;
    int64_t column = 1;
    position(at, &line, &column);
    tokens_.push_back(Token{kind, std::move(text), line, column});
  }

  void position(size_t at, int64_t* line, int64_t* column) const {
    // Incremental: tokens come in order, so count newlines from the last position.
    if (at < counted_) {
      counted_ = 0;
      line_ = 1;
      line_start_ = 0;
    }
    for (; counted_ < at && counted_ < src_.size(); ++counted_) {
      if (src_[counted_] == '\n') {
        ++line_;
        line_start_ = counted_ + 1;
      }
    }
    *line = line_;
    *column = static_cast<int64_t>(at - line_start_) + 1;
  }

  [[noreturn]] void throw_at(size_t at, const std::string& message) const {
    int64_t line = 1;
    int64_t column = 1;
    position(at, &line, &column);
    throw Error{message, line, column};
  }

  std::string src_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
  mutable size_t counted_ = 0;
  mutable int64_t line_ = 1;
  mutable size_t line_start_ = 0;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source) {
  // Newlines normalised to \n, and one final newline dropped (keep_trailing_newline=False).
  std::string text;
  text.reserve(source.size());
  for (size_t k = 0; k < source.size(); ++k) {
    if (source[k] == '\r') {
      text += '\n';
      if (k + 1 < source.size() && source[k + 1] == '\n') ++k;
    } else {
      text += source[k];
    }
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return Lexer(std::move(text)).run();
}

}  // namespace grpo::detail::jinja
