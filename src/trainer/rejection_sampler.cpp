#include <grpo/trainer/rejection_sampler.h>

#include <grpo/trainer/scoring.h>

#include "support/progress.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <sstream>

namespace grpo {
namespace {

std::vector<std::string> normalised_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::set<std::string> shingles(const std::vector<std::string>& words) {
  std::set<std::string> out;
  if (words.size() < 3) {
    out.insert(words.begin(), words.end());
    return out;
  }
  for (size_t i = 0; i + 3 <= words.size(); ++i) out.insert(words[i] + ' ' + words[i + 1] + ' ' + words[i + 2]);
  return out;
}

bool passes(double score, double min_score) { return std::isnan(score) || score >= min_score; }

}  // namespace

double trigram_jaccard(const std::string& a, const std::string& b) {
  const auto sa = shingles(normalised_words(a)), sb = shingles(normalised_words(b));
  if (sa.empty() && sb.empty()) return 1.0;
  size_t common = 0;
  for (const auto& s : sa) common += sb.count(s);
  return static_cast<double>(common) / static_cast<double>(sa.size() + sb.size() - common);
}

PromptSelection select_completions(const std::vector<Candidate>& candidates, const std::vector<double>& min_scores,
                                   const RejectionSamplingOptions& options) {
  PromptSelection out;
  out.passed_per_filter.assign(min_scores.size(), 0);
  std::vector<int64_t> passing;
  std::vector<double> rank(candidates.size(), 0.0);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    TORCH_CHECK(c.scores.size() == min_scores.size(), "select_completions: candidate ", i, " has ", c.scores.size(),
                " scores for ", min_scores.size(), " filters");
    bool all = true;
    for (size_t f = 0; f < min_scores.size(); ++f) {
      const bool ok = passes(c.scores[f], min_scores[f]);
      out.passed_per_filter[f] += ok ? 1 : 0;
      all = all && ok;
      if (std::isfinite(c.scores[f])) rank[i] += c.scores[f];
    }
    out.truncated += c.truncated ? 1 : 0;
    // An empty completion teaches nothing (and SFT data must have a completion): never kept.
    if (all && !c.completion.empty() && !(options.drop_truncated() && c.truncated)) {
      passing.push_back(static_cast<int64_t>(i));
    }
  }
  out.passed = static_cast<int64_t>(passing.size());
  if (options.best_of()) {
    std::stable_sort(passing.begin(), passing.end(), [&](int64_t x, int64_t y) { return rank[x] > rank[y]; });
  }
  for (const auto i : passing) {
    if (static_cast<int64_t>(out.kept.size()) >= options.max_per_prompt()) break;
    const auto& text = candidates[static_cast<size_t>(i)].completion;
    const bool duplicate = std::any_of(out.kept.begin(), out.kept.end(), [&](int64_t k) {
      const auto& other = candidates[static_cast<size_t>(k)].completion;
      return normalised_words(text) == normalised_words(other) ||
             trigram_jaccard(text, other) >= options.near_duplicate_threshold();
    });
    if (duplicate) {
      ++out.duplicates;
      continue;
    }
    out.kept.push_back(i);
  }
  return out;
}

std::string RejectionReport::to_json() const {
  nlohmann::ordered_json j;
  j["num_prompts"] = num_prompts;
  j["sampled"] = sampled;
  j["kept"] = kept;
  j["prompts_with_kept"] = prompts_with_kept;
  j["truncated"] = truncated;
  j["passed"] = passed;
  j["duplicates"] = duplicates;
  for (size_t f = 0; f < filter_names.size(); ++f) j["filter_pass_rates"][filter_names[f]] = filter_pass_rates[f];
  j["kept_per_prompt"] = kept_per_prompt;
  return j.dump();
}

RejectionSampler::RejectionSampler(std::vector<RewardFilter> filters, RejectionSamplingOptions options)
    : filters_(std::move(filters)), options_(std::move(options)) {
  const auto& o = options_;
  TORCH_CHECK(!filters_.empty(), "RejectionSampler: no filter: give at least one reward with a threshold");
  for (size_t f = 0; f < filters_.size(); ++f) {
    TORCH_CHECK(filters_[f].reward != nullptr, "RejectionSampler: filter ", f, " has no reward");
    TORCH_CHECK(std::isfinite(filters_[f].min_score), "RejectionSampler: filter '", filters_[f].reward->name(),
                "' needs a finite min_score, got ", filters_[f].min_score);
  }
  TORCH_CHECK(o.num_generations() >= 1, "RejectionSamplingOptions: num_generations must be >= 1, got ",
              o.num_generations());
  TORCH_CHECK(o.max_new_tokens() >= 1, "RejectionSamplingOptions: max_new_tokens must be >= 1, got ",
              o.max_new_tokens());
  TORCH_CHECK(o.batch_prompts() >= 1, "RejectionSamplingOptions: batch_prompts must be >= 1, got ", o.batch_prompts());
  TORCH_CHECK(o.max_per_prompt() >= 1, "RejectionSamplingOptions: max_per_prompt must be >= 1, got ",
              o.max_per_prompt());
  TORCH_CHECK(o.near_duplicate_threshold() > 0 && o.near_duplicate_threshold() <= 1,
              "RejectionSamplingOptions: near_duplicate_threshold must be in (0, 1], got ", o.near_duplicate_threshold());
}

RejectionResult RejectionSampler::run(Policy& policy, const PromptDataset& prompts,
                                      const std::vector<std::string>& rendered_prompts) const {
  const auto& o = options_;
  const int64_t n = prompts.size(), k = o.num_generations();
  const auto f_count = filters_.size();
  TORCH_CHECK(n >= 1, "RejectionSampler: the prompt dataset is empty");
  TORCH_CHECK(rendered_prompts.empty() || static_cast<int64_t>(rendered_prompts.size()) == n, "RejectionSampler: ",
              rendered_prompts.size(), " rendered prompts for ", n, " dataset rows");
  std::vector<std::shared_ptr<RewardFn>> rewards;
  std::vector<double> min_scores;
  for (const auto& filter : filters_) {
    rewards.push_back(filter.reward);
    min_scores.push_back(filter.min_score);
  }
  RejectionResult result;
  auto& report = result.report;
  report.num_prompts = n;
  std::vector<int64_t> passed_per_filter(f_count, 0);
  detail::Progress progress("reject", n, "prompts");
  for (int64_t begin = 0, batch = 0; begin < n; begin += o.batch_prompts(), ++batch) {
    const int64_t end = std::min(n, begin + o.batch_prompts());
    std::vector<std::string> texts;
    std::vector<const PromptRow*> rows;
    for (int64_t i = begin; i < end; ++i) {
      rows.push_back(&prompts[i]);
      texts.push_back(rendered_prompts.empty() ? prompts[i].prompt : rendered_prompts[static_cast<size_t>(i)]);
    }
    const auto rollout = policy.generate(texts, SamplingOptions()
                                                    .num_generations(k)
                                                    .max_new_tokens(o.max_new_tokens())
                                                    .temperature(o.temperature())
                                                    .top_p(o.top_p())
                                                    .top_k(o.top_k())
                                                    .stop_strings(o.stop_strings())
                                                    .seed(o.seed() + static_cast<uint64_t>(batch)));
    const auto inputs = reward_inputs(rollout, rows);  // prompts as in the dataset
    const auto table = score_rewards(rewards, inputs, RewardErrorPolicy::kFail, "rejection sampling");
    const auto scores = table.rewards_per_func.accessor<double, 2>();
    for (int64_t p = 0; p < end - begin; ++p) {
      std::vector<Candidate> candidates;
      for (int64_t j = 0; j < k; ++j) {
        const int64_t r = p * k + j;
        Candidate c{inputs[static_cast<size_t>(r)].completion, inputs[static_cast<size_t>(r)].truncated, {}};
        for (size_t f = 0; f < f_count; ++f) c.scores.push_back(scores[r][static_cast<int64_t>(f)]);
        candidates.push_back(std::move(c));
      }
      const auto selection = select_completions(candidates, min_scores, o);
      for (const auto i : selection.kept) {
        result.examples.push_back({prompts[begin + p].prompt, candidates[static_cast<size_t>(i)].completion});
      }
      for (size_t f = 0; f < f_count; ++f) passed_per_filter[f] += selection.passed_per_filter[f];
      report.sampled += k;
      report.kept += static_cast<int64_t>(selection.kept.size());
      report.truncated += selection.truncated;
      report.passed += selection.passed;
      report.duplicates += selection.duplicates;
      report.prompts_with_kept += selection.kept.empty() ? 0 : 1;
      report.kept_per_prompt.push_back(static_cast<int64_t>(selection.kept.size()));
    }
    progress.advance(end - begin);
  }
  std::ostringstream rates;
  for (size_t f = 0; f < f_count; ++f) {
    report.filter_names.push_back(filters_[f].reward->name());
    report.filter_pass_rates.push_back(static_cast<double>(passed_per_filter[f]) / static_cast<double>(report.sampled));
    rates << (f ? ", " : "") << filters_[f].reward->name() << " >= " << filters_[f].min_score << ": "
          << report.filter_pass_rates.back();
  }
  TORCH_CHECK(report.kept > 0, "rejection sampling kept no completion of ", report.sampled, " sampled (",
              report.truncated, " truncated; pass rates ", rates.str(), "); loosen a threshold or sample more");
  return result;
}

}  // namespace grpo
