// libFuzzer target: parse_reward_spec ("name" or "name:key=value,...", as given to --reward)
// accepts or rejects any string with c10::Error, never crashes (ASan, UBSan), and what it
// accepts is consistent: the name is the text before the first ':', every key is non-empty.
#include <grpo/trainer/grpo_config.h>

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string spec(reinterpret_cast<const char*>(data), size);
  try {
    const auto parsed = grpo::parse_reward_spec(spec);
    if (parsed.name != spec.substr(0, spec.find(':'))) __builtin_trap();
    for (const auto& [key, value] : parsed.params) {
      if (key.empty() || key.find(',') != std::string::npos || value.find(',') != std::string::npos) __builtin_trap();
    }
    if (spec.find(':') == std::string::npos && !parsed.params.empty()) __builtin_trap();
  } catch (const c10::Error&) {
  }
  return 0;
}
