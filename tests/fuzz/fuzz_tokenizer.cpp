// libFuzzer target: a model directory's tokenizer.json (BpeTokenizer, the `tokenizers` format).
// The input is written as the file and loaded: it is accepted or rejected with c10::Error naming
// the file, never a crash (ASan, UBSan). An accepted tokenizer then encodes fixed texts and the
// input's own bytes (valid and invalid UTF-8) and decodes the ids, which must lie in
// [0, vocab_size()), and decodes every id below vocab_size() + 2 without crashing.
#include <grpo/tokenizer/bpe_tokenizer.h>

#include "fuzz_files.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = grpo::fuzz::work_dir("fuzz_tokenizer") + "/tokenizer.json";
  grpo::fuzz::write_file(path, data, size);
  try {
    const grpo::BpeTokenizer tokenizer(path);
    const std::vector<std::string> texts = {"hello world", " <|end|>he\xff\xfe llo", "\xc3\xa9\xe2\x80\x8b 12+3=",
                                            std::string(reinterpret_cast<const char*>(data), std::min<size_t>(size, 256))};
    const int64_t vocab = tokenizer.vocab_size();
    for (const auto& text : texts) {
      try {
        for (const auto special : {false, true}) {
          const auto ids = tokenizer.encode(text, special);
          for (const auto id : ids) {
            if (id < 0 || id >= vocab) __builtin_trap();
          }
          tokenizer.decode(ids);
          tokenizer.decode(ids, /*skip_special_tokens=*/true);
        }
      } catch (const c10::Error&) {  // a tokenizer may be unable to encode a text (no unk token)
      }
    }
    std::vector<int64_t> ids;
    for (int64_t id = 0; id < std::min<int64_t>(vocab, 4096); ++id) ids.push_back(id);
    try {
      tokenizer.decode(ids);
    } catch (const c10::Error&) {
    }
  } catch (const c10::Error& e) {
    if (std::strstr(e.what(), path.c_str()) == nullptr) __builtin_trap();  // the message names the file
  }
  return 0;
}
