// BpeTokenizer on small hand-written tokenizer.json files whose ids are worked out by hand
// below; parity with the `tokenizers` library on real and trained vocabularies is
// tests/tokenizer/parity.py.
#include <grpo/tokenizer/bpe_tokenizer.h>

#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <cstdio>
#include <unistd.h>
#include <vector>

namespace {

using grpo::BpeTokenizer;
using grpo::BpeTokenizerOptions;
using Json = nlohmann::json;
using Ids = std::vector<int64_t>;

// Files and directories this process wrote, removed after the last test. (POSIX calls:
// LibTorch's copy of std::filesystem::remove_all crashes.)
std::vector<std::string>& created_paths() {
  static std::vector<std::string> paths;
  return paths;
}

std::filesystem::path temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("grpo_tokenizer_test_" + std::to_string(::getpid()));
  if (std::filesystem::create_directories(dir)) created_paths().push_back(dir.string());
  return dir;
}

std::string write_path(const std::filesystem::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
  created_paths().push_back(path.string());
  return path.string();
}

std::string write_file(const std::string& name, const std::string& content) {
  return write_path(temp_dir() / name, content);
}

class RemoveTempFiles : public ::testing::Environment {
 public:
  void TearDown() override {
    auto& paths = created_paths();
    for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
      if (std::remove(it->c_str()) != 0) ::rmdir(it->c_str());
    }
    paths.clear();
  }
};
const auto* const kRemoveTempFiles = ::testing::AddGlobalTestEnvironment(new RemoveTempFiles);

// Vocabulary in the byte-level alphabet ("Ġ" is the space byte):
//   h0 e1 l2 o3 Ġ4 w5 r6 d7 he8 ll9 hell10 hello11 Ġw12 or13 Ġwor14, added <|end|>15 (special).
// Merges by rank: h e, l l, he ll, hell o, Ġ w, o r, Ġw or.
Json small_tokenizer() {
  return Json::parse(R"({
    "version": "1.0",
    "added_tokens": [{"id": 15, "content": "<|end|>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
                      "use_regex": true},
    "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<|end|>", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [],
      "special_tokens": {"<|end|>": {"id": "<|end|>", "ids": [15], "tokens": ["<|end|>"]}}},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
                "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null,
      "continuing_subword_prefix": null, "end_of_word_suffix": null, "fuse_unk": false,
      "byte_fallback": false, "ignore_merges": false,
      "vocab": {"h": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "he": 8,
                "ll": 9, "hell": 10, "hello": 11, "Ġw": 12, "or": 13, "Ġwor": 14},
      "merges": ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or"]}
  })");
}

BpeTokenizer load(const Json& json, const std::string& name, BpeTokenizerOptions options = {}) {
  return BpeTokenizer(write_file(name, json.dump()), options);
}

// GPT-2's bytes_to_unicode, written out independently: printable bytes keep their code point,
// the other 68 bytes take U+0100.. in byte order.
std::vector<std::string> byte_alphabet() {
  std::vector<std::string> out(256);
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool keep = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    const int cp = keep ? b : next++;
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    out[b] = s;
  }
  return out;
}

// Only the 256 single-byte tokens (ids = byte values), no merges, plus added tokens.
Json byte_tokenizer(const Json& added_tokens) {
  Json j = small_tokenizer();
  Json vocab = Json::object();
  const auto alphabet = byte_alphabet();
  for (int b = 0; b < 256; ++b) vocab[alphabet[b]] = b;
  j["model"]["vocab"] = vocab;
  j["model"]["merges"] = Json::array();
  j["added_tokens"] = added_tokens;
  j["post_processor"] = nullptr;
  return j;
}

TEST(BpeTokenizer, MergesLowestRankFirst) {
  const auto tok = load(small_tokenizer(), "small.json");
  // "hello": h e l l o -> (h e, rank 0) he l l o -> (l l, rank 1) he ll o -> (he ll) hell o
  //          -> (hell o) hello = [11].
  // " world": Ġ w o r l d -> (Ġ w, rank 4) Ġw o r l d -> (o r, rank 5) Ġw or l d
  //          -> (Ġw or, rank 6) Ġwor l d = [14, 2, 7].
  EXPECT_EQ(tok.encode("hello world"), (Ids{11, 14, 2, 7}));
  // Equal ranks merge leftmost first: l l l -> ll l.
  EXPECT_EQ(tok.encode("lll"), (Ids{9, 2}));
  EXPECT_EQ(tok.encode(""), Ids{});
}

TEST(BpeTokenizer, PairMergeFormatEqualsStringFormat) {
  Json j = small_tokenizer();
  Json pairs = Json::array();
  for (const auto& m : j["model"]["merges"]) {
    const auto s = m.get<std::string>();
    pairs.push_back({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)});
  }
  j["model"]["merges"] = pairs;
  const auto tok = load(j, "pairs.json");
  EXPECT_EQ(tok.encode("hello world"), (Ids{11, 14, 2, 7}));
}

TEST(BpeTokenizer, SpecialTokensAreSplitOutBeforeBpe) {
  const auto tok = load(small_tokenizer(), "small.json");
  // "hello" [11], <|end|> [15], "world": w o r l d -> (o r) w or l d = [5, 13, 2, 7].
  EXPECT_EQ(tok.encode("hello<|end|>world"), (Ids{11, 15, 5, 13, 2, 7}));
  EXPECT_EQ(tok.token_to_id("<|end|>"), 15);
  EXPECT_TRUE(tok.is_special_token(15));
  EXPECT_FALSE(tok.is_special_token(11));
  EXPECT_EQ(tok.vocab_size(), 16);
}

TEST(BpeTokenizer, DecodeInvertsEncodeAndSkipsSpecialTokens) {
  const auto tok = load(small_tokenizer(), "small.json");
  EXPECT_EQ(tok.decode({11, 14, 2, 7}), "hello world");
  EXPECT_EQ(tok.decode({11, 15, 5, 13, 2, 7}), "hello<|end|>world");
  EXPECT_EQ(tok.decode({11, 15, 5, 13, 2, 7}, /*skip_special_tokens=*/true), "helloworld");
  EXPECT_EQ(tok.id_to_token(14), "Ġwor");
  EXPECT_THROW(tok.decode({16}), c10::Error);
  EXPECT_THROW(tok.decode({-1}), c10::Error);
}

TEST(BpeTokenizer, PostProcessorTemplateAddsSpecialTokensOnRequest) {
  const auto tok = load(small_tokenizer(), "small.json");
  EXPECT_EQ(tok.encode("hello", /*add_special_tokens=*/true), (Ids{15, 11}));
  EXPECT_EQ(tok.encode("hello", /*add_special_tokens=*/false), (Ids{11}));
}

TEST(BpeTokenizer, EosAndPadTokensComeFromOptionsOrTokenizerConfig) {
  const auto tok = load(small_tokenizer(), "small.json", BpeTokenizerOptions().eos_token("<|end|>"));
  EXPECT_EQ(tok.eos_token_id(), 15);
  EXPECT_FALSE(tok.pad_token_id().has_value());
  EXPECT_THROW(load(small_tokenizer(), "small.json", BpeTokenizerOptions().pad_token("<pad>")),
               c10::Error);

  const auto dir = temp_dir() / "model";
  if (std::filesystem::create_directories(dir)) created_paths().push_back(dir.string());
  write_path(dir / "tokenizer.json", small_tokenizer().dump());
  write_path(dir / "tokenizer_config.json",
             R"({"eos_token": {"content": "<|end|>", "lstrip": false}, "pad_token": "hello"})");
  const auto from_dir = BpeTokenizer::from_directory(dir.string());
  EXPECT_EQ(from_dir.eos_token_id(), 15);
  EXPECT_EQ(from_dir.pad_token_id(), 11);
}

TEST(BpeTokenizer, InvalidUtf8NeverThrowsAndRoundTrips) {
  const auto tok = load(byte_tokenizer(Json::array()), "bytes.json");
  const std::vector<std::string> inputs = {
      std::string("\xff\xfe", 2), std::string("ab\xc3", 3), std::string("\xe2\x82", 2) + " x",
      std::string("\xed\xa0\x80", 3), std::string("a\0b", 3), std::string("\xc0\xaf  \xf5", 5)};
  for (const auto& s : inputs) {
    const auto ids = tok.encode(s);
    // No merges: one id per byte, and the id is the byte value.
    ASSERT_EQ(ids.size(), s.size());
    for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(ids[i], static_cast<unsigned char>(s[i]));
    EXPECT_EQ(tok.decode(ids), s);
  }
}

TEST(BpeTokenizer, AddedTokenFlagsLstripRstripSingleWord) {
  const Json added = Json::parse(R"([
    {"id": 256, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": false,
     "normalized": false, "special": true},
    {"id": 257, "content": "<sep>", "single_word": false, "lstrip": false, "rstrip": true,
     "normalized": false, "special": true},
    {"id": 258, "content": "cat", "single_word": true, "lstrip": false, "rstrip": false,
     "normalized": true, "special": false}])");
  const auto tok = load(byte_tokenizer(added), "flags.json");
  // lstrip: the spaces before <mask> belong to it.
  EXPECT_EQ(tok.encode("a  <mask>b"), (Ids{'a', 256, 'b'}));
  // rstrip: the spaces after <sep> belong to it.
  EXPECT_EQ(tok.encode("a<sep>  b"), (Ids{'a', 257, 'b'}));
  // single_word: "cat" only where no word character touches it.
  EXPECT_EQ(tok.encode("a cat."), (Ids{'a', ' ', 258, '.'}));
  EXPECT_EQ(tok.encode("cats"), (Ids{'c', 'a', 't', 's'}));
}

TEST(BpeTokenizer, IgnoreMergesTakesWholeWordsFromVocabulary) {
  Json j = small_tokenizer();
  // "hel" is in the vocabulary but no merge reaches it; ignore_merges uses it directly.
  j["model"]["vocab"]["hel"] = 16;
  j["model"]["ignore_merges"] = true;
  const auto tok = load(j, "ignore.json");
  EXPECT_EQ(tok.encode("hel"), (Ids{16}));
  j["model"]["ignore_merges"] = false;
  EXPECT_EQ(load(j, "merges.json").encode("hel"), (Ids{8, 2}));
}

TEST(BpeTokenizer, NfcNormalizerComposes) {
  Json j = byte_tokenizer(Json::array());
  j["normalizer"] = Json::parse(R"({"type": "Sequence", "normalizers": [{"type": "NFC"}]})");
  const auto tok = load(j, "nfc.json");
  // "e" + U+0301 (combining acute) composes to U+00E9, bytes C3 A9.
  EXPECT_EQ(tok.encode("e\xcc\x81"), (Ids{0xC3, 0xA9}));
}

TEST(BpeTokenizer, SplitPreTokenizerAppliesBehaviour) {
  Json j = byte_tokenizer(Json::array());
  j["model"]["vocab"]["ab"] = 256;
  j["model"]["merges"] = Json::array({"a b"});
  // Split on "-" with MergedWithPrevious, then bytes: "ab-ab" -> "ab-", "ab"; "a-b" -> "a-", "b".
  j["pre_tokenizer"] = Json::parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithPrevious",
       "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]})");
  const auto tok = load(j, "split.json");
  EXPECT_EQ(tok.encode("ab-ab"), (Ids{256, '-', 256}));
  EXPECT_EQ(tok.encode("a-b"), (Ids{'a', '-', 'b'}));
}

// A BPE model on raw characters (no pre-tokenizer, no decoder): tokens are joined by spaces
// when decoding, as `tokenizers` does without a decoder. The expected ids below were also
// checked with `tokenizers` 0.23 on the same files.
Json char_model(const Json& model_fields) {
  Json j = Json::parse(R"({"version": "1.0", "added_tokens": [], "normalizer": null,
    "pre_tokenizer": null, "post_processor": null, "decoder": null,
    "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>",
      "continuing_subword_prefix": null, "end_of_word_suffix": null, "fuse_unk": false,
      "byte_fallback": false, "ignore_merges": false,
      "vocab": {"<unk>": 0, "a": 1, "b": 2, "<0x78>": 3}, "merges": []}})");
  for (const auto& [key, value] : model_fields.items()) j["model"][key] = value;
  return j;
}

TEST(BpeTokenizer, UnknownCharactersBecomeUnkFusedOrNot) {
  // x is not in the vocabulary: one <unk> per character, or one per run with fuse_unk.
  const auto tok = load(char_model(Json::object()), "unk.json");
  EXPECT_EQ(tok.encode("axxb"), (Ids{1, 0, 0, 2}));
  EXPECT_EQ(tok.decode({1, 0, 0, 2}), "a <unk> <unk> b");
  EXPECT_EQ(load(char_model({{"fuse_unk", true}}), "fuse.json").encode("axxb"), (Ids{1, 0, 2}));
  // Without unk_token unknown characters are dropped.
  EXPECT_EQ(load(char_model({{"unk_token", nullptr}}), "nounk.json").encode("axb"), (Ids{1, 2}));
}

TEST(BpeTokenizer, ByteFallbackUsesByteTokensWhenAllExist) {
  const auto tok = load(char_model({{"byte_fallback", true}}), "fallback.json");
  EXPECT_EQ(tok.encode("axb"), (Ids{1, 3, 2}));  // x = <0x78>
  // e-acute is C3 A9; <0xC3> is missing, so the character is <unk>.
  EXPECT_EQ(tok.encode("a\xc3\xa9"
                       "b"),
            (Ids{1, 0, 2}));
}

TEST(BpeTokenizer, SubwordPrefixAndWordSuffixTakePartInMerges) {
  // a ##b merges to "ab" (the prefix is dropped from the right token).
  const auto prefix = load(char_model({{"unk_token", nullptr},
                                       {"continuing_subword_prefix", "##"},
                                       {"vocab", {{"a", 0}, {"##b", 1}, {"ab", 2}}},
                                       {"merges", {"a ##b"}}}),
                           "prefix.json");
  EXPECT_EQ(prefix.encode("ab"), (Ids{2}));
  // The last character carries the suffix: "ab" -> a b</w> -> ab</w>; "ba" -> b, a</w> (absent).
  const auto suffix = load(char_model({{"unk_token", nullptr},
                                       {"end_of_word_suffix", "</w>"},
                                       {"vocab", {{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}, {"b", 3}}},
                                       {"merges", {"a b</w>"}}}),
                           "suffix.json");
  EXPECT_EQ(suffix.encode("ab"), (Ids{2}));
  EXPECT_EQ(suffix.encode("ba"), (Ids{3}));
}

TEST(BpeTokenizer, DigitsPreTokenizerKeepsOrSplitsDigitRuns) {
  Json j = char_model({{"unk_token", nullptr},
                       {"vocab", {{"a", 0}, {"1", 1}, {"2", 2}, {"12", 3}}},
                       {"merges", {"1 2"}}});
  j["pre_tokenizer"] = {{"type", "Digits"}, {"individual_digits", false}};
  EXPECT_EQ(load(j, "digits.json").encode("a12"), (Ids{0, 3}));
  j["pre_tokenizer"]["individual_digits"] = true;
  EXPECT_EQ(load(j, "digits1.json").encode("a12"), (Ids{0, 1, 2}));
}

TEST(BpeTokenizer, RobertaPostProcessorAddsClsAndSep) {
  Json j = char_model(Json::object());
  j["post_processor"] = Json::parse(R"({"type": "RobertaProcessing", "sep": ["b", 2],
      "cls": ["a", 1], "trim_offsets": true, "add_prefix_space": false})");
  EXPECT_EQ(load(j, "roberta.json").encode("xa", /*add_special_tokens=*/true), (Ids{1, 0, 1, 2}));
}

TEST(BpeTokenizer, ConcurrentEncodingsAgree) {
  const auto tok = load(small_tokenizer(), "small.json");
  const Ids expected{11, 14, 2, 7};
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) failures[t] += tok.encode("hello world") != expected;
    });
  }
  for (auto& th : threads) th.join();
  for (const int f : failures) EXPECT_EQ(f, 0);
}

void expect_error(const Json& json, const std::string& name, const std::string& fragment) {
  const auto path = write_file(name, json.dump());
  try {
    BpeTokenizer tok(path);
    FAIL() << "no error for " << name;
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
  }
}

TEST(BpeTokenizer, UnsupportedTypesAreNamedInTheError) {
  Json j = small_tokenizer();
  j["model"]["type"] = "Unigram";
  expect_error(j, "unigram.json", "unsupported model type \"Unigram\"");
  j["model"]["type"] = "WordPiece";
  expect_error(j, "wordpiece.json", "unsupported model type \"WordPiece\"");
  j = small_tokenizer();
  j["normalizer"] = Json::parse(R"({"type": "Lowercase"})");
  expect_error(j, "lowercase.json", "unsupported normalizer type \"Lowercase\"");
  j = small_tokenizer();
  j["pre_tokenizer"] = Json::parse(R"({"type": "Metaspace", "replacement": "_"})");
  expect_error(j, "metaspace.json", "unsupported pre_tokenizer type \"Metaspace\"");
  j = small_tokenizer();
  j["model"]["merges"].push_back("x y");
  expect_error(j, "badmerge.json", "merge token \"x\" is not in the vocabulary");
}

TEST(BpeTokenizer, TokenIdsMustBeIntegersInRange) {
  // A float id far outside int64 (found by fuzz_tokenizer: converting it was undefined behaviour).
  Json j = small_tokenizer();
  j["model"]["vocab"]["a"] = 5.5e128;
  expect_error(j, "float_id.json", "is not an integer");
  j["model"]["vocab"]["a"] = 3.0;
  expect_error(j, "float_small_id.json", "token id 3.0 is not an integer");
  j["model"]["vocab"]["a"] = -1;
  expect_error(j, "negative_id.json", "token id -1 is outside [0, 2^31)");
  j["model"]["vocab"]["a"] = uint64_t{18446744073709551615ULL};
  expect_error(j, "huge_id.json", "token id 18446744073709551615 is outside [0, 2^31)");
}

TEST(BpeTokenizer, MalformedOrMissingFileIsAnError) {
  const auto truncated = write_file("truncated.json", small_tokenizer().dump().substr(0, 100));
  try {
    BpeTokenizer tok(truncated);
    FAIL() << "no error for a truncated file";
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    EXPECT_NE(message.find(truncated), std::string::npos) << message;
    EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
  }
  Json j = small_tokenizer();
  j["model"]["vocab"]["h"] = "zero";
  expect_error(j, "vocab_array.json", "token id \"zero\" is not an integer");
  const auto missing = (temp_dir() / "absent.json").string();
  try {
    BpeTokenizer tok(missing);
    FAIL() << "no error for a missing file";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("cannot open " + missing),
              std::string::npos);
  }
}

}  // namespace
