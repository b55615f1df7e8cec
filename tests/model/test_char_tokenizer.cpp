#include <grpo/tokenizer/char_tokenizer.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using grpo::CharTokenizer;
using grpo::CharTokenizerOptions;
using Ids = std::vector<int64_t>;

std::string error_of(const CharTokenizerOptions& options) {
  try {
    CharTokenizer tokenizer(options);
  } catch (const c10::Error& e) {
    return e.msg();
  }
  return "";
}

TEST(CharTokenizer, IdsFollowTheDocumentedLayout) {
  const CharTokenizer tok(CharTokenizerOptions("ab"));
  // <pad> <eos> <unk> <think> </think> <answer> </answer> a b
  EXPECT_EQ(tok.vocab_size(), 9);
  EXPECT_EQ(tok.pad_token_id(), 0);
  EXPECT_EQ(tok.eos_token_id(), 1);
  EXPECT_EQ(tok.unk_token_id(), 2);
  EXPECT_EQ(tok.token_to_id("<think>"), 3);
  EXPECT_EQ(tok.token_to_id("</answer>"), 6);
  EXPECT_EQ(tok.token_to_id("a"), 7);
  EXPECT_EQ(tok.token_to_id("b"), 8);
  EXPECT_EQ(tok.token_to_id("c"), std::nullopt);
}

TEST(CharTokenizer, TagsAndControlTokensInTextAreSingleTokens) {
  const CharTokenizer tok(CharTokenizerOptions("ab<>/"));
  EXPECT_EQ(tok.encode("<think>ab</think><answer>b</answer><eos>"), (Ids{3, 7, 8, 4, 5, 8, 6, 1}));
  // Not a tag: the characters one by one.
  const auto a = *tok.token_to_id("a");
  const auto lt = *tok.token_to_id("<");
  const auto gt = *tok.token_to_id(">");
  EXPECT_EQ(tok.encode("<a>"), (Ids{lt, a, gt}));
}

TEST(CharTokenizer, LongestTokenWins) {
  const CharTokenizer tok(CharTokenizerOptions("abcd").added_tokens({"ab", "abc"}));
  const auto ab = *tok.token_to_id("ab");
  const auto abc = *tok.token_to_id("abc");
  EXPECT_EQ(tok.encode("abcd"), (Ids{abc, *tok.token_to_id("d")}));
  EXPECT_EQ(tok.encode("abd"), (Ids{ab, *tok.token_to_id("d")}));
}

TEST(CharTokenizer, MultiByteCharactersAreOneToken) {
  const CharTokenizer tok(CharTokenizerOptions("a\xC3\xA9\xE2\x82\xAC"));  // a, e-acute, euro sign
  const auto ids = tok.encode("\xE2\x82\xAC" "a\xC3\xA9");
  ASSERT_EQ(ids.size(), 3U);
  EXPECT_EQ(tok.decode(ids), "\xE2\x82\xAC" "a\xC3\xA9");
}

TEST(CharTokenizer, UnknownCharactersAndInvalidBytesMapToUnk) {
  const CharTokenizer tok(CharTokenizerOptions("ab"));
  const auto unk = tok.unk_token_id();
  EXPECT_EQ(tok.encode("azb"), (Ids{7, unk, 8}));
  EXPECT_EQ(tok.encode("\xC3\xA9"), (Ids{unk})) << "one code point, one unk";
  EXPECT_EQ(tok.encode("a\xFF" "b"), (Ids{7, unk, 8})) << "invalid lead byte";
  EXPECT_EQ(tok.encode("a\xC3"), (Ids{7, unk})) << "truncated sequence at the end";
  EXPECT_EQ(tok.encode("\xC3" "a"), (Ids{unk, 7})) << "lead byte without continuation";
  EXPECT_EQ(tok.encode("\x80\x80"), (Ids{unk, unk})) << "stray continuation bytes";
  EXPECT_EQ(tok.encode("\xC0\xAF"), (Ids{unk, unk})) << "overlong encoding";
  EXPECT_EQ(tok.encode(""), Ids{});
}

TEST(CharTokenizer, DecodeRoundTripsAndSkipsSpecialTokensOnRequest) {
  const CharTokenizer tok(CharTokenizerOptions("ab <>"));
  const std::string text = "<think>a b</think> <answer>ba</answer>";
  EXPECT_EQ(tok.decode(tok.encode(text)), text);
  const Ids with_specials = {0, 3, 7, 2, 4, 1};
  EXPECT_EQ(tok.decode(with_specials), "<pad><think>a<unk></think><eos>");
  EXPECT_EQ(tok.decode(with_specials, /*skip_special_tokens=*/true), "<think>a</think>");
  EXPECT_THROW(tok.decode({tok.vocab_size()}), c10::Error);
  EXPECT_THROW(tok.decode({-1}), c10::Error);
}

TEST(CharTokenizer, BadVocabulariesAreRejectedWithTheirReason) {
  EXPECT_NE(error_of(CharTokenizerOptions("")).find("characters must not be empty"), std::string::npos);
  EXPECT_NE(error_of(CharTokenizerOptions("aba")).find("character 'a' occurs twice"), std::string::npos);
  EXPECT_NE(error_of(CharTokenizerOptions("a\xFF")).find("characters must be valid UTF-8, invalid byte 0xff at offset 1"),
            std::string::npos);
  EXPECT_NE(error_of(CharTokenizerOptions("ab").added_tokens({"<x>", "<x>"})).find("added token '<x>' occurs twice"),
            std::string::npos);
  EXPECT_NE(error_of(CharTokenizerOptions("ab").added_tokens({"a"})).find("character 'a' occurs twice"),
            std::string::npos);
  EXPECT_NE(error_of(CharTokenizerOptions("ab").eos_token("")).find("eos_token must not be empty"), std::string::npos);
}

}  // namespace
