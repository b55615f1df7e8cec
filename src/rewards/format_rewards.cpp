// Format rewards: the R1 template (format), partial credit per tag (tag_count) and step markers
// (reasoning_steps). Plain string scans, no regex engine: linear time on any completion.
#include "builtin.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace grpo::detail {
namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool all_space(const std::string& text, size_t begin, size_t end) {
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(begin), text.begin() + static_cast<std::ptrdiff_t>(end),
                     is_ascii_space);
}

size_t count_occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

std::string checked_tag(ParamReader& params, const std::string& key, const std::string& fallback, bool may_be_empty) {
  auto tag = params.text(key, fallback);
  TORCH_CHECK(may_be_empty || !tag.empty(), "reward '", params.reward(), "': parameter '", key, "' must be non-empty");
  TORCH_CHECK(tag.find_first_of("<>") == std::string::npos, "reward '", params.reward(), "': parameter '", key,
              "' is a tag name without angle brackets, got '", tag, "'");
  return tag;
}

// 1 if the completion follows the reasoning template, else 0. See docs/rewards.md, "format".
class FormatReward final : public RewardFn {
 public:
  FormatReward(const std::string& think_tag, const std::string& answer_tag)
      : RewardFn("format"),
        think_open_("<" + think_tag + ">"),
        think_close_("</" + think_tag + ">"),
        answer_open_(answer_tag.empty() ? "" : "<" + answer_tag + ">"),
        answer_close_(answer_tag.empty() ? "" : "</" + answer_tag + ">") {}

 protected:
  double score_row(const RewardInput& row) const override {
    const std::string& text = row.completion;
    if (text.compare(0, think_open_.size(), think_open_) != 0) return 0.0;
    const size_t body = think_open_.size();
    if (answer_open_.empty()) {
      // TRL's think_format_reward: re.match(r"^<think>(?!.*<think>)(.*?)</think>.*$", DOTALL).
      return text.find(think_open_, body) == std::string::npos && text.find(think_close_, body) != std::string::npos
                 ? 1.0
                 : 0.0;
    }
    for (const auto* tag : {&think_open_, &think_close_, &answer_open_, &answer_close_}) {
      if (count_occurrences(text, *tag) != 1) return 0.0;
    }
    const size_t think_end = text.find(think_close_);
    const size_t answer_begin = text.find(answer_open_);
    const size_t answer_end = text.find(answer_close_);
    if (think_end < body || answer_begin < think_end + think_close_.size() ||
        answer_end < answer_begin + answer_open_.size()) {
      return 0.0;
    }
    return all_space(text, think_end + think_close_.size(), answer_begin) &&
                   all_space(text, answer_end + answer_close_.size(), text.size())
               ? 1.0
               : 0.0;
  }

 private:
  std::string think_open_, think_close_, answer_open_, answer_close_;
};

// 0.25 for each of the four tag markers present exactly once (open-r1's tag_count_reward).
class TagCountReward final : public RewardFn {
 public:
  TagCountReward(const std::string& think_tag, const std::string& answer_tag, bool newlines) : RewardFn("tag_count") {
    const std::string nl = newlines ? "\n" : "";
    markers_ = {"<" + think_tag + ">" + nl, nl + "</" + think_tag + ">" + nl, nl + "<" + answer_tag + ">" + nl,
                nl + "</" + answer_tag + ">"};
  }

 protected:
  double score_row(const RewardInput& row) const override {
    double score = 0.0;
    for (const auto& marker : markers_) {
      if (count_occurrences(row.completion, marker) == 1) score += 0.25;
    }
    return score;
  }

 private:
  std::array<std::string, 4> markers_;
};

// Length of the match of `Step \d+:` at `pos`, or 0.
size_t match_step(const std::string& text, size_t pos) {
  static const std::string kStep = "Step ";
  if (text.compare(pos, kStep.size(), kStep) != 0) return 0;
  size_t end = pos + kStep.size();
  const size_t digits = end;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  return end > digits && end < text.size() && text[end] == ':' ? end + 1 - pos : 0;
}

// Length of the match of `^\d+\.` at `pos` (only at the start of the text), or 0.
size_t match_numbered(const std::string& text, size_t pos) {
  if (pos != 0) return 0;
  size_t end = 0;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  return end > 0 && end < text.size() && text[end] == '.' ? end + 1 : 0;
}

// min(1, markers / min_steps), markers counted as open-r1's reasoning_steps_reward counts them:
// re.findall(r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)", text).
class ReasoningStepsReward final : public RewardFn {
 public:
  explicit ReasoningStepsReward(int64_t min_steps) : RewardFn("reasoning_steps"), min_steps_(min_steps) {}

 protected:
  double score_row(const RewardInput& row) const override {
    static const std::array<std::string, 6> kLiterals = {"\n-", "\n*", "First,", "Second,", "Next,", "Finally,"};
    const std::string& text = row.completion;
    int64_t count = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t length = match_step(text, pos);
      if (length == 0) length = match_numbered(text, pos);
      for (size_t k = 0; length == 0 && k < kLiterals.size(); ++k) {
        if (text.compare(pos, kLiterals[k].size(), kLiterals[k]) == 0) length = kLiterals[k].size();
      }
      if (length == 0) {
        ++pos;
      } else {
        ++count;
        pos += length;
      }
    }
    return std::min(1.0, static_cast<double>(count) / static_cast<double>(min_steps_));
  }

 private:
  int64_t min_steps_;
};

}  // namespace

std::shared_ptr<RewardFn> make_format_reward(ParamReader& params) {
  auto think = checked_tag(params, "think_tag", "think", false);
  auto answer = checked_tag(params, "answer_tag", "answer", true);
  return std::make_shared<FormatReward>(think, answer);
}

std::shared_ptr<RewardFn> make_tag_count_reward(ParamReader& params) {
  auto think = checked_tag(params, "think_tag", "think", false);
  auto answer = checked_tag(params, "answer_tag", "answer", false);
  return std::make_shared<TagCountReward>(think, answer, params.boolean("newlines", true));
}

std::shared_ptr<RewardFn> make_reasoning_steps_reward(ParamReader& params) {
  auto min_steps = params.integer("min_steps", 3);
  TORCH_CHECK(min_steps >= 1, "reward 'reasoning_steps': parameter 'min_steps' must be >= 1, got ", min_steps);
  return std::make_shared<ReasoningStepsReward>(min_steps);
}

}  // namespace grpo::detail
