#pragma once
// Reading a built-in reward's parameters (text values) with errors naming the reward and key.

#include <grpo/rewards/reward.h>

#include <cstdint>
#include <set>
#include <string>

namespace grpo::detail {

class ParamReader {
 public:
  ParamReader(std::string reward, const RewardParams& params) : reward_(std::move(reward)), params_(params) {}

  /// Value of `key` as a finite number; `fallback` when absent.
  double number(const std::string& key, double fallback);
  /// Value of `key` as a finite number; an error when absent.
  double required_number(const std::string& key);
  /// Value of `key` as an integer; `fallback` when absent.
  int64_t integer(const std::string& key, int64_t fallback);
  /// Value of `key` as an integer; an error when absent.
  int64_t required_integer(const std::string& key);
  /// Value of `key` as text; `fallback` when absent.
  std::string text(const std::string& key, const std::string& fallback);
  /// Value of `key` as a boolean (true/false/1/0); `fallback` when absent.
  bool boolean(const std::string& key, bool fallback);
  /// Throws naming the first parameter no reader call asked for.
  void finish() const;

  const std::string& reward() const { return reward_; }

 private:
  const std::string* find(const std::string& key);

  std::string reward_;
  const RewardParams& params_;
  std::set<std::string> used_;
};

}  // namespace grpo::detail
