// The safetensors reader and writer: round trip, byte layout against the format's definition,
// and rejection of malformed or hostile files with a message naming the problem.
#include <grpo/model/safetensors.h>

#include "support/expect_error.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <string>
#include <vector>

namespace {

using grpo::testing::expect_error;
using grpo::testing::TempDir;

// A file of `header` JSON (length prefixed, no padding) followed by `data_bytes` zero bytes.
std::string make_file(const std::string& header, size_t data_bytes) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return bytes + header + std::string(data_bytes, '\0');
}

void parse(const std::string& bytes) {
  (void)grpo::parse_safetensors_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test.st");
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(Safetensors, RoundTripKeepsValuesDtypesShapesAndMetadata) {
  TempDir dir;
  const auto path = dir.file("t.safetensors");
  const auto a = torch::randn({3, 5});
  const auto b = torch::randn({4}).to(torch::kBFloat16);
  const auto c = torch::arange(6, torch::kLong).view({2, 3});
  const auto d = torch::randn({2, 2}).to(torch::kFloat16).t();  // not contiguous
  const auto e = torch::zeros({0, 7});
  grpo::save_safetensors(path, {{"a", a}, {"b", b}, {"c", c}, {"d", d}, {"e", e}}, {{"format", "pt"}});
  const grpo::SafetensorsFile file(path);
  EXPECT_EQ(file.header().tensors.size(), 5u);
  EXPECT_EQ(file.header().metadata.at("format"), "pt");
  EXPECT_EQ(file.header().data_offset % 8, 0u) << "the header is padded to 8 bytes";
  EXPECT_TRUE(torch::equal(file.tensor("a"), a));
  EXPECT_TRUE(torch::equal(file.tensor("b"), b));
  EXPECT_TRUE(torch::equal(file.tensor("c"), c));
  EXPECT_TRUE(torch::equal(file.tensor("d"), d));
  EXPECT_EQ(file.tensor("e").sizes(), e.sizes());
  EXPECT_EQ(file.info("b").dtype, torch::kBFloat16);
  EXPECT_FALSE(file.contains("z"));
  expect_error([&] { (void)file.tensor("z"); }, "no tensor 'z'");
}

TEST(Safetensors, LayoutFollowsTheFormat) {
  // One F32 tensor [2] = {1, 2}: length prefix, JSON header padded with spaces, raw little-endian data.
  TempDir dir;
  const auto path = dir.file("one.safetensors");
  grpo::save_safetensors(path, {{"x", torch::tensor({1.0F, 2.0F})}});
  const auto bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  const std::string json = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(n, (json.size() + 7) / 8 * 8);
  EXPECT_EQ(bytes.substr(8, json.size()), json);
  EXPECT_EQ(bytes.substr(8 + json.size(), n - json.size()), std::string(n - json.size(), ' '));
  const float expected[2] = {1.0F, 2.0F};
  EXPECT_EQ(bytes.substr(8 + n), std::string(reinterpret_cast<const char*>(expected), 8));
}

TEST(Safetensors, TensorsViewTheMappingAndStayValidAfterTheFileObject) {
  TempDir dir;
  const auto path = dir.file("t.safetensors");
  grpo::save_safetensors(path, {{"w", torch::ones({16})}});
  torch::Tensor w;
  {
    const grpo::SafetensorsFile file(path);
    w = file.tensor("w");
  }
  w.mul_(3);  // copy-on-write: the file is not changed
  EXPECT_TRUE(torch::equal(w, torch::full({16}, 3.0F)));
  const grpo::SafetensorsFile again(path);
  EXPECT_TRUE(torch::equal(again.tensor("w"), torch::ones({16})));
}

TEST(Safetensors, MisalignedDataIsCopied) {
  // An I8 tensor of 1 byte first puts the F32 tensor at an odd offset.
  const std::string header =
      R"({"p":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}})";
  std::string bytes = make_file(header, 5);
  const float value = 2.5F;
  bytes.replace(8 + header.size() + 1, 4, reinterpret_cast<const char*>(&value), 4);
  TempDir dir;
  std::ofstream(dir.file("m.safetensors"), std::ios::binary) << bytes;
  const grpo::SafetensorsFile file(dir.file("m.safetensors"));
  EXPECT_FLOAT_EQ(file.tensor("f").item<float>(), 2.5F);
}

TEST(Safetensors, RejectsMalformedHeaders) {
  const std::string ok = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  parse(make_file(ok, 8));  // the baseline parses
  expect_error([] { parse("abc"); }, "shorter than the 8-byte header length");
  expect_error([&] { parse(make_file(ok, 8).substr(0, 20)); }, "exceeds the file");
  std::string huge = make_file(ok, 8);
  huge[6] = 1;  // header length ~2^48
  expect_error([&] { parse(huge); }, "exceeds the limit");
  expect_error([] { parse(make_file("{\"t\":", 0)); }, "not valid JSON");
  expect_error([] { parse(make_file("[1,2]", 0)); }, "must be a JSON object");
  expect_error([] { parse(make_file(R"({"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8)); },
               "unsupported dtype 'F33'");
  expect_error([] { parse(make_file(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)); },
               "non-negative integers");
  expect_error([] { parse(make_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 12)); },
               "needs 12");
  expect_error([] { parse(make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)); },
               "reversed");
  expect_error([&] { parse(make_file(ok, 4)); }, "end past the data section of 4 bytes");
  expect_error([] { parse(make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8)); },
               "data_offsets must be an array of two integers");
  expect_error([] { parse(make_file(R"({"t":{"dtype":"F32","data_offsets":[0,8]}})", 8)); },
               "shape must be an array");
  expect_error([] { parse(make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", 8)); },
               "unknown field 'x'");
  expect_error(
      [] {
        parse(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                        12));
      },
      "overlap");
  expect_error([] { parse(make_file(R"({"__metadata__":{"k":1}})", 0)); }, "__metadata__ value of 'k'");
  // An element count that overflows 64 bits is caught before the multiplication.
  expect_error(
      [] {
        parse(make_file(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", 8));
      },
      "more elements than the file has bytes");
}

TEST(Safetensors, RejectsBadWrites) {
  TempDir dir;
  const auto path = dir.file("w.safetensors");
  expect_error([&] { grpo::save_safetensors(path, {{"a", torch::ones(1)}, {"a", torch::ones(1)}}); }, "given twice");
  expect_error([&] { grpo::save_safetensors(path, {{"__metadata__", torch::ones(1)}}); }, "reserved");
  expect_error([&] { grpo::save_safetensors(path, {{"c", torch::ones(1, torch::kComplexFloat)}}); },
               "unsupported dtype");
  EXPECT_FALSE(grpo::path_exists(path)) << "a failed write leaves no file";
  expect_error([&] { grpo::SafetensorsFile missing(dir.file("missing.safetensors")); }, "cannot open");
}

}  // namespace
