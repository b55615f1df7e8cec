// libFuzzer target: the safetensors header parser rejects any byte string with c10::Error and
// never crashes, reads out of bounds (ASan) or overflows (UBSan). The input is a whole file.
#include <grpo/model/safetensors.h>

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto header = grpo::parse_safetensors_header(data, size, "input");
    // Every accepted range must lie inside the input.
    for (const auto& t : header.tensors) {
      if (header.data_offset + t.end > size) __builtin_trap();
    }
  } catch (const c10::Error&) {
  }
  return 0;
}
