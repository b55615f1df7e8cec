#include <grpo/core/loss.h>

#include <torch/torch.h>

#include <cmath>

namespace grpo {
namespace {

std::string shape_of(const torch::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

void check_like(const torch::Tensor& t, const char* name, const torch::Tensor& logprobs) {
  TORCH_CHECK(t.sizes() == logprobs.sizes(), "GrpoLoss: ", name, " must have the shape of logprobs ",
              shape_of(logprobs), ", got ", shape_of(t));
  TORCH_CHECK(t.scalar_type() == logprobs.scalar_type(), "GrpoLoss: ", name, " must be ",
              logprobs.scalar_type(), " like logprobs, got ", t.scalar_type());
  TORCH_CHECK(t.device() == logprobs.device(), "GrpoLoss: ", name, " is on ", t.device(),
              " but logprobs is on ", logprobs.device());
}

// Mean of x over the active tokens (x is [N, T]) or over rows (x is [N, 1], sequence level).
torch::Tensor batch_mean(const torch::Tensor& x, const torch::Tensor& mask, bool per_sequence) {
  if (per_sequence) return x.mean();
  return (x * mask).sum() / mask.sum().clamp_min(1.0);
}

// Per-row mean of x over active tokens; NaN for a row without any ([N, 1] passes through).
torch::Tensor row_mean(const torch::Tensor& x, const torch::Tensor& mask, bool per_sequence) {
  if (per_sequence) return x.squeeze(1);
  return (x * mask).sum(-1) / mask.sum(-1);
}

// Smallest (or largest) non-NaN element of a 1-D tensor; NaN when all are NaN.
torch::Tensor nan_extreme(const torch::Tensor& x, bool largest) {
  const auto nan = torch::isnan(x);
  const double fill = largest ? -std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::infinity();
  const auto filled = x.masked_fill(nan, fill);
  const auto extreme = largest ? filled.amax() : filled.amin();
  return torch::where(nan.all(), torch::full_like(extreme, std::numeric_limits<double>::quiet_NaN()),
                      extreme);
}

}  // namespace

GrpoLoss::GrpoLoss(GrpoLossOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  TORCH_CHECK(o.epsilon_low() >= 0.0 && o.epsilon_low() < 1.0,
              "GrpoLossOptions: epsilon_low must be in [0, 1), got ", o.epsilon_low());
  TORCH_CHECK(o.epsilon_high() >= 0.0 && std::isfinite(o.epsilon_high()),
              "GrpoLossOptions: epsilon_high must be finite and >= 0, got ", o.epsilon_high());
  TORCH_CHECK(!o.delta().has_value() || (*o.delta() > 1.0 && std::isfinite(*o.delta())),
              "GrpoLossOptions: delta must be finite and > 1 when set, got ",
              o.delta().value_or(0.0));
  TORCH_CHECK(o.beta() >= 0.0 && std::isfinite(o.beta()),
              "GrpoLossOptions: beta must be finite and >= 0, got ", o.beta());
  TORCH_CHECK(o.max_completion_length() >= 1,
              "GrpoLossOptions: max_completion_length must be >= 1, got ", o.max_completion_length());
}

GrpoLossOutput GrpoLoss::operator()(const GrpoLossInputs& in) const {
  const auto& o = options_;
  const auto& logp = in.logprobs;
  TORCH_CHECK(logp.defined() && logp.dim() == 2, "GrpoLoss: logprobs must be [N, T], got ",
              shape_of(logp));
  TORCH_CHECK(torch::isFloatingType(logp.scalar_type()), "GrpoLoss: logprobs must be floating, got ",
              logp.scalar_type());
  const auto n = logp.size(0);
  TORCH_CHECK(in.completion_mask.defined() && in.completion_mask.sizes() == logp.sizes(),
              "GrpoLoss: completion_mask must have the shape of logprobs ", shape_of(logp), ", got ",
              shape_of(in.completion_mask));
  TORCH_CHECK(in.completion_mask.device() == logp.device(), "GrpoLoss: completion_mask is on ",
              in.completion_mask.device(), " but logprobs is on ", logp.device());
  if (in.old_logprobs.defined()) check_like(in.old_logprobs, "old_logprobs", logp);
  const bool use_kl = o.beta() != 0.0;
  if (use_kl) {
    TORCH_CHECK(in.ref_logprobs.defined(), "GrpoLoss: beta = ", o.beta(),
                " > 0 needs ref_logprobs (the reference model's log-probabilities)");
    check_like(in.ref_logprobs, "ref_logprobs", logp);
  }
  const auto& adv_in = in.advantages;
  TORCH_CHECK(adv_in.defined() && ((adv_in.dim() == 1 && adv_in.size(0) == n) ||
                                   (adv_in.dim() == 2 && adv_in.sizes() == logp.sizes())),
              "GrpoLoss: advantages must be [N] = [", n, "] or [N, T], got ", shape_of(adv_in));
  TORCH_CHECK(torch::isFloatingType(adv_in.scalar_type()),
              "GrpoLoss: advantages must be floating, got ", adv_in.scalar_type());
  TORCH_CHECK(adv_in.device() == logp.device(), "GrpoLoss: advantages is on ", adv_in.device(),
              " but logprobs is on ", logp.device());
  TORCH_CHECK(!in.num_items_in_batch.has_value() || *in.num_items_in_batch > 0.0,
              "GrpoLoss: num_items_in_batch must be > 0 when set, got ",
              in.num_items_in_batch.value_or(0.0));
  TORCH_CHECK(in.gradient_accumulation_steps >= 1,
              "GrpoLoss: gradient_accumulation_steps must be >= 1, got ", in.gradient_accumulation_steps);

  const auto mask = in.completion_mask.to(logp.scalar_type());
  const auto adv = (adv_in.dim() == 1 ? adv_in.unsqueeze(1) : adv_in).to(logp.scalar_type());
  const auto old_logp = in.old_logprobs.defined() ? in.old_logprobs : logp.detach();
  const bool per_sequence = o.importance_sampling_level() == ImportanceSamplingLevel::kSequence;

  // Importance ratio: [N, T] per token, [N, 1] per sequence (GSPO eq. 7).
  const auto log_ratio = logp - old_logp;
  const auto log_weight =
      per_sequence ? ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp_min(1.0)).unsqueeze(-1)
                   : log_ratio;
  const auto ratio = log_weight.exp();

  // Clipped surrogate (DeepSeekMath eq. 3), clip-higher (DAPO sec. 3.1), delta cap (INTELLECT-2).
  const auto clipped = ratio.clamp(1.0 - o.epsilon_low(), 1.0 + o.epsilon_high());
  const auto capped = o.delta().has_value() ? ratio.clamp_max(*o.delta()) : ratio;
  auto per_token_loss = -torch::min(capped * adv, clipped * adv);

  // K3 estimator of KL(pi_theta || pi_ref) (DeepSeekMath eq. 4), optionally importance-weighted
  // (DeepSeek-V3.2 sec. 3.1) by the ratio before the delta cap, as TRL does.
  torch::Tensor kl;
  if (use_kl) {
    const auto ref_minus_logp = in.ref_logprobs - logp;
    kl = ref_minus_logp.exp() - ref_minus_logp - 1.0;
    if (o.use_bias_correction_kl()) kl = kl * ratio;
    per_token_loss = per_token_loss + o.beta() * kl;
  }

  const auto masked_sum = per_token_loss * mask;
  torch::Tensor loss;
  const double accumulation = static_cast<double>(in.gradient_accumulation_steps);
  switch (o.loss_type()) {
    case LossType::kGrpo:
      loss = (masked_sum.sum(-1) / mask.sum(-1).clamp_min(1.0)).mean() / accumulation;
      break;
    case LossType::kBnpo:
      loss = masked_sum.sum() / mask.sum().clamp_min(1.0) / accumulation;
      break;
    case LossType::kDrGrpo:
      loss = masked_sum.sum() /
             static_cast<double>(per_token_loss.size(0) * o.max_completion_length()) / accumulation;
      break;
    case LossType::kDapo: {
      const auto normalizer = in.num_items_in_batch.has_value()
                                  ? torch::scalar_tensor(*in.num_items_in_batch, mask.options())
                                  : mask.sum().clamp_min(1.0);
      loss = masked_sum.sum() / normalizer;
      break;
    }
  }

  // Statistics, as TRL logs them (one process).
  torch::NoGradGuard no_grad;
  GrpoLossOutput out;
  out.loss = loss;
  out.kl_mean = use_kl ? batch_mean(kl.detach(), mask, false) : torch::zeros({}, mask.options());
  out.ratio_mean = batch_mean(ratio.detach(), mask, per_sequence);
  const auto capped_d = capped.detach();
  const auto low = ((capped_d < 1.0 - o.epsilon_low()) & (adv < 0)).to(mask.scalar_type());
  const auto high = ((capped_d > 1.0 + o.epsilon_high()) & (adv > 0)).to(mask.scalar_type());
  const auto region = torch::max(low, high);
  // Sequence-level ratios with [N] advantages give one value per completion: average over rows.
  const bool stats_per_sequence = low.size(1) == 1 && per_sequence;
  out.clip_ratio_low_mean = batch_mean(low, mask, stats_per_sequence);
  out.clip_ratio_high_mean = batch_mean(high, mask, stats_per_sequence);
  out.clip_ratio_region_mean = batch_mean(region, mask, stats_per_sequence);
  out.clip_ratio_low_min = nan_extreme(row_mean(low, mask, stats_per_sequence), /*largest=*/false);
  out.clip_ratio_high_max = nan_extreme(row_mean(high, mask, stats_per_sequence), /*largest=*/true);
  return out;
}

}  // namespace grpo
