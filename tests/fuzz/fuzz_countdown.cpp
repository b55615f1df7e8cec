// libFuzzer target: the countdown expression parser never crashes, hangs or overflows (UBSan).
#include <grpo/rewards/checkers.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string expression(reinterpret_cast<const char*>(data), size);
  (void)grpo::countdown_solves(expression, {1, 2, 3, 4}, 24);
  (void)grpo::countdown_solves(expression, {}, 0);
  return 0;
}
