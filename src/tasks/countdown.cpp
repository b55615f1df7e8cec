#include <grpo/tasks/countdown.h>

#include <c10/util/Exception.h>

#include <algorithm>
#include <random>
#include <set>
#include <sstream>

namespace grpo {
namespace {

// A value under construction: its number, its expression text, and whether the text is a
// sum or difference (which needs parentheses under * and /, or on the right of -).
struct Term {
  int64_t value;
  std::string text;
  bool additive;
};

// Uniform integer in [0, n) from mt19937_64 (standard-fixed output; modulo bias negligible).
int64_t draw(std::mt19937_64& rng, int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); }

std::string wrap(const Term& t, bool needs) { return needs ? "(" + t.text + ")" : t.text; }

// Combines two terms with a random operation whose result is a non-negative integer, or
// returns false when the drawn operation does not give one.
bool combine(std::mt19937_64& rng, const Term& a, const Term& b, Term& out, std::string& step) {
  const char op = "+-*/"[draw(rng, 4)];
  int64_t value = 0;
  switch (op) {
    case '+': value = a.value + b.value; break;
    case '-': if (a.value < b.value) return false; value = a.value - b.value; break;
    case '*': value = a.value * b.value; break;
    case '/': if (b.value == 0 || a.value % b.value != 0) return false; value = a.value / b.value; break;
  }
  const bool mul = op == '*' || op == '/';
  out.value = value;
  out.additive = !mul;
  out.text = wrap(a, mul && a.additive) + op + wrap(b, (mul && b.additive) || (op == '-' && b.additive) ||
                                                            (op == '/' && !b.additive && b.text.size() > 1 &&
                                                             b.text.find_first_of("*/") != std::string::npos));
  step = std::to_string(a.value) + op + std::to_string(b.value) + "=" + std::to_string(value);
  return true;
}

// Builds a random expression over `nums` (each once); false if an operation failed.
bool build(std::mt19937_64& rng, const std::vector<int64_t>& nums, CountdownProblem& problem) {
  std::vector<Term> terms;
  for (auto n : nums) terms.push_back({n, std::to_string(n), false});
  problem.steps.clear();
  while (terms.size() > 1) {
    const auto i = draw(rng, static_cast<int64_t>(terms.size()));
    auto j = draw(rng, static_cast<int64_t>(terms.size()) - 1);
    if (j >= i) ++j;
    Term merged;
    std::string step;
    if (!combine(rng, terms[i], terms[j], merged, step)) return false;
    problem.steps.push_back(step);
    terms.erase(terms.begin() + std::max(i, j));
    terms.erase(terms.begin() + std::min(i, j));
    terms.push_back(merged);
  }
  problem.target = terms[0].value;
  problem.solution = terms[0].text;
  return true;
}

}  // namespace

CountdownTask generate_countdown(int64_t num_train, int64_t num_eval, const CountdownOptions& o) {
  TORCH_CHECK(o.num_count() >= 2 && o.num_count() <= 6, "CountdownOptions: num_count must be in [2, 6], got ",
              o.num_count());
  TORCH_CHECK(o.max_number() >= 2 && o.max_number() <= 1000,
              "CountdownOptions: max_number must be in [2, 1000], got ", o.max_number());
  TORCH_CHECK(o.max_target() >= 1, "CountdownOptions: max_target must be >= 1, got ", o.max_target());
  TORCH_CHECK(num_train >= 0 && num_eval >= 0, "generate_countdown: counts must be >= 0, got ", num_train,
              " and ", num_eval);
  std::mt19937_64 rng(o.seed());
  std::set<std::pair<std::vector<int64_t>, int64_t>> seen;
  std::vector<CountdownProblem> problems;
  const int64_t wanted = num_train + num_eval;
  const int64_t max_attempts = 1000 * (wanted + 10);
  for (int64_t attempt = 0; attempt < max_attempts && static_cast<int64_t>(problems.size()) < wanted; ++attempt) {
    CountdownProblem p;
    for (int64_t k = 0; k < o.num_count(); ++k) p.nums.push_back(1 + draw(rng, o.max_number()));
    if (!build(rng, p.nums, p) || p.target < 1 || p.target > o.max_target()) continue;
    auto key = p.nums;
    std::sort(key.begin(), key.end());
    if (!seen.emplace(key, p.target).second) continue;
    problems.push_back(std::move(p));
  }
  TORCH_CHECK(static_cast<int64_t>(problems.size()) == wanted, "generate_countdown: found only ",
              problems.size(), " distinct problems of the ", wanted,
              " asked for; widen max_number, max_target or num_count");
  CountdownTask task;
  task.eval.assign(problems.begin(), problems.begin() + num_eval);
  task.train.assign(problems.begin() + num_eval, problems.end());
  return task;
}

std::string countdown_prompt(const CountdownProblem& p, CountdownTemplate prompt_template) {
  std::ostringstream nums;
  for (size_t i = 0; i < p.nums.size(); ++i) nums << (i ? " " : "") << p.nums[i];
  if (prompt_template == CountdownTemplate::kCompact) {
    return nums.str() + " -> " + std::to_string(p.target) + "\n";
  }
  std::ostringstream list;
  for (size_t i = 0; i < p.nums.size(); ++i) list << (i ? ", " : "") << p.nums[i];
  return "A conversation between User and Assistant. The user asks a question, and the Assistant solves "
         "it. The assistant first thinks about the reasoning process in the mind and then provides the "
         "user with the answer. The reasoning process and answer are enclosed within <think> </think> and "
         "<answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> "
         "answer here </answer>.\nUser: Using the numbers [" +
         list.str() + "], create an equation that equals " + std::to_string(p.target) +
         ". You can use basic arithmetic operations (+, -, *, /) and each number can only be used once.\n"
         "Assistant: ";
}

std::string countdown_trace(const CountdownProblem& p) {
  std::string think;
  for (size_t i = 0; i < p.steps.size(); ++i) think += (i ? "," : "") + p.steps[i];
  return "<think>" + think + "</think>\n<answer>" + p.solution + "</answer>";
}

PromptDataset countdown_prompts(const std::vector<CountdownProblem>& problems, CountdownTemplate prompt_template) {
  std::vector<PromptRow> rows;
  for (const auto& p : problems) {
    std::ostringstream nums;
    nums << '[';
    for (size_t i = 0; i < p.nums.size(); ++i) nums << (i ? ", " : "") << p.nums[i];
    nums << ']';
    rows.push_back({countdown_prompt(p, prompt_template),
                    {{"nums", nums.str()}, {"target", std::to_string(p.target)}}});
  }
  return PromptDataset(std::move(rows));
}

std::vector<SftExample> countdown_sft_examples(const std::vector<CountdownProblem>& problems,
                                               CountdownTemplate prompt_template) {
  std::vector<SftExample> examples;
  for (const auto& p : problems) examples.push_back({countdown_prompt(p, prompt_template), countdown_trace(p)});
  return examples;
}

}  // namespace grpo
