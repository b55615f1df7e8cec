// libFuzzer target: dataset rows as JSON Lines (`--data` of train, eval and sft). The input is
// written to a file and read as a prompt dataset and as SFT examples: each either loads or
// fails with c10::Error naming the file, never a crash or sanitizer report.
#include <grpo/data/dataset.h>

#include <c10/util/Exception.h>

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

namespace {

const std::string& input_path() {
  static const std::string path = [] {
    char name[] = "/tmp/fuzz_dataset.XXXXXX";
    if (::mkdtemp(name) == nullptr) __builtin_trap();
    return std::string(name) + "/rows.jsonl";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& path = input_path();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
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
