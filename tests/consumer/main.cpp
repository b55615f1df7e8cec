// Links the installed grpo and computes one group's advantages: exits 0 when they are right.
#include <grpo/grpo.h>

#include <cmath>
#include <iostream>

int main() {
  // Rewards 1, 0 in a group of two: mean 0.5, unbiased std sqrt(0.5).
  auto rewards = torch::tensor({{1.0}, {0.0}}, torch::kFloat64);
  auto result = grpo::compute_advantages(rewards, torch::ones({1}, torch::kFloat64),
                                         grpo::AdvantageOptions(2));
  const double expected = 0.5 / (std::sqrt(0.5) + 1e-4);
  const double got = result.advantages[0].item<double>();
  std::cout << "grpo " << grpo::version() << ": advantage " << got << ", expected " << expected << "\n";
  return std::abs(got - expected) < 1e-12 ? 0 : 1;
}
