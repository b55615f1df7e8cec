// Times GrpoLoss forward + backward on random inputs and prints one JSON line.
// usage: bench_loss N T LOSS_TYPE BETA ITERATIONS
// Shapes: N = completions (B*G), T = completion tokens; float32 on the CPU.
#include <grpo/core/loss.h>

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: bench_loss N T LOSS_TYPE BETA ITERATIONS\n";
    return 2;
  }
  const int64_t n = std::stoll(argv[1]), t = std::stoll(argv[2]);
  const auto loss_type = grpo::parse_loss_type(argv[3]);
  const double beta = std::stod(argv[4]);
  const int iterations = std::stoi(argv[5]);

  torch::manual_seed(0);
  const auto logp0 = -torch::rand({n, t}) * 4;
  const auto old = logp0 + torch::randn({n, t}) * 0.3;
  const auto ref = logp0 + torch::randn({n, t}) * 0.3;
  const auto adv = torch::randn({n});
  const auto mask = (torch::arange(t).unsqueeze(0) < torch::randint(1, t + 1, {n, 1})).to(torch::kLong);
  grpo::GrpoLoss loss(grpo::GrpoLossOptions().loss_type(loss_type).beta(beta).max_completion_length(t));

  std::vector<double> seconds;
  for (int i = 0; i < iterations + 3; ++i) {
    grpo::GrpoLossInputs in;
    in.logprobs = logp0.clone().requires_grad_(true);
    in.old_logprobs = old;
    in.ref_logprobs = ref;
    in.advantages = adv;
    in.completion_mask = mask;
    const auto start = std::chrono::steady_clock::now();
    auto out = loss(in);
    out.loss.backward();
    const double kl = out.kl_mean.item<double>();  // the trainer reads its statistics each step
    (void)kl;
    const auto stop = std::chrono::steady_clock::now();
    if (i >= 3) seconds.push_back(std::chrono::duration<double>(stop - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  std::cout << "{\"median_ms\": " << seconds[seconds.size() / 2] * 1e3 << ", \"threads\": "
            << at::get_num_threads() << "}\n";
  return 0;
}
