// A custom reward: subclass grpo::RewardFn, override score_row(), combine it with built-ins.
#include <grpo/grpo.h>

#include <algorithm>
#include <iostream>

// 1 when the completion stays within a word budget, falling linearly to 0 at twice the budget.
class ConcisenessReward final : public grpo::RewardFn {
 public:
  explicit ConcisenessReward(int budget) : RewardFn("conciseness"), budget_(budget) {}

 protected:
  double score_row(const grpo::RewardInput& row) const override {
    int words = 0;
    bool in_word = false;
    for (char c : row.completion) {
      const bool space = c == ' ' || c == '\n' || c == '\t';
      words += !space && !in_word;
      in_word = !space;
    }
    return std::clamp(2.0 - static_cast<double>(words) / budget_, 0.0, 1.0);
  }

 private:
  int budget_;
};

int main() {
  std::vector<grpo::RewardInput> rows(2);
  rows[0].completion = "<think>2 + 2 = 4</think><answer>4</answer>";
  rows[1].completion = "<think>let me think about this for a long long time</think><answer>5</answer>";
  for (auto& row : rows) row.fields = {{"solution", "\"4\""}};  // the dataset's gold column, as JSON
  const ConcisenessReward concise(5);
  const auto accuracy = grpo::make_builtin_reward("accuracy");
  const auto a = concise.score(rows), b = accuracy->score(rows);
  for (size_t i = 0; i < rows.size(); ++i)
    std::cout << "row " << i << ": conciseness " << a[i] << ", accuracy " << b[i] << "\n";
}
