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

TEST(ChatTemplate, FormatIsDetectedFromTokenizerConfig) {
  // The default system message is read from the template's string literal.
  const auto chatml = write_config("chatml.json", R"({"chat_template":
      "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen.\\nBe kind.<|im_end|>\\n' }}{%- endif %}"})");
  const auto qwen = ChatTemplate::from_tokenizer_config(chatml);
  EXPECT_EQ(qwen.options().format(), ChatFormat::kChatML);
  EXPECT_EQ(qwen.options().default_system(), "You are Qwen.\nBe kind.");

  const auto llama = write_config("llama.json", R"({"bos_token": {"content": "<s>"},
      "chat_template": "{{ '<|start_header_id|>' + message['role'] }}"})");
  const auto l3 = ChatTemplate::from_tokenizer_config(llama);
  EXPECT_EQ(l3.options().format(), ChatFormat::kLlama3);
  EXPECT_EQ(l3.options().bos_token(), "<s>");

  const auto qwen3 = write_config("qwen3.json", R"({"chat_template": "<|im_start|> <think>"})");
  EXPECT_THROW(ChatTemplate::from_tokenizer_config(qwen3), c10::Error);
  const auto none = write_config("none.json", R"({"eos_token": "</s>"})");
  EXPECT_THROW(ChatTemplate::from_tokenizer_config(none), c10::Error);
  for (const auto& path : {chatml, llama, qwen3, none}) std::remove(path.c_str());
}

}  // namespace
