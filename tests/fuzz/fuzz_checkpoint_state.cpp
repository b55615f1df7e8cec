// libFuzzer target: the files a resume reads back from a run directory. The input is written
// as a checkpoint's trainer_state.json (read_trainer_state accepts it only with an integer
// global_step, else c10::Error) and read as a metrics.jsonl cut back to a step taken from the
// first byte (step_log_up_to, the core of truncate_step_log, keeps exactly the lines with an
// integer "step" up to it). Never a crash or sanitizer report.
#include "trainer/checkpoint.h"

#include "fuzz_files.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& dir = grpo::fuzz::work_dir("fuzz_checkpoint_state");
  grpo::fuzz::write_file(dir + "/trainer_state.json", data, size);
  try {
    const auto state = grpo::detail::read_trainer_state(dir, {"trainer_state.json"});
    if (!state.is_object() || !state["global_step"].is_number_integer()) __builtin_trap();
  } catch (const c10::Error&) {
  }
  const int64_t last = size > 0 ? static_cast<int64_t>(data[0] % 8) - 1 : 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto kept = grpo::detail::step_log_up_to(text, last);
  if (grpo::detail::step_log_up_to(kept, last) != kept) __builtin_trap();  // cutting again changes nothing
  std::istringstream lines(kept);
  std::string line;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("step") || !j["step"].is_number_integer() ||
        j["step"].get<int64_t>() > last) {
      __builtin_trap();
    }
  }
  return 0;
}
