// ChatTemplate on hand-written conversations; the expected texts are written out from the
// Qwen2.5 and Llama 3 Jinja templates. chat_parity.py compares with transformers itself.
#include <grpo/tokenizer/chat_template.h>

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using grpo::ChatFormat;
using grpo::ChatMessage;
using grpo::ChatTemplate;
using grpo::ChatTemplateOptions;

const std::vector<ChatMessage> kConversation = {{"user", " What is 2+2? \n"}, {"assistant", "4"}};

TEST(ChatTemplate, ChatMLAddsDefaultSystemOnlyWhenMissing) {
  const ChatTemplate chat(ChatTemplateOptions().default_system("You are helpful."));
  EXPECT_EQ(chat.render(kConversation, /*add_generation_prompt=*/true),
            "<|im_start|>system\nYou are helpful.<|im_end|>\n"
            "<|im_start|>user\n What is 2+2? \n<|im_end|>\n"
            "<|im_start|>assistant\n4<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(chat.render({{"system", "Be brief."}, {"user", "Hi"}}, false),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
}

TEST(ChatTemplate, Llama3StripsContentAndStartsWithBos) {
  const ChatTemplate chat(ChatTemplateOptions().format(ChatFormat::kLlama3));
  EXPECT_EQ(chat.render(kConversation, /*add_generation_prompt=*/true),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // U+3000 IDEOGRAPHIC SPACE is whitespace for Python's str.strip (Jinja's trim).
  EXPECT_EQ(chat.render({{"user", "\xe3\x80\x80x\xe3\x80\x80"}}, false),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|>");
}

TEST(ChatTemplate, CustomFormatFillsPlaceholders) {
  const ChatTemplate chat(ChatTemplateOptions()
                              .format(ChatFormat::kCustom)
                              .message_format("<{role}>{content}</{role}>")
                              .generation_prompt("<assistant>"));
  EXPECT_EQ(chat.render(kConversation, true),
            "<user> What is 2+2? \n</user><assistant>4</assistant><assistant>");
  EXPECT_THROW(ChatTemplate(ChatTemplateOptions().format(ChatFormat::kCustom).message_format("{role}")),
               c10::Error);
}

TEST(ChatTemplate, UnknownRoleIsAnError) {
  EXPECT_THROW(ChatTemplate().render({{"tool", "42"}}, false), c10::Error);
}

std::string write_config(const std::string& name, const std::string& json) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << json;
  return path;
}

TEST(ChatTemplate, TokenizerConfigTemplateIsRenderedWithItsSpecialTokens) {
  // A string template, with the bos_token given as an AddedToken object.
  const auto llama = write_config("llama.json", R"({"bos_token": {"__type": "AddedToken", "content": "<s>"},
      "eos_token": "</s>",
      "chat_template": "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n{{ m['content'] | trim }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"})");
  const auto l3 = ChatTemplate::from_tokenizer_config(llama);
  EXPECT_EQ(l3.options().format(), ChatFormat::kJinja);
  EXPECT_EQ(l3.render({{"user", " hi "}}, true),
            "<s><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");

  // The list form: the template named "default" is used.
  const auto listed = write_config("listed.json", R"({"eos_token": "</s>", "chat_template": [
      {"name": "tool_use", "template": "tools"},
      {"name": "default", "template": "{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"}]})");
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(listed).render({{"user", "a"}, {"assistant", "b"}}, false), "a</s>b</s>");

  // Qwen3-style thinking switch through template kwargs.
  const auto qwen3 = write_config("qwen3.json", R"({"chat_template":
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}{% endif %}"})");
  const auto q3 = ChatTemplate::from_tokenizer_config(qwen3);
  EXPECT_EQ(q3.render_json(R"([{"role": "user", "content": "hi"}])", true, R"({"enable_thinking": false})"),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  EXPECT_EQ(q3.render_json(R"([{"role": "user", "content": "hi"}])", true), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");

  const auto none = write_config("none.json", R"({"eos_token": "</s>"})");
  EXPECT_THROW(ChatTemplate::from_tokenizer_config(none), c10::Error);
  const auto broken = write_config("broken.json", R"({"chat_template": "ok\n{% if x %}never closed"})");
  try {
    ChatTemplate::from_tokenizer_config(broken);
    ADD_FAILURE() << "no error for an unclosed if";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.json:"), std::string::npos) << e.what();
  }
  for (const auto& path : {llama, listed, qwen3, none, broken}) std::remove(path.c_str());
}

}  // namespace
