// libFuzzer target: the Jinja interpreter never crashes, hangs, overflows (UBSan) or exhausts
// memory on any (template, conversation) pair. The input is the template, then a line
// "#####", then the variables as a JSON object; without the line (or with malformed JSON), the
// whole input is the template and a fixed conversation is the context. Limits are small so
// that a hostile template ends in JinjaError quickly.
#include <grpo/tokenizer/jinja.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

const char* const kConversation = R"({"messages": [
  {"role": "system", "content": "Be brief."},
  {"role": "user", "content": [{"type": "text", "text": "Héllo 🎉"}]},
  {"role": "assistant", "content": null, "reasoning_content": "think",
   "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"x": [1, 2.5, true, null]}}}]},
  {"role": "tool", "content": "42", "tool_call_id": "c1"}],
  "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
  "documents": null, "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>",
  "enable_thinking": false})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find("\n#####\n");
  const std::string source = split == std::string::npos ? input : input.substr(0, split);
  const std::string context = split == std::string::npos ? "" : input.substr(split + 7);
  grpo::JinjaLimits limits;
  limits.max_output_bytes = 1 << 20;
  limits.max_loop_iterations = 20000;
  limits.max_depth = 64;
  try {
    const grpo::JinjaTemplate t(source, "fuzz.jinja", limits);
    if (!context.empty()) {
      try {
        (void)t.render(context);
        return 0;
      } catch (const grpo::JinjaError&) {
      }
    }
    (void)t.render(kConversation);
  } catch (const grpo::JinjaError&) {
  }
  return 0;
}
