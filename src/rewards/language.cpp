// language_consistency: share of the reasoning's words written in the target language's script(s)
// (DeepSeek-R1 arXiv:2501.12948 sec. 2.3.2). See docs/rewards.md for the word and script rules.
#include "builtin.h"
#include "support/utf8.h"

#include <c10/util/Exception.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <map>

namespace grpo::detail {
namespace {

enum class Script {
  kNone,
  kLatin,
  kGreek,
  kCyrillic,
  kHebrew,
  kArabic,
  kDevanagari,
  kThai,
  kHangul,
  kHiragana,
  kKatakana,
  kHan,
  kOther
};

struct ScriptRange {
  char32_t first, last;
  Script script;
};

// Blocks of the supported scripts (Unicode 15 Scripts.txt, main blocks); other letters are kOther.
constexpr std::array<ScriptRange, 37> kRanges = {{
    {0x0041, 0x005A, Script::kLatin},    {0x0061, 0x007A, Script::kLatin},    {0x00AA, 0x00AA, Script::kLatin},
    {0x00BA, 0x00BA, Script::kLatin},    {0x00C0, 0x024F, Script::kLatin},    {0x0250, 0x02AF, Script::kLatin},
    {0x1E00, 0x1EFF, Script::kLatin},    {0x2C60, 0x2C7F, Script::kLatin},    {0xA720, 0xA7FF, Script::kLatin},
    {0xFF21, 0xFF3A, Script::kLatin},    {0xFF41, 0xFF5A, Script::kLatin},    {0x0370, 0x03FF, Script::kGreek},
    {0x1F00, 0x1FFF, Script::kGreek},    {0x0400, 0x052F, Script::kCyrillic}, {0x1C80, 0x1C8F, Script::kCyrillic},
    {0x2DE0, 0x2DFF, Script::kCyrillic}, {0xA640, 0xA69F, Script::kCyrillic}, {0x0590, 0x05FF, Script::kHebrew},
    {0x0600, 0x06FF, Script::kArabic},   {0x0750, 0x077F, Script::kArabic},   {0x08A0, 0x08FF, Script::kArabic},
    {0xFB50, 0xFDFF, Script::kArabic},   {0xFE70, 0xFEFF, Script::kArabic},   {0x0900, 0x097F, Script::kDevanagari},
    {0x0E00, 0x0E7F, Script::kThai},     {0x1100, 0x11FF, Script::kHangul},   {0x3130, 0x318F, Script::kHangul},
    {0xAC00, 0xD7AF, Script::kHangul},   {0x3040, 0x309F, Script::kHiragana}, {0x30A0, 0x30FF, Script::kKatakana},
    {0x31F0, 0x31FF, Script::kKatakana}, {0xFF66, 0xFF9F, Script::kKatakana}, {0x3400, 0x4DBF, Script::kHan},
    {0x4E00, 0x9FFF, Script::kHan},      {0xF900, 0xFAFF, Script::kHan},      {0x20000, 0x2EBEF, Script::kHan},
    {0x30000, 0x3134F, Script::kHan},
}};

Script script_of(char32_t c) {
  for (const auto& range : kRanges) {
    if (c >= range.first && c <= range.last) return range.script;
  }
  return Script::kOther;
}

// Language (ISO 639-1) or script name -> the scripts its words are written in.
std::vector<Script> scripts_of_language(const std::string& language) {
  static const std::map<std::string, std::vector<Script>> kLanguages = {
      {"latin", {Script::kLatin}},
      {"en", {Script::kLatin}},
      {"fr", {Script::kLatin}},
      {"de", {Script::kLatin}},
      {"es", {Script::kLatin}},
      {"it", {Script::kLatin}},
      {"pt", {Script::kLatin}},
      {"nl", {Script::kLatin}},
      {"sv", {Script::kLatin}},
      {"pl", {Script::kLatin}},
      {"tr", {Script::kLatin}},
      {"vi", {Script::kLatin}},
      {"id", {Script::kLatin}},
      {"cs", {Script::kLatin}},
      {"ro", {Script::kLatin}},
      {"greek", {Script::kGreek}},
      {"el", {Script::kGreek}},
      {"cyrillic", {Script::kCyrillic}},
      {"ru", {Script::kCyrillic}},
      {"uk", {Script::kCyrillic}},
      {"bg", {Script::kCyrillic}},
      {"sr", {Script::kCyrillic}},
      {"hebrew", {Script::kHebrew}},
      {"he", {Script::kHebrew}},
      {"arabic", {Script::kArabic}},
      {"ar", {Script::kArabic}},
      {"fa", {Script::kArabic}},
      {"ur", {Script::kArabic}},
      {"devanagari", {Script::kDevanagari}},
      {"hi", {Script::kDevanagari}},
      {"mr", {Script::kDevanagari}},
      {"thai", {Script::kThai}},
      {"th", {Script::kThai}},
      {"hangul", {Script::kHangul}},
      {"ko", {Script::kHangul}},
      {"han", {Script::kHan}},
      {"zh", {Script::kHan}},
      {"ja", {Script::kHan, Script::kHiragana, Script::kKatakana}},
  };
  auto it = kLanguages.find(language);
  if (it != kLanguages.end()) return it->second;
  std::string known;
  for (const auto& entry : kLanguages) known += (known.empty() ? "" : ", ") + entry.first;
  TORCH_CHECK(false, "reward 'language_consistency': unknown language '", language, "'; known: ", known);
}

bool one_word_per_character(Script script) {
  return script == Script::kHan || script == Script::kHiragana || script == Script::kKatakana;
}

// Removes code and math, which are neutral: ``` fenced ```, `inline`, $$..$$, $..$, \(..\), \[..\],
// and LaTeX commands (\frac, \alpha, ...). An unclosed delimiter neutralises the rest.
std::string strip_neutral(const std::string& text) {
  static const std::array<std::pair<const char*, const char*>, 6> kDelimiters = {
      {{"```", "```"}, {"$$", "$$"}, {"\\[", "\\]"}, {"\\(", "\\)"}, {"`", "`"}, {"$", "$"}}};
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    bool skipped = false;
    for (const auto& [open, close] : kDelimiters) {
      const size_t open_size = std::char_traits<char>::length(open);
      if (text.compare(i, open_size, open) != 0) continue;
      const size_t end = text.find(close, i + open_size);
      i = end == std::string::npos ? text.size() : end + std::char_traits<char>::length(close);
      out += ' ';
      skipped = true;
      break;
    }
    if (skipped) continue;
    if (text[i] == '\\' && i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i + 1]))) {
      ++i;
      while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
      out += ' ';
      continue;
    }
    out += text[i++];
  }
  return out;
}

bool is_letter(char32_t c) {
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return true;
    default:
      return false;
  }
}

bool is_mark(char32_t c) {
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_MC || category == UTF8PROC_CATEGORY_ME;
}

struct WordCount {
  int64_t target = 0;
  int64_t total = 0;
};

// Words: runs of letters (with their combining marks) of one script; each Han, Hiragana or
// Katakana character is a word of its own. Digits, punctuation, symbols and spaces end words.
WordCount count_words(const std::string& text, const std::vector<Script>& target) {
  WordCount count;
  Script current = Script::kNone;
  auto end_word = [&] {
    if (current == Script::kNone) return;
    ++count.total;
    if (std::find(target.begin(), target.end(), current) != target.end()) ++count.target;
    current = Script::kNone;
  };
  for (char32_t c : decode_utf8(strip_neutral(text))) {
    if (is_mark(c) && current != Script::kNone) continue;
    if (!is_letter(c)) {
      end_word();
      continue;
    }
    const Script script = script_of(c);
    if (script != current || one_word_per_character(script)) end_word();
    current = script;
  }
  end_word();
  return count;
}

class LanguageConsistencyReward final : public RewardFn {
 public:
  LanguageConsistencyReward(std::string language, std::string language_field, std::string think_tag)
      : RewardFn("language_consistency"),
        default_scripts_(language.empty() ? std::vector<Script>{} : scripts_of_language(language)),
        language_field_(std::move(language_field)),
        think_open_(think_tag.empty() ? "" : "<" + think_tag + ">"),
        think_close_(think_tag.empty() ? "" : "</" + think_tag + ">") {}

 protected:
  double score_row(const RewardInput& row) const override {
    std::vector<Script> scripts = default_scripts_;
    if (!language_field_.empty() && row.has_field(language_field_)) {
      scripts = scripts_of_language(row.field_string(language_field_));
    }
    TORCH_CHECK(!scripts.empty(), "reward 'language_consistency': the row has no column '", language_field_,
                "' and no default language is set");
    std::string reasoning = row.completion;
    if (!think_open_.empty()) {
      const size_t open = row.completion.find(think_open_);
      if (open == std::string::npos) return 0.0;
      const size_t begin = open + think_open_.size();
      const size_t close = row.completion.find(think_close_, begin);
      reasoning = row.completion.substr(begin, close == std::string::npos ? std::string::npos : close - begin);
    }
    const auto count = count_words(reasoning, scripts);
    return count.total == 0 ? 0.0 : static_cast<double>(count.target) / static_cast<double>(count.total);
  }

 private:
  std::vector<Script> default_scripts_;
  std::string language_field_;
  std::string think_open_, think_close_;
};

}  // namespace

std::shared_ptr<RewardFn> make_language_consistency_reward(ParamReader& params) {
  auto language = params.text("language", "");
  auto field = params.text("language_field", "");
  TORCH_CHECK(!language.empty() || !field.empty(),
              "reward 'language_consistency': set parameter 'language' or 'language_field' (or both)");
  return std::make_shared<LanguageConsistencyReward>(language, field, params.text("think_tag", "think"));
}

}  // namespace grpo::detail
