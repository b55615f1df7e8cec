#pragma once
// The BPE model of tokenizer.json ("model"): vocabulary, merge ranks, unknown token, byte
// fallback, continuing-subword prefix and end-of-word suffix, and the merge loop of
// `tokenizers`' Word::merge_all, with a per-word cache.

#include "tokenizer/json_fields.h"

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace grpo::detail {

/// Per-word cache of BPE results, sharded so that threads rarely wait on one another.
class WordCache {
 public:
  explicit WordCache(size_t capacity) : shard_capacity_((capacity + kShards - 1) / kShards) {}

  bool lookup(const std::string& word, std::vector<int64_t>& out) const {
    if (shard_capacity_ == 0) return false;
    Shard& shard = shards_[std::hash<std::string>{}(word) % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    const auto it = shard.map.find(word);
    if (it == shard.map.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }

  void insert(const std::string& word, const int64_t* ids, size_t count) const {
    if (shard_capacity_ == 0 || word.size() >= kMaxWordBytes) return;
    Shard& shard = shards_[std::hash<std::string>{}(word) % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.map.size() < shard_capacity_) {
      shard.map.emplace(word, std::vector<int32_t>(ids, ids + count));
    }
  }

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxWordBytes = 256;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

/// Merge table: (left id, right id) -> (rank, merged id), open addressing with linear probing
/// (the hottest lookup of encoding).
class MergeTable {
 public:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };

  /// Adds or replaces the merge of (a, b).
  void set(int32_t a, int32_t b, Merge merge) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    Slot& slot = slots_[probe(key(a, b))];
    if (slot.key == kEmpty) ++size_;
    slot = {key(a, b), merge};
  }

  const Merge* find(int32_t a, int32_t b) const {
    if (slots_.empty()) return nullptr;
    const Slot& slot = slots_[probe(key(a, b))];
    return slot.key == kEmpty ? nullptr : &slot.merge;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key = kEmpty;
    Merge merge{0, 0};
  };

  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  size_t probe(uint64_t k) const {
    const size_t mask = slots_.size() - 1;
    size_t i = static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 32) & mask;
    while (slots_[i].key != kEmpty && slots_[i].key != k) i = (i + 1) & mask;
    return i;
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, 2 * old.size()), Slot{});
    for (const Slot& slot : old) {
      if (slot.key != kEmpty) slots_[probe(slot.key)] = slot;
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

/// The BPE model: vocabulary, merge ranks and the merge loop.
class BpeModel {
 public:
  /// The model of `j`, which must be of type BPE (or have no type but merges), without dropout.
  /// `path` names tokenizer.json in errors.
  /// @throws c10::Error for another model type, dropout, an unk_token or merge token outside
  ///   the vocabulary, or a malformed merge.
  static BpeModel from_json(const TokenizerJson& j, const std::string& path);

  /// Sets the number of words whose ids are cached (0: no cache).
  void set_cache_capacity(size_t capacity) { cache_ = std::make_unique<WordCache>(capacity); }

  /// Token -> id.
  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }

  /// Appends the ids of `word` (already in the vocabulary's alphabet) to `out`.
  void tokenize(const std::string& word, std::vector<int64_t>& out) const;

 private:
  using Merge = MergeTable::Merge;

  void load(const TokenizerJson& j, const std::string& path);
  const Merge* find_merge(int32_t a, int32_t b) const { return merges_.find(a, b); }
  void index_small_chars();
  void merge_word(const std::string& word, std::vector<int64_t>& out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  MergeTable merges_;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  std::array<int32_t, 256> byte_fallback_ids_{};
  /// Id of each one-character token below U+0200 (all of the byte-level alphabet), -1 if none;
  /// used when there is no continuing_subword_prefix or end_of_word_suffix.
  std::array<int32_t, 512> small_char_ids_{};
  std::unique_ptr<WordCache> cache_ = std::make_unique<WordCache>(0);
};

}  // namespace grpo::detail
