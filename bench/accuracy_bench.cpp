// Times verify_answer() (the accuracy reward's checker) on a JSONL corpus of {completion,
// solution} rows, repeated to a given number of rows: total seconds, rows per second and the
// slowest single row. Used by bench/accuracy_vs_trl.py; see docs/rewards.md.
//
//   bench_accuracy CORPUS.jsonl [ROWS, default 10000]
#include <grpo/rewards/checkers.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_accuracy CORPUS.jsonl [ROWS]\n");
    return 2;
  }
  const size_t rows = argc > 2 ? std::stoul(argv[2]) : 10000;
  std::vector<std::pair<std::string, std::string>> corpus;
  std::ifstream in(argv[1]);
  for (std::string line; std::getline(in, line);) {
    const auto row = nlohmann::json::parse(line);
    corpus.emplace_back(row.at("completion").get<std::string>(), row.at("solution").get<std::string>());
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "bench_accuracy: %s has no rows\n", argv[1]);
    return 1;
  }
  using clock = std::chrono::steady_clock;
  double slowest = 0.0;
  size_t slowest_row = 0, correct = 0;
  const auto start = clock::now();
  for (size_t k = 0; k < rows; ++k) {
    const auto& [completion, gold] = corpus[k % corpus.size()];
    const auto row_start = clock::now();
    correct += grpo::verify_answer(completion, gold) == grpo::AnswerVerdict::kCorrect;
    const double seconds = std::chrono::duration<double>(clock::now() - row_start).count();
    if (seconds > slowest) {
      slowest = seconds;
      slowest_row = k % corpus.size();
    }
  }
  const double total = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("{\"rows\": %zu, \"seconds\": %.4f, \"rows_per_second\": %.0f, \"slowest_row_ms\": %.3f, "
              "\"slowest_row\": %zu, \"correct\": %zu, \"budget_refusals\": %llu}\n",
              rows, total, rows / total, 1000 * slowest, slowest_row, correct,
              static_cast<unsigned long long>(grpo::answer_budget_refusals()));
  return 0;
}
