#include <grpo/trainer/grpo_trainer.h>

#include <grpo/support/files.h>
#include <grpo/support/log.h>

#include "trainer/checkpoint.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>

namespace grpo {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Json finite_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// `text` in a Markdown table cell: '|' escaped, newlines as <br>.
std::string markdown_cell(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n') out += "<br>";
    else out += ch;
  }
  return out;
}

// The header of the step's completions table (prompt, completion, each reward, advantage): the
// text summary TensorBoard shows beside samples.jsonl.
std::string completions_markdown_header(const std::vector<std::shared_ptr<RewardFn>>& rewards) {
  std::ostringstream md;
  md << "| prompt | completion |";
  for (const auto& r : rewards) md << ' ' << markdown_cell(r->name()) << " |";
  md << " advantage |\n|---|---|";
  for (size_t k = 0; k < rewards.size(); ++k) md << "---|";
  md << "---|\n";
  return md.str();
}

// The table's rows for this process's completions.
std::string completions_markdown_rows(const ScoredBatch& batch, const std::vector<std::shared_ptr<RewardFn>>& rewards) {
  const auto advantages = batch.advantages.advantages.accessor<double, 1>();
  const auto values = batch.rewards.rewards_per_func.accessor<double, 2>();
  std::ostringstream md;
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    md << "| " << markdown_cell(batch.rows[r].prompt) << " | " << markdown_cell(batch.rows[r].completion) << " |";
    for (size_t k = 0; k < rewards.size(); ++k) md << ' ' << values[static_cast<int64_t>(r)][static_cast<int64_t>(k)] << " |";
    md << ' ' << advantages[static_cast<int64_t>(r)] << " |\n";
  }
  return md.str();
}

// `allow_none`: distillation, where the teacher alone gives the advantages.
std::vector<std::shared_ptr<RewardFn>> build_rewards(std::vector<std::shared_ptr<RewardFn>> given,
                                                     const GrpoConfig& config, bool allow_none) {
  const auto& specs = config.reward_funcs();
  if (given.empty()) {
    for (const auto& spec : specs) given.push_back(make_builtin_reward(spec.name, spec.params));
  } else if (!specs.empty()) {
    TORCH_CHECK(given.size() == specs.size(), "GrpoTrainer: ", given.size(), " reward objects for ", specs.size(),
                " entries of reward_funcs (pass reward objects or name them in reward_funcs; both must agree)");
  }
  TORCH_CHECK(allow_none || !given.empty(),
              "GrpoTrainer: no rewards: pass RewardFn objects or name built-in rewards in reward_funcs");
  for (size_t k = 0; k < given.size(); ++k) {
    TORCH_CHECK(given[k] != nullptr, "GrpoTrainer: reward ", k, " is null");
    TORCH_CHECK(specs.empty() || specs[k].name == given[k]->name(), "GrpoTrainer: reward ", k, " is '",
                given[k]->name(), "' but reward_funcs names '", specs[k].name, "'");
  }
  const auto& weights = config.reward_weights();
  TORCH_CHECK(weights.empty() || weights.size() == given.size(), "GrpoConfig: reward_weights must be empty or one ",
              "weight per reward (count), got ", weights.size(), " for ", given.size(), " rewards");
  return given;
}

std::string id_text(const std::optional<int64_t>& id) { return id ? std::to_string(*id) : std::string("none"); }

// On-policy distillation scores the student's token ids under the teacher, so both tokenizers must
// read every id alike: the same vocabulary size, the same text of each id, the same EOS id.
void check_same_tokenizer(const Tokenizer& teacher, const Tokenizer& student) {
  TORCH_CHECK(teacher.vocab_size() == student.vocab_size(), "GrpoTrainer: the teacher's tokenizer has vocab_size ",
              teacher.vocab_size(), " but the student's (the policy's) ", student.vocab_size(),
              "; on-policy distillation needs one tokenizer");
  for (int64_t id = 0; id < student.vocab_size(); ++id) {
    const auto teacher_text = teacher.decode({id}), student_text = student.decode({id});
    TORCH_CHECK(teacher_text == student_text, "GrpoTrainer: token id ", id, " is '", teacher_text,
                "' for the teacher's tokenizer but '", student_text,
                "' for the student's (the policy's); on-policy distillation needs one tokenizer");
  }
  TORCH_CHECK(teacher.eos_token_id() == student.eos_token_id(), "GrpoTrainer: the teacher's tokenizer has EOS id ",
              id_text(teacher.eos_token_id()), " but the student's (the policy's) ", id_text(student.eos_token_id()),
              "; on-policy distillation needs one tokenizer");
}

// The advantage statistics of a batch without rewards (distillation only): advantages 0, every
// reward statistic NaN, as compute_advantages() reports unscorable rows.
AdvantageResult no_reward_advantages(int64_t n) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto options = torch::TensorOptions().dtype(torch::kFloat64);
  AdvantageResult result;
  result.advantages = torch::zeros({n}, options);
  result.rewards = torch::full({n}, nan, options);
  result.reward_mean_per_func = torch::empty({0}, options);
  result.reward_std_per_func = torch::empty({0}, options);
  result.reward_mean = torch::full({}, nan, options);
  result.reward_std = torch::full({}, nan, options);
  result.frac_reward_zero_std = torch::full({}, nan, options);
  return result;
}

// The seed of the generator that draws the completions of the prompt at `position` in step
// `step`'s batch (splitmix64 of the three): the same for whichever process samples that prompt.
uint64_t prompt_seed(uint64_t seed, int64_t step, int64_t position) {
  uint64_t z = seed * 1000003ULL + static_cast<uint64_t>(step);
  z ^= static_cast<uint64_t>(position) * 0x9E3779B97F4A7C15ULL;
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The JSON lines of samples.jsonl for this process's rows of step `step`, each ending in '\n'.
std::string sample_lines(const ScoredBatch& batch, const std::vector<std::shared_ptr<RewardFn>>& reward_fns,
                         int64_t step) {
  const auto advantages = batch.advantages.advantages.accessor<double, 1>();
  const auto rewards = batch.rewards.rewards_per_func.accessor<double, 2>();
  std::string lines;
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    Json sample;
    sample["step"] = step;
    sample["prompt"] = batch.rows[r].prompt;
    sample["completion"] = batch.rows[r].completion;
    for (size_t k = 0; k < reward_fns.size(); ++k) {
      sample["rewards"][reward_fns[k]->name()] =
          finite_or_null(rewards[static_cast<int64_t>(r)][static_cast<int64_t>(k)]);
    }
    sample["advantage"] = advantages[static_cast<int64_t>(r)];
    lines += sample.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  }
  return lines;
}

GrpoLossOptions loss_options(const GrpoConfig& c) {
  GrpoLossOptions o;
  o.loss_type(c.loss_type())
      .importance_sampling_level(c.importance_sampling_level())
      .epsilon_low(c.epsilon())
      .epsilon_high(c.epsilon_high().value_or(c.epsilon()))
      .delta(c.delta())
      .beta(c.beta())
      .use_bias_correction_kl(c.use_bias_correction_kl())
      .max_completion_length(c.max_completion_length());
  return o;
}

// Where a non-finite loss came from, read only once the loss is known to be bad: "; non-finite
// log-probabilities in <phase>, row <r>" for the first such row of the scored batch, else "".
std::string nonfinite_scoring(const ScoredBatch& batch) {
  const std::pair<const char*, const torch::Tensor*> phases[] = {{"reference scoring", &batch.ref_logprobs},
                                                                  {"old-policy scoring", &batch.old_logprobs},
                                                                  {"teacher scoring", &batch.teacher_logprobs}};
  for (const auto& [phase, logprobs] : phases) {
    if (!logprobs->defined()) continue;
    const auto bad = logprobs->isfinite().all(1).logical_not().to(torch::kCPU);
    const auto rows = bad.nonzero();
    if (rows.size(0) > 0) return c10::str("; non-finite log-probabilities in ", phase, ", row ", rows[0][0].item<int64_t>());
  }
  return "";
}

}  // namespace

std::string StepStats::to_json() const {
  Json j;
  j["step"] = step;
  j["loss"] = finite_or_null(loss);
  j["reward"] = finite_or_null(reward);
  j["reward_std"] = finite_or_null(reward_std);
  j["frac_reward_zero_std"] = finite_or_null(frac_reward_zero_std);
  for (const auto& [name, mean] : reward_means) {
    j["rewards/" + name + "/mean"] = finite_or_null(mean);
    j["rewards/" + name + "/std"] = finite_or_null(reward_stds.at(name));
  }
  j["reward_errors"] = reward_errors;
  j["kl"] = kl;
  j["entropy"] = entropy;
  j["clip_ratio/low_mean"] = clip_ratio_low;
  j["clip_ratio/high_mean"] = clip_ratio_high;
  j["clip_ratio/region_mean"] = clip_ratio_region;
  j["completions/mean_length"] = completion_length_mean;
  j["completions/max_length"] = completion_length_max;
  j["completions/clipped_ratio"] = clipped_ratio;
  j["learning_rate"] = learning_rate;
  j["grad_norm"] = finite_or_null(grad_norm);
  j["sampling_tokens_per_second"] = sampling_tokens_per_second;
  j["training_tokens_per_second"] = training_tokens_per_second;
  j["step_seconds"] = step_seconds;
  if (reverse_kl) j["distill/reverse_kl"] = finite_or_null(*reverse_kl);
  if (allreduce_seconds) j["timing/allreduce_seconds"] = *allreduce_seconds;
  return j.dump();
}

GrpoTrainer::GrpoTrainer(Policy policy, std::vector<std::shared_ptr<RewardFn>> rewards, PromptDataset train_dataset,
                         GrpoConfig config)
    : GrpoTrainer(std::move(policy), std::nullopt, std::move(rewards), std::move(train_dataset), std::move(config),
                  DistillationOptions()) {}

GrpoTrainer::GrpoTrainer(Policy policy, Policy teacher, std::vector<std::shared_ptr<RewardFn>> rewards,
                         PromptDataset train_dataset, GrpoConfig config, DistillationOptions distillation)
    : GrpoTrainer(std::move(policy), std::optional<Policy>(std::move(teacher)), std::move(rewards),
                  std::move(train_dataset), std::move(config), distillation) {}

GrpoTrainer::GrpoTrainer(Policy policy, std::optional<Policy> teacher, std::vector<std::shared_ptr<RewardFn>> rewards,
                         PromptDataset train_dataset, GrpoConfig config, DistillationOptions distillation)
    : Trainer(std::move(policy), std::make_unique<GrpoConfig>(std::move(config))),
      config_(static_cast<const GrpoConfig&>(args())),
      rewards_(build_rewards(std::move(rewards), config_, /*allow_none=*/teacher.has_value())),
      reward_error_policy_(parse_reward_error_policy(config_.reward_error_policy())),
      train_dataset_(std::move(train_dataset)),
      loss_(loss_options(config_)),
      teacher_(std::move(teacher)),
      distillation_(distillation) {
  TORCH_CHECK(train_dataset_.size() >= 1, "GrpoTrainer: the training dataset is empty");
  std::vector<double> weights = config_.reward_weights();
  if (weights.empty()) weights.assign(rewards_.size(), 1.0);
  reward_weights_ = torch::tensor(weights, torch::kFloat64);
  if (config_.beta() > 0.0) reference_.emplace(this->policy().clone_frozen());
  if (teacher_) {
    const double w = distillation_.reward_weight();
    TORCH_CHECK(std::isfinite(w) && w >= 0.0, "DistillationOptions: reward_weight must be finite and >= 0, got ", w);
    TORCH_CHECK(teacher_->device() == this->policy().device(), "GrpoTrainer: the teacher is on ", teacher_->device(),
                " but the policy (the student) on ", this->policy().device());
    check_same_tokenizer(teacher_->tokenizer(), this->policy().tokenizer());
    std::set<const void*> student_parameters;
    for (const auto& p : this->policy().parameters()) student_parameters.insert(p.data_ptr());
    for (const auto& p : teacher_->parameters()) {
      TORCH_CHECK(student_parameters.count(p.data_ptr()) == 0,
                  "GrpoTrainer: the teacher shares parameters with the policy (the student), so it would change as "
                  "the student trains; give a separate model (Policy::clone_frozen() copies one)");
    }
  }
}

void GrpoTrainer::set_eval(PromptDataset dataset, std::shared_ptr<RewardFn> correctness, EvalOptions options) {
  TORCH_CHECK(correctness != nullptr, "GrpoTrainer::set_eval: the correctness reward is null");
  eval_dataset_ = std::move(dataset);
  eval_correctness_ = std::move(correctness);
  eval_options_ = std::move(options);
}

ScoredBatch GrpoTrainer::generate_and_score() {
  const auto& c = config_;
  const int64_t g = c.num_generations(), step = global_step();
  const int64_t prompts = c.per_device_train_batch_size() * c.gradient_accumulation_steps() / g;
  // This rank's share of the step's world_size * prompts prompts: positions [first, first + prompts).
  const int64_t first = rank() * prompts;
  auto* const world = process_group();
  ScoredBatch batch;

  // 1. Sample G completions for each of the step's B prompts from the current (old) policy.
  batch.prompt_indices = stream_indices(train_dataset_.size(), static_cast<uint64_t>(c.seed()),
                                        step * prompts * world_size() + first, prompts);
  std::vector<uint64_t> prompt_seeds;
  for (int64_t b = 0; b < prompts; ++b) prompt_seeds.push_back(prompt_seed(static_cast<uint64_t>(c.seed()), step, first + b));
  std::vector<std::string> texts;
  std::vector<const PromptRow*> prompt_rows;
  for (const auto i : batch.prompt_indices) {
    prompt_rows.push_back(&train_dataset_[i]);
    texts.push_back(train_dataset_[i].prompt);
  }
  const auto sample_start = Clock::now();
  try {
    batch.rollout = policy().generate(
        texts, SamplingOptions()
                   .num_generations(g)
                   .max_new_tokens(c.max_completion_length())
                   .temperature(c.temperature())
                   .top_p(c.top_p())
                   .top_k(c.top_k())
                   .stop_strings(c.stop_strings())
                   .cuda_graphs(c.cuda_graphs())
                   .max_decode_rows(c.max_decode_rows())
                   .prompt_seeds(prompt_seeds));
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, "step ", step + 1, ", sampling: ", e.what_without_backtrace());
  }
  batch.sampling_seconds = seconds_since(sample_start);
  detail::test_kill_point("sample", step + 1);
  const auto& rollout = batch.rollout;
  const int64_t n = rollout.num_rows();

  // 2. Score every completion with every reward: [N, K] (the rollout is read back once, here).
  batch.rows = reward_inputs(rollout, prompt_rows);
  batch.rewards = score_rewards(rewards_, batch.rows, reward_error_policy_, c10::str("step ", step + 1));
  const auto prompt_lengths = rollout.prompt_mask.sum(1).cpu();
  for (int64_t r = 0; r < n; ++r) {
    batch.completion_lengths.push_back(static_cast<int64_t>(batch.rows[static_cast<size_t>(r)].completion_ids.size()));
    batch.prompt_lengths.push_back(prompt_lengths[r].item<int64_t>());
  }

  // 3. Group-relative advantages (DeepSeekMath sec. 4.1.2); none without rewards (distillation only).
  //    Distributed, over every rank's rows (gathered in rank order, which is the batch's order),
  //    keeping this rank's advantages.
  const auto device = policy().device();
  const auto gather_rows = [&](const torch::Tensor& rows) {
    return world ? torch::cat(world->all_gather(rows.to(device))).to(torch::kCPU) : rows;
  };
  if (rewards_.empty()) {
    batch.advantages = no_reward_advantages(n);
  } else {
    batch.advantages = compute_advantages(gather_rows(batch.rewards.rewards_per_func), reward_weights_,
                                          AdvantageOptions(g).scale_rewards(c.scale_rewards()));
    if (world) {
      batch.advantages.advantages = batch.advantages.advantages.narrow(0, rank() * n, n).clone();
      batch.advantages.rewards = batch.advantages.rewards.narrow(0, rank() * n, n).clone();
    }
  }
  batch.device_advantages = batch.advantages.advantages.to(rollout.completion_ids.device(), torch::kFloat32);

  // 4. Tokens in the loss (optionally without truncated completions), reference and old logprobs,
  //    and with a teacher the per-token distillation advantages.
  batch.loss_mask = rollout.completion_mask.to(torch::kFloat32);
  if (c.mask_truncated_completions()) {
    batch.loss_mask = batch.loss_mask * (~rollout.truncated).to(torch::kFloat32).unsqueeze(1);
  }
  // This rank's rows, completion tokens, tokens in the loss, truncated rows, reward errors and
  // longest completion: one [1, 6] row per rank, summed over the ranks (the longest: maximum).
  std::vector<double> own = {static_cast<double>(n), 0, 0, 0, static_cast<double>(batch.rewards.errors), 0};
  for (int64_t r = 0; r < n; ++r) {
    const bool truncated = batch.rows[static_cast<size_t>(r)].truncated;
    const auto length = static_cast<double>(batch.completion_lengths[static_cast<size_t>(r)]);
    own[1] += length;
    own[2] += c.mask_truncated_completions() && truncated ? 0.0 : length;
    own[3] += truncated ? 1.0 : 0.0;
    own[5] = std::max(own[5], length);
  }
  const auto per_rank = gather_rows(torch::tensor(own, torch::kFloat64).unsqueeze(0));
  const auto sums = per_rank.sum(0);
  const auto* total = sums.data_ptr<double>();
  batch.totals.rows = total[0];
  batch.totals.completion_tokens = total[1];
  batch.totals.truncated = total[3];
  batch.totals.reward_errors = total[4];
  batch.totals.longest = per_rank.select(1, 5).max().item<double>();
  batch.num_items = total[2] / static_cast<double>(world_size());
  const int64_t micro = c.per_device_train_batch_size();
  const auto options = LogprobOptions().temperature(c.temperature());
  auto score_all = [&](Policy& scorer) {
    std::vector<torch::Tensor> parts;
    for (int64_t begin = 0; begin < n; begin += micro) {
      const int64_t rows = std::min(micro, n - begin);
      parts.push_back(scorer
                          .logprobs(rollout.prompt_ids.narrow(0, begin, rows), rollout.prompt_mask.narrow(0, begin, rows),
                                    rollout.completion_ids.narrow(0, begin, rows),
                                    rollout.completion_mask.narrow(0, begin, rows), options)
                          .logprobs);
    }
    return torch::cat(parts);
  };
  {
    torch::NoGradGuard no_grad;
    if (reference_) batch.ref_logprobs = score_all(*reference_);
    torch::Tensor student;  // the sampling policy's, scored by the same forward as the teacher's
    if (c.num_iterations() > 1 || teacher_) student = score_all(policy());
    if (c.num_iterations() > 1) batch.old_logprobs = student;
    if (teacher_) {
      // GKD with on-policy samples: A_{i,t} = log p_teacher - log p_student (+ w * A_i).
      batch.teacher_logprobs = score_all(*teacher_);
      const auto mask = rollout.completion_mask.to(torch::kFloat32);
      auto kl_parts = torch::stack({((student - batch.teacher_logprobs) * mask).sum(), mask.sum()});
      if (world) world->all_reduce_sum(kl_parts);
      batch.reverse_kl = kl_parts[0] / kl_parts[1].clamp_min(1.0);
      batch.device_advantages = (batch.teacher_logprobs - student) * mask +
                                distillation_.reward_weight() * batch.device_advantages.unsqueeze(1) * mask;
    }
  }
  return batch;
}

UpdateStats GrpoTrainer::optimize(const ScoredBatch& batch) {
  const auto& c = config_;
  const auto& rollout = batch.rollout;
  const int64_t n = rollout.num_rows(), micro = c.per_device_train_batch_size();
  const auto start = Clock::now();
  const auto log_options = LogprobOptions().temperature(c.temperature());
  const auto rows_of = [&](const torch::Tensor& t, int64_t begin) { return t.narrow(0, begin, std::min(micro, n - begin)); };
  const auto device_options = torch::TensorOptions().device(rollout.completion_ids.device()).dtype(torch::kFloat32);

  UpdateStats out;
  double tokens_per_pass = 0;
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    tokens_per_pass += static_cast<double>(batch.prompt_lengths[r] + batch.completion_lengths[r]);
  }
  // Sums over the step's micro-batches, kept on the device: loss, kl, ratio, clip low, high,
  // region (means per micro-batch), then entropy over tokens and the token count (first update).
  enum Sum { kLoss, kKl, kRatio, kLow, kHigh, kRegion, kEntropy, kEntropyTokens, kSums };
  auto sums = torch::zeros({kSums}, device_options);
  int64_t micro_batches = 0;
  for (int64_t it = 0; it < c.num_iterations(); ++it) {
    const int64_t update = global_step() * c.num_iterations() + it;
    out.learning_rate = begin_update(update, c.max_steps() * c.num_iterations());
    auto update_loss = torch::zeros({}, device_options);
    for (int64_t begin = 0; begin < n; begin += micro) {
      const auto scored = policy().logprobs(rows_of(rollout.prompt_ids, begin), rows_of(rollout.prompt_mask, begin),
                                            rows_of(rollout.completion_ids, begin),
                                            rows_of(rollout.completion_mask, begin),
                                            LogprobOptions(log_options).with_entropy(it == 0));
      GrpoLossInputs in;
      in.logprobs = scored.logprobs;
      if (batch.old_logprobs.defined()) in.old_logprobs = rows_of(batch.old_logprobs, begin);
      if (batch.ref_logprobs.defined()) in.ref_logprobs = rows_of(batch.ref_logprobs, begin);
      in.advantages = rows_of(batch.device_advantages, begin);
      in.completion_mask = rows_of(batch.loss_mask, begin);
      in.num_items_in_batch = std::max(batch.num_items, 1.0);
      in.gradient_accumulation_steps = c.gradient_accumulation_steps();
      const auto loss = loss_(in);
      loss.loss.backward();
      const auto value = loss.loss.detach().to(torch::kFloat32);
      update_loss += value;
      auto entropy = torch::zeros({2}, device_options);
      if (it == 0) {
        const auto m = rows_of(rollout.completion_mask, begin).to(torch::kFloat32);
        entropy = torch::stack({(scored.entropy * m).sum(), m.sum()});
      }
      sums += torch::cat({torch::stack({value, loss.kl_mean, loss.ratio_mean, loss.clip_ratio_low_mean,
                                        loss.clip_ratio_high_mean, loss.clip_ratio_region_mean})
                              .to(torch::kFloat32),
                          entropy});
      ++micro_batches;
    }
    out.trained_tokens += tokens_per_pass;
    const auto grad_norm = clip_gradients();
    out.allreduce_seconds += last_allreduce_seconds();
    // The update's loss and the running sums, averaged over the ranks (entropy as a token
    // sum and count); the gradient norm is the same on every rank after the all-reduce.
    auto reduced = torch::cat({update_loss.unsqueeze(0), sums});
    if (auto* world = process_group()) {
      world->all_reduce_sum(reduced);
      reduced = reduced / static_cast<float>(world_size());
    }
    // The one read of the device per update: the update's loss and gradient norm, checked
    // before the optimizer touches the parameters, and the running sums.
    const auto host = torch::cat({reduced.narrow(0, 0, 1), grad_norm.to(torch::kFloat32).unsqueeze(0),
                                  reduced.narrow(0, 1, kSums)})
                          .to(torch::kCPU, torch::kFloat64);
    const auto* v = host.data_ptr<double>();
    const double* sum = v + 2;
    const double m = static_cast<double>(micro_batches);
    TORCH_CHECK(std::isfinite(v[0]) && std::isfinite(v[1]), "step ", global_step() + 1, ": loss is ", v[0],
                ", gradient norm ", v[1], " (kl ", sum[kKl] / m, ", ratio mean ", sum[kRatio] / m, ", reward mean ",
                batch.advantages.reward_mean.item<double>(), ")", nonfinite_scoring(batch),
                "; stopping before the update");
    finish_update();
    out.loss += v[0] / static_cast<double>(c.num_iterations());
    out.grad_norm = v[1];
    out.kl = sum[kKl] / m;
    out.clip_ratio_low = sum[kLow] / m;
    out.clip_ratio_high = sum[kHigh] / m;
    out.clip_ratio_region = sum[kRegion] / m;
    out.entropy = sum[kEntropyTokens] > 0 ? sum[kEntropy] / sum[kEntropyTokens] : 0.0;
  }
  out.seconds = seconds_since(start);
  return out;
}

StepStats GrpoTrainer::log_step(const ScoredBatch& batch, const UpdateStats& update, double step_seconds) {
  count_step();
  const auto& adv = batch.advantages;
  StepStats stats;
  stats.step = global_step();
  stats.loss = update.loss;
  stats.reward = adv.reward_mean.item<double>();
  stats.reward_std = adv.reward_std.item<double>();
  stats.frac_reward_zero_std = adv.frac_reward_zero_std.item<double>();
  for (size_t k = 0; k < rewards_.size(); ++k) {
    stats.reward_means[rewards_[k]->name()] = adv.reward_mean_per_func[static_cast<int64_t>(k)].item<double>();
    stats.reward_stds[rewards_[k]->name()] = adv.reward_std_per_func[static_cast<int64_t>(k)].item<double>();
  }
  stats.reward_errors = static_cast<int64_t>(batch.totals.reward_errors);
  stats.kl = update.kl;
  stats.entropy = update.entropy;
  stats.clip_ratio_low = update.clip_ratio_low;
  stats.clip_ratio_high = update.clip_ratio_high;
  stats.clip_ratio_region = update.clip_ratio_region;
  const auto& totals = batch.totals;
  stats.completion_length_mean = totals.completion_tokens / totals.rows;
  stats.completion_length_max = totals.longest;
  stats.clipped_ratio = totals.truncated / totals.rows;
  stats.learning_rate = update.learning_rate;
  stats.grad_norm = update.grad_norm;
  stats.sampling_tokens_per_second = totals.completion_tokens / std::max(batch.sampling_seconds, 1e-9);
  stats.training_tokens_per_second =
      update.trained_tokens * static_cast<double>(world_size()) / std::max(update.seconds, 1e-9);
  stats.step_seconds = step_seconds;
  if (process_group() != nullptr) stats.allreduce_seconds = update.allreduce_seconds;
  if (batch.reverse_kl.defined()) stats.reverse_kl = batch.reverse_kl.item<double>();

  const auto& dir = config_.output_dir();
  log_metrics(stats.to_json());
  if (config_.log_completions_steps() > 0 && stats.step % config_.log_completions_steps() == 0) {
    // This rank's JSON lines and table rows; distributed, every rank's, gathered in rank order
    // (one all-gather: lines, a NUL, then rows; JSON text holds neither raw newlines nor NULs).
    std::string lines = sample_lines(batch, rewards_, stats.step);
    std::string table = completions_markdown_rows(batch, rewards_);
    if (auto* world = process_group()) {
      const auto parts = world->all_gather_bytes(lines + std::string(1, '\0') + table);
      lines.clear();
      table.clear();
      for (const auto& part : parts) {
        const auto split = part.find('\0');
        lines += part.substr(0, split);
        table += part.substr(split + 1);
      }
    }
    if (is_main_process()) {
      std::istringstream in(lines);
      for (std::string line; std::getline(in, line);) append_line(dir + "/samples.jsonl", line);
      report_text("completions", completions_markdown_header(rewards_) + table);
    }
  }
  return stats;
}

StepStats GrpoTrainer::step() {
  const auto start = Clock::now();
  const auto batch = generate_and_score();
  const auto update = optimize(batch);
  return log_step(batch, update, seconds_since(start));
}

std::string GrpoTrainer::train_step() {
  const auto stats = step();
  std::ostringstream line;
  line << std::fixed << std::setprecision(3);
  if (!rewards_.empty()) line << "reward " << stats.reward << " ± " << stats.reward_std;
  for (const auto& [name, mean] : stats.reward_means) line << " | " << name << " " << mean;
  if (stats.reverse_kl) line << (rewards_.empty() ? "" : " | ") << "reverse_kl " << *stats.reverse_kl;
  line << " | kl " << stats.kl << " | len " << std::setprecision(1) << stats.completion_length_mean;
  return line.str();
}

void GrpoTrainer::after_step() {
  if (!eval_dataset_ || config_.eval_steps() == 0 || global_step() % config_.eval_steps() != 0) return;
  const auto result = evaluate(policy(), *eval_dataset_, *eval_correctness_, eval_options_);
  if (!is_main_process()) return;
  append_line(config_.output_dir() + "/eval.jsonl",
              "{\"step\": " + std::to_string(global_step()) + ", \"eval\": " + result.to_json() + "}");
  report_scalars("eval/", result.to_json());
  log::info(c10::str("eval at step ", global_step(), ": greedy ", result.greedy_accuracy, ", pass@1 ", result.pass_at_1));
}

void GrpoTrainer::save_extra_files(const std::string& dir) const {
  if (reference_) reference_->save(dir + "/reference.safetensors");
}

void GrpoTrainer::load_extra_files(const std::string& dir) {
  if (!reference_) return;
  TORCH_CHECK(path_exists(dir + "/reference.safetensors"), "checkpoint '", dir,
              "' has no reference.safetensors, but beta = ", config_.beta(), " needs the reference model");
  reference_->load(dir + "/reference.safetensors");
}

}  // namespace grpo
