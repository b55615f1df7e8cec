// libFuzzer target: dataset rows as JSON Lines (`--data` of train, eval and sft). The input is
// written to a file and read as a prompt dataset and as SFT examples: each either loads or
// fails with c10::Error naming the file, never a crash or sanitizer report.
#include <grpo/data/dataset.h>

#include "fuzz_files.h"

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = grpo::fuzz::work_dir("fuzz_dataset") + "/rows.jsonl";
  grpo::fuzz::write_file(path, data, size);
  try {
    const auto dataset = grpo::PromptDataset::from_jsonl(path);
    if (dataset.size() < 1) __builtin_trap();  // an empty file is an error, not an empty dataset
  } catch (const c10::Error& e) {
    if (std::strstr(e.what(), path.c_str()) == nullptr) __builtin_trap();  // the message names the file
  }
  try {
    grpo::read_sft_jsonl(path);
  } catch (const c10::Error& e) {
    if (std::strstr(e.what(), path.c_str()) == nullptr) __builtin_trap();
  }
  return 0;
}
