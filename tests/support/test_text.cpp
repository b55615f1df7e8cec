// The library's text helpers (src/support/text.h).
#include "support/text.h"

#include "support/expect_error.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

using grpo::detail::is_python_space;

TEST(PythonSpace, MatchesStrIsspaceOverAllCodePoints) {
  // Python 3.11 (Unicode 14): [hex(c) for c in range(0x110000) if chr(c).isspace()]
  const std::set<char32_t> python = {0x9,    0xA,    0xB,    0xC,    0xD,    0x1C,   0x1D,   0x1E,
                                     0x1F,   0x20,   0x85,   0xA0,   0x1680, 0x2000, 0x2001, 0x2002,
                                     0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
                                     0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
  for (char32_t c = 0; c < 0x110000; ++c) {
    ASSERT_EQ(is_python_space(c), python.count(c) == 1) << "U+" << std::hex << static_cast<uint32_t>(c);
  }
}

TEST(UnicodeWhiteSpace, IsPythonSpaceWithoutTheInformationSeparators) {
  // Unicode 14 PropList.txt White_Space: Python's str.isspace() set less U+001C..U+001F.
  for (char32_t c = 0; c < 0x110000; ++c) {
    const bool separator = c >= 0x1C && c <= 0x1F;
    ASSERT_EQ(grpo::detail::is_unicode_white_space(c), is_python_space(c) && !separator)
        << "U+" << std::hex << static_cast<uint32_t>(c);
  }
  EXPECT_FALSE(grpo::detail::is_unicode_white_space(0x180E));  // White_Space until Unicode 6.3
  EXPECT_FALSE(grpo::detail::is_unicode_white_space(0x200B));  // ZERO WIDTH SPACE is not
}

TEST(ReplaceAll, ReplacesLeftToRightWithoutRescanning) {
  std::string text = "a$b$$c";
  grpo::detail::replace_all(text, "$", "");
  EXPECT_EQ(text, "abc");
  text = "{role}: {role}";
  grpo::detail::replace_all(text, "{role}", "user{role}");
  EXPECT_EQ(text, "user{role}: user{role}");  // the replacement is not searched again
  text = "aaa";
  grpo::detail::replace_all(text, "aa", "b");
  EXPECT_EQ(text, "ba");
}

TEST(ReadTextFile, ReturnsTheBytesAndNamesAMissingFile) {
  grpo::testing::TempDir dir;
  const std::string bytes("line\r\n\0\xFF", 8);
  std::ofstream(dir.file("f"), std::ios::binary) << bytes;
  EXPECT_EQ(grpo::detail::read_text_file(dir.file("f")), bytes);
  grpo::testing::expect_error([&] { grpo::detail::read_text_file(dir.file("none"), "Reader"); },
                              "Reader: cannot open " + dir.file("none"));
}
