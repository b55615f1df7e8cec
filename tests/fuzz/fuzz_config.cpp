// libFuzzer target: the trainers' config JSON (a file given to `grpo train --config` or
// `grpo sft --config`). Any text is read or rejected with c10::Error by GrpoConfig and by
// SftConfig, never a crash (ASan, UBSan); an accepted config writes JSON that reads back to the
// same JSON (one field list reads and writes), and validate() decides without crashing.
#include <grpo/trainer/grpo_config.h>
#include <grpo/trainer/sft_config.h>

#include "trainer/config_json.h"

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>
#include <string>

// SftConfig's JSON reader lives in sft_trainer.cpp with the trainer (LibTorch); instantiate it
// here from the same template instead.
template class grpo::TrainingConfig<grpo::SftConfig>;

namespace {

template <typename Config>
void check(const std::string& text) {
  try {
    const auto config = Config::from_json(text);
    const auto json = config.to_json();
    if (Config::from_json(json).to_json() != json) __builtin_trap();
    config.validate();
  } catch (const c10::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check<grpo::GrpoConfig>(text);
  check<grpo::SftConfig>(text);
  return 0;
}
