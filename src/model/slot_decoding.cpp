#include "model/slot_decoding.h"

#include "model/decode_graph.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

namespace grpo::detail {
namespace {

/// A generator and the rows whose draws come from it: each step draws [rows, V] from it, and
/// the draw of rows[i] goes to slot slots[i] (the scratch row S once that row has left).
struct NoiseSource {
  at::Generator generator;
  std::vector<int64_t> rows;
  torch::Tensor slots;  // [rows] int64, on the device
};

class SlotDecoder {
 public:
  SlotDecoder(TransformerImpl& model, const Tokenizer& tokenizer, DecodingInputs inputs, const SamplingOptions& options)
      : model_(model),
        options_(options),
        in_(std::move(inputs)),
        device_(in_.prompt_ids.device()),
        long_(torch::TensorOptions().dtype(torch::kLong).device(device_)),
        num_prompts_(in_.prompt_ids.size(0)),
        group_(options.num_generations()),
        rows_(num_prompts_ * group_),
        prompt_width_(in_.prompt_ids.size(1)),
        max_new_(options.max_new_tokens()),
        out_(rows_ + 1, max_new_ + 1, in_.pad_id, device_),
        ended_rows_(static_cast<size_t>(rows_), 0),
        row_checked_(static_cast<size_t>(rows_), 0) {
    graphs_ = options.cuda_graphs() && device_.is_cuda();
    TORCH_CHECK(!graphs_ || DecodeGraph::available(),
                "Policy::generate: cuda_graphs needs a build of grpo against a CUDA LibTorch");
    if (!options.stop_strings().empty()) matcher_.emplace(tokenizer, options.stop_strings(), in_.eos_ids, rows_);
    if (!in_.eos_ids.empty()) eos_ids_ = torch::tensor(in_.eos_ids, torch::kLong).to(device_);
    const auto limit = options.max_decode_rows();
    allocate(limit > 0 && limit < rows_ ? limit / group_ * group_ : rows_);
    if (in_.generators.size() == 1 && slots_ < rows_) {
      // Rows admitted later must not draw what the rows before them would have: one generator
      // per prompt, seeded from `seed`.
      auto seeds = at::detail::createCPUGenerator(options.seed());
      auto* seeder = at::check_generator<at::CPUGeneratorImpl>(seeds);
      std::vector<at::Generator> generators;
      for (int64_t b = 0; b < num_prompts_; ++b) generators.push_back(make_generator(device_, seeder->random64()));
      in_.generators = std::move(generators);
    }
    if (in_.generators.size() == 1) {
      NoiseSource all{in_.generators[0], {}, {}};
      for (int64_t r = 0; r < rows_; ++r) all.rows.push_back(r);
      sources_.push_back(std::move(all));
    }
  }

  DecodedRows run() {
    const int64_t interval = look_interval(options_, device_);
    admit_waiting();
    for (int64_t steps = 1;; ++steps) {
      if (graph_ != nullptr) {
        graph_->replay();
      } else if (graphs_ && warmed_up_) {
        std::vector<at::Generator> generators;
        for (const auto& source : sources_) generators.push_back(source.generator);
        graph_ = std::make_unique<DecodeGraph>([this] { step(); }, generators, device_);
        graph_->replay();
      } else {
        step();
        warmed_up_ = true;
      }
      bool at_end = false;  // a row sampled its last column: look now, to free its slot
      for (int64_t s = 0; s < slots_; ++s) {
        if (slot_row_[static_cast<size_t>(s)] < 0) continue;
        at_end |= ++slot_column_[static_cast<size_t>(s)] == max_new_;
      }
      if (steps % interval != 0 && !at_end) continue;
      look();
      bool changed = admit_waiting();
      const auto occupied = static_cast<int64_t>(occupied_slots().size());
      if (occupied == 0 && next_prompt_ == num_prompts_) break;
      if (options_.compact_finished_rows() && next_prompt_ == num_prompts_ && occupied <= slots_ / 2) {
        compact();
        changed = true;
      }
      if (changed) {
        graph_.reset();
        warmed_up_ = false;
      }
    }
    graph_.reset();
    CompletionBuffers out = out_;
    out.ids = out.ids.narrow(0, 0, rows_).narrow(1, 0, max_new_);
    out.mask = out.mask.narrow(0, 0, rows_).narrow(1, 0, max_new_);
    out.logprobs = out.logprobs.narrow(0, 0, rows_).narrow(1, 0, max_new_);
    return {out, ended_rows_};
  }

 private:
  // The slot buffers for `slots` slots; every slot starts free (done, writing to the scratch row).
  void allocate(int64_t slots) {
    slots_ = slots;
    cache_ = model_.new_cache(slots, prompt_width_ + max_new_, in_.cache_dtype);
    attention_mask_ = torch::zeros({slots, prompt_width_ + max_new_}, long_);
    positions_ = torch::zeros({slots, 1}, long_);
    column_ = torch::zeros({slots}, long_);
    slot_rows_ = torch::full({slots}, rows_, long_);
    done_ = torch::ones({slots}, long_.dtype(torch::kBool));
    ended_ = torch::zeros({slots}, long_.dtype(torch::kBool));
    tokens_ = torch::full({slots}, in_.pad_id, long_);
    noise_ = torch::empty({slots + 1, in_.vocab}, long_.dtype(torch::kFloat));
    slot_row_.assign(static_cast<size_t>(slots), -1);
    slot_column_.assign(static_cast<size_t>(slots), 0);
  }

  std::vector<int64_t> occupied_slots() const {
    std::vector<int64_t> out;
    for (int64_t s = 0; s < slots_; ++s) {
      if (slot_row_[static_cast<size_t>(s)] >= 0) out.push_back(s);
    }
    return out;
  }

  // One decoding step on the device, with fixed shapes and no read of the device: samples each
  // slot's next column from its logits, then feeds the sampled tokens to get the next logits.
  void step() {
    for (auto& source : sources_) {
      auto draws = torch::empty({static_cast<int64_t>(source.rows.size()), in_.vocab}, noise_.options());
      draws.exponential_(1.0, source.generator);
      noise_.index_copy_(0, source.slots, draws);
    }
    const auto sampled = draw(logits_, noise_.narrow(0, 0, slots_), options_);
    tokens_.copy_(sampled.tokens.masked_fill(done_, in_.pad_id));
    const auto column = column_.clamp_max(max_new_);  // a finished slot writes to the scratch column
    out_.ids.index_put_({slot_rows_, column}, tokens_);
    out_.logprobs.index_put_({slot_rows_, column}, sampled.logprobs.masked_fill(done_, 0));
    out_.mask.index_put_({slot_rows_, column}, done_.logical_not().to(torch::kLong));
    if (eos_ids_.defined()) {
      const auto hit = torch::isin(tokens_, eos_ids_).logical_and_(done_.logical_not());
      ended_.logical_or_(hit);
      done_.logical_or_(hit);
    }
    column_.add_(1);
    done_.logical_or_(column_.ge(max_new_));
    // The token of output column c goes to cache column P + c (clamped for finished slots).
    cache_.write_position = (column_ - 1).clamp_max_(max_new_ - 1).add_(prompt_width_);
    attention_mask_.scatter_(1, cache_.write_position.unsqueeze(1), 1);
    const auto hidden = model_.hidden_states(tokens_.unsqueeze(1), attention_mask_, positions_, &cache_);
    logits_.copy_(model_.logits(hidden.select(1, 0)).narrow(-1, 0, in_.vocab));
    positions_.add_(1);
  }

  // Admits as many waiting prompts as free slots hold, whole and in order: prefills them, copies
  // each prompt's cache and last logits into its G slots and resets the slots' state. Returns
  // whether any was admitted.
  bool admit_waiting() {
    std::vector<int64_t> free;
    for (int64_t s = 0; s < slots_; ++s) {
      if (slot_row_[static_cast<size_t>(s)] < 0) free.push_back(s);
    }
    const int64_t count = std::min(static_cast<int64_t>(free.size()) / group_, num_prompts_ - next_prompt_);
    if (count == 0) return false;
    const auto prompts = torch::arange(next_prompt_, next_prompt_ + count, long_);
    const auto ids = in_.prompt_ids.index_select(0, prompts);
    const auto mask = in_.prompt_mask.index_select(0, prompts);
    auto prompt_cache = model_.new_cache(count, prompt_width_, in_.cache_dtype);
    const auto last = model_.hidden_states(ids, mask, {}, &prompt_cache).select(1, prompt_width_ - 1);
    const auto logits = model_.logits(last).narrow(-1, 0, in_.vocab);
    if (!logits_.defined()) logits_ = torch::empty({slots_, in_.vocab}, logits.options());

    std::vector<int64_t> slots, rows, sources;
    for (int64_t j = 0; j < count; ++j) {
      const int64_t prompt = next_prompt_ + j;
      for (int64_t k = 0; k < group_; ++k) {
        const int64_t slot = free[static_cast<size_t>(j * group_ + k)], row = prompt * group_ + k;
        slots.push_back(slot);
        rows.push_back(row);
        sources.push_back(j);
        slot_row_[static_cast<size_t>(slot)] = row;
        slot_column_[static_cast<size_t>(slot)] = 0;
      }
      if (in_.generators.size() > 1) {  // the prompt's own generator draws for its G rows
        sources_.push_back({in_.generators[static_cast<size_t>(prompt)],
                            std::vector<int64_t>(rows.end() - group_, rows.end()), {}});
      }
    }
    next_prompt_ += count;
    const auto slot_index = torch::tensor(slots, torch::kLong).to(device_);
    const auto source_index = torch::tensor(sources, torch::kLong).to(device_);
    for (size_t l = 0; l < cache_.keys.size(); ++l) {
      for (auto* pair : {&cache_.keys, &cache_.values}) {
        auto& buffer = (*pair)[l];
        const auto& prompt = pair == &cache_.keys ? prompt_cache.keys[l] : prompt_cache.values[l];
        buffer.narrow(2, 0, prompt_width_).index_copy_(0, slot_index, prompt.index_select(0, source_index));
        buffer.narrow(2, prompt_width_, max_new_).index_fill_(0, slot_index, 0);
      }
    }
    const auto slot_mask = mask.index_select(0, source_index);
    attention_mask_.index_copy_(0, slot_index, torch::cat({slot_mask, torch::zeros({slot_index.size(0), max_new_}, long_)}, 1));
    positions_.index_copy_(0, slot_index, slot_mask.sum(1, /*keepdim=*/true));
    column_.index_fill_(0, slot_index, 0);
    done_.index_fill_(0, slot_index, false);
    ended_.index_fill_(0, slot_index, false);
    slot_rows_.index_copy_(0, slot_index, torch::tensor(rows, torch::kLong).to(device_));
    logits_.index_copy_(0, slot_index, logits.index_select(0, source_index));
    route_noise();
    return true;
  }

  // Points every noise source's rows at their slots (the scratch row S for rows that left), and
  // drops the sources whose rows have all left.
  void route_noise() {
    std::vector<int64_t> row_slot(static_cast<size_t>(rows_), -1);  // -1: waiting or left
    for (int64_t s = 0; s < slots_; ++s) {
      if (slot_row_[static_cast<size_t>(s)] >= 0) row_slot[static_cast<size_t>(slot_row_[static_cast<size_t>(s)])] = s;
    }
    std::vector<NoiseSource> kept;
    for (auto& source : sources_) {
      std::vector<int64_t> slots;
      bool any = false;
      for (const auto row : source.rows) {
        const auto slot = row_slot[static_cast<size_t>(row)];
        any |= slot >= 0;
        slots.push_back(slot >= 0 ? slot : slots_);
      }
      if (!any) continue;
      source.slots = torch::tensor(slots, torch::kLong).to(device_);
      kept.push_back(std::move(source));
    }
    sources_ = std::move(kept);
  }

  // The one read of the device at a look: which slots are done and which ended on EOS (with
  // stop strings, also the columns sampled since the last look, matched on the host). Rows that
  // are done leave their slots; a row that completed a stop string before its last sampled
  // column has the columns after it cleared, as if it had stopped there.
  void look() {
    const auto occupied = occupied_slots();
    int64_t low = max_new_, high = 0;
    for (const auto s : occupied) {
      const auto row = slot_row_[static_cast<size_t>(s)];
      low = std::min(low, row_checked_[static_cast<size_t>(row)]);
      high = std::max(high, std::min(slot_column_[static_cast<size_t>(s)], max_new_));
    }
    const int64_t width = matcher_ && high > low ? high - low : 0;
    std::vector<torch::Tensor> parts = {done_.to(torch::kLong), ended_.to(torch::kLong)};
    if (width > 0) parts.push_back(out_.ids.index_select(0, slot_rows_).narrow(1, low, width).flatten());
    const auto host = torch::cat(parts).to(torch::kCPU).contiguous();
    const auto* read = host.data_ptr<int64_t>();
    const auto* block = read + 2 * slots_;

    std::vector<int64_t> stopped;
    std::vector<int64_t> cut(static_cast<size_t>(rows_ + 1), max_new_ + 1);
    bool late = false;
    for (const auto s : occupied) {
      const auto row = slot_row_[static_cast<size_t>(s)];
      const auto sampled = std::min(slot_column_[static_cast<size_t>(s)], max_new_);
      bool stop = false;
      if (matcher_) {
        for (auto c = row_checked_[static_cast<size_t>(row)]; c < sampled && !stop; ++c) {
          stop = matcher_->feed(row, block[s * width + c - low]);
          if (stop && c + 1 < sampled) {
            cut[static_cast<size_t>(row)] = c + 1;
            late = true;
          }
        }
        row_checked_[static_cast<size_t>(row)] = sampled;
      }
      if (!stop && read[s] == 0) continue;
      ended_rows_[static_cast<size_t>(row)] = stop || read[slots_ + s] != 0;
      if (read[s] == 0) stopped.push_back(s);
      slot_row_[static_cast<size_t>(s)] = -1;
    }
    if (!stopped.empty()) done_.index_fill_(0, torch::tensor(stopped, torch::kLong).to(device_), true);
    if (late) out_.clear_from(cut, in_.pad_id);
  }

  // When no prompt waits and at most half the slots are occupied: the occupied slots become the
  // whole batch (their buffers gathered), so that finished rows stop costing a forward.
  void compact() {
    const auto keep = occupied_slots();
    const auto index = torch::tensor(keep, torch::kLong).to(device_);
    keep_cache_rows(cache_, index);
    attention_mask_ = attention_mask_.index_select(0, index);
    positions_ = positions_.index_select(0, index);
    column_ = column_.index_select(0, index);
    slot_rows_ = slot_rows_.index_select(0, index);
    done_ = done_.index_select(0, index);
    ended_ = ended_.index_select(0, index);
    tokens_ = tokens_.index_select(0, index);
    logits_ = logits_.index_select(0, index);
    std::vector<int64_t> slot_row, slot_column;
    for (const auto s : keep) {
      slot_row.push_back(slot_row_[static_cast<size_t>(s)]);
      slot_column.push_back(slot_column_[static_cast<size_t>(s)]);
    }
    slots_ = static_cast<int64_t>(keep.size());
    slot_row_ = std::move(slot_row);
    slot_column_ = std::move(slot_column);
    noise_ = torch::empty({slots_ + 1, in_.vocab}, noise_.options());
    route_noise();
  }

  TransformerImpl& model_;
  const SamplingOptions& options_;
  DecodingInputs in_;
  torch::Device device_;
  torch::TensorOptions long_;
  int64_t num_prompts_, group_, rows_, prompt_width_, max_new_;
  bool graphs_ = false;
  std::optional<StopMatcher> matcher_;
  torch::Tensor eos_ids_;  // [E] int64; undefined without EOS ids

  // Outputs, [N + 1, max_new + 1]: row N and column max_new take the writes of free and finished slots.
  CompletionBuffers out_;
  std::vector<char> ended_rows_;      // [N]
  std::vector<int64_t> row_checked_;  // [N] columns matched on the host
  int64_t next_prompt_ = 0;           // prompts before it have been admitted

  // The S slots. Device: KV cache [S, Hkv, P + max_new, Dh], attention mask [S, P + max_new],
  // positions [S, 1], next output column [S], original row [S] (N when free), done and ended
  // [S] bool, last tokens [S], logits [S, V], noise [S + 1, V] (row S: scratch).
  int64_t slots_ = 0;
  KVCache cache_;
  torch::Tensor attention_mask_, positions_, column_, slot_rows_, done_, ended_, tokens_, logits_, noise_;
  std::vector<int64_t> slot_row_;     // [S] host: the slot's row, -1 when free
  std::vector<int64_t> slot_column_;  // [S] host: columns the slot's row has sampled
  std::vector<NoiseSource> sources_;

  std::unique_ptr<DecodeGraph> graph_;
  bool warmed_up_ = false;
};

}  // namespace

DecodedRows decode_in_slots(TransformerImpl& model, const Tokenizer& tokenizer, DecodingInputs inputs,
                            const SamplingOptions& options) {
  return SlotDecoder(model, tokenizer, std::move(inputs), options).run();
}

}  // namespace grpo::detail
