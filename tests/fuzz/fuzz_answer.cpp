// libFuzzer target: final-answer extraction and verification never crash, hang or leak, for any
// completion and gold text. The input is split at the first NUL into completion and gold.
#include <grpo/rewards/checkers.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string completion = input.substr(0, split);
  const std::string gold = split == std::string::npos ? "1" : input.substr(split + 1);
  (void)grpo::extract_final_answer(completion);
  (void)grpo::verify_answer(completion, gold);
  (void)grpo::verify_answer("\\boxed{" + completion + "}", gold);
  return 0;
}
