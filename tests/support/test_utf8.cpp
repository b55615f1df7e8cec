// The library's UTF-8 helpers (src/support/utf8.h) against hand-decoded bytes. Valid UTF-8 is
// the Unicode Standard's well-formed UTF-8 (Table 3-7), which Python's bytes.decode("utf-8")
// also accepts and rejects byte for byte.
#include "support/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using grpo::detail::append_utf8;
using grpo::detail::decode_utf8;
using grpo::detail::for_each_utf8_run;
using grpo::detail::utf8_char_at;
using grpo::detail::utf8_char_before;
using grpo::detail::utf8_decode_at;
using grpo::detail::utf8_length_at;

TEST(Utf8, DecodesOneToFourByteSequences) {
  // "a", U+00E9, U+20AC, U+1F600 written out byte by byte.
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  char32_t cp = 0;
  EXPECT_EQ(utf8_decode_at(text, 0, cp), 1u);
  EXPECT_EQ(cp, U'a');
  EXPECT_EQ(utf8_decode_at(text, 1, cp), 2u);
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(utf8_decode_at(text, 3, cp), 3u);
  EXPECT_EQ(cp, 0x20ACu);
  EXPECT_EQ(utf8_decode_at(text, 6, cp), 4u);
  EXPECT_EQ(cp, 0x1F600u);
  EXPECT_EQ(decode_utf8(text), std::u32string({U'a', 0xE9, 0x20AC, 0x1F600}));
}

TEST(Utf8, RejectsIllFormedSequencesAsPythonDoes) {
  // Each of these fails b.decode("utf-8") in Python at its first byte.
  const std::vector<std::string> invalid = {
      "\x80",              // continuation byte without a lead
      "\xC0\xAF",          // overlong "/" (C0 and C1 never appear)
      "\xE0\x80\xAF",      // overlong three-byte form
      "\xED\xA0\x80",      // surrogate U+D800
      "\xF0\x80\x80\xAF",  // overlong four-byte form
      "\xF4\x90\x80\x80",  // U+110000, above the code space
      "\xF5\x80\x80\x80",  // lead byte above F4
      "\xE2\x82",          // truncated U+20AC
      "\xC3(",             // lead byte followed by a non-continuation byte
  };
  for (const auto& bytes : invalid) {
    EXPECT_EQ(utf8_length_at(bytes, 0), 0u) << "first byte 0x" << std::hex
                                            << static_cast<int>(static_cast<unsigned char>(bytes[0]));
    EXPECT_FALSE(utf8_char_at(bytes, 0).has_value());
  }
  // The edges of the ranges that are valid.
  for (const std::string valid : {"\xC2\x80", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xF0\x90\x80\x80",
                                  "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(utf8_length_at(valid, 0), valid.size());
  }
}

TEST(Utf8, DecodeReplacesEachInvalidByteWithOneReplacementCharacter) {
  // One U+FFFD per byte (not Python's one per maximal subpart): "\xE2\x82" gives two.
  EXPECT_EQ(decode_utf8("a\xE2\x82" "b"), std::u32string({U'a', 0xFFFD, 0xFFFD, U'b'}));
  EXPECT_EQ(decode_utf8("\xED\xA0\x80"), std::u32string(3, 0xFFFD));
  EXPECT_EQ(decode_utf8(""), std::u32string());
}

TEST(Utf8, CharBeforeFindsTheSequenceEndingThere) {
  const std::string text = "x\xE2\x82\xAC" "y";
  EXPECT_EQ(utf8_char_before(text, 4), std::optional<char32_t>(0x20AC));
  EXPECT_EQ(utf8_char_before(text, 1), std::optional<char32_t>(U'x'));
  EXPECT_FALSE(utf8_char_before(text, 0).has_value());
  EXPECT_FALSE(utf8_char_before(text, 3).has_value());  // inside U+20AC
  EXPECT_FALSE(utf8_char_before("a\x80", 2).has_value());
}

TEST(Utf8, EncodesWhatItDecodes) {
  std::string out;
  for (const char32_t cp : {char32_t{0}, char32_t{0x7F}, char32_t{0x80}, char32_t{0x7FF}, char32_t{0x800},
                            char32_t{0xFFFF}, char32_t{0x10000}, char32_t{0x10FFFF}}) {
    out.clear();
    append_utf8(out, cp);
    const size_t expected_length = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    ASSERT_EQ(out.size(), expected_length) << std::hex << static_cast<uint32_t>(cp);
    char32_t back = 0;
    EXPECT_EQ(utf8_decode_at(out, 0, back), expected_length);
    EXPECT_EQ(back, cp);
  }
  out.clear();
  append_utf8(out, 0x20AC);
  EXPECT_EQ(out, "\xE2\x82\xAC");
}

TEST(Utf8, RunsAlternateBetweenValidTextAndInvalidBytes) {
  std::vector<std::pair<std::string, bool>> runs;
  for_each_utf8_run("ab\xFF\xFE\xC3\xA9" "c\x80",
                    [&](std::string_view run, bool valid) { runs.emplace_back(std::string(run), valid); });
  const std::vector<std::pair<std::string, bool>> expected = {
      {"ab", true}, {"\xFF\xFE", false}, {"\xC3\xA9" "c", true}, {"\x80", false}};
  EXPECT_EQ(runs, expected);
}
