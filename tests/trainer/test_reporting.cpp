// report_to: the config field and the TensorBoard record framing; the progress line. The event
// files themselves are read back by TensorBoard's reader in tests/cli/check_tensorboard.py
// (ctest cli_watch).
#include <grpo/trainer/grpo_config.h>
#include <grpo/trainer/sft_config.h>

#include "support/event_writer.h"
#include "support/expect_error.h"
#include "support/progress.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

using grpo::testing::expect_error;

TEST(Crc32c, MatchesTheRfc3720CheckValues) {
  // RFC 3720 appendix B.4 and the iSCSI check value; the masked values are TensorBoard's
  // (tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c).
  const std::string digits = "123456789";
  const std::string zeros(32, '\0');
  EXPECT_EQ(grpo::detail::crc32c(digits.data(), digits.size()), 0xE3069283U);
  EXPECT_EQ(grpo::detail::crc32c(zeros.data(), zeros.size()), 0x8A9136AAU);
  EXPECT_EQ(grpo::detail::masked_crc32c(digits.data(), digits.size()), 0xC78AB0E5U);
  EXPECT_EQ(grpo::detail::masked_crc32c(zeros.data(), zeros.size()), 0x0FD7FFFAU);
}

TEST(EventWriter, FramesEachRecordWithLengthAndMaskedCrcs) {
  grpo::testing::TempDir dir;
  std::string path;
  {
    grpo::detail::EventWriter writer(dir.path());
    writer.add_scalar("train/reward", 0.5, 3);
    path = writer.path();
  }
  EXPECT_EQ(path.rfind(dir.path() + "/events.out.tfevents.", 0), 0U) << path;
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Walk the records: uint64 length, masked crc of it, data, masked crc of the data.
  size_t at = 0;
  int records = 0;
  const auto u32 = [&](size_t p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[p + static_cast<size_t>(i)]);
    return v;
  };
  while (at < bytes.size()) {
    ASSERT_LE(at + 12, bytes.size());
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[at + static_cast<size_t>(i)]);
    EXPECT_EQ(u32(at + 8), grpo::detail::masked_crc32c(bytes.data() + at, 8));
    ASSERT_LE(at + 12 + length + 4, bytes.size());
    EXPECT_EQ(u32(at + 12 + length), grpo::detail::masked_crc32c(bytes.data() + at + 12, length));
    at += 12 + length + 4;
    ++records;
  }
  EXPECT_EQ(records, 2);  // file_version, then the scalar
  EXPECT_NE(bytes.find("brain.Event:2"), std::string::npos);
  EXPECT_NE(bytes.find("train/reward"), std::string::npos);
}

TEST(ReportTo, AcceptsTensorboardNoneAndEmpty) {
  EXPECT_TRUE(grpo::GrpoConfig().report_to().empty());
  grpo::SftConfig().report_to({}).validate();
  grpo::SftConfig().report_to({"none"}).validate();
  const auto c = grpo::SftConfig().report_to({"tensorboard"});
  c.validate();
  EXPECT_TRUE(c.reports_to_tensorboard());
  EXPECT_FALSE(grpo::SftConfig().report_to({"none"}).reports_to_tensorboard());
  const auto back = grpo::SftConfig::from_json(R"({"report_to": ["tensorboard"]})");
  EXPECT_EQ(back.report_to(), std::vector<std::string>{"tensorboard"});
  EXPECT_EQ(nlohmann::json::parse(back.to_json())["report_to"], nlohmann::json::array({"tensorboard"}));
}

TEST(ReportTo, RejectsUnknownTargetsAndNoneWithOthers) {
  expect_error([] { grpo::SftConfig().report_to({"wandb"}).validate(); },
               "SftConfig: report_to must be a list of 'tensorboard' or 'none', got 'wandb'");
  expect_error([] { grpo::SftConfig().report_to({"tensorboard", "none"}).validate(); },
               "SftConfig: report_to must be ['none'] alone or a list without 'none'");
  expect_error([] { grpo::SftConfig::from_json(R"({"report_to": "tensorboard"})"); },
               "'report_to' must be an array of strings");
}

TEST(Progress, LineShowsCountRateAndEta) {
  // 10 of 50 prompts in 5 s: 2 prompts/s, 40 left -> 20 s.
  EXPECT_EQ(grpo::detail::Progress::line("eval", 10, 50, "prompts", 5.0), "eval 10/50 prompts | 2.00 prompts/s | eta 20 s");
  EXPECT_EQ(grpo::detail::Progress::line("eval", 50, 50, "prompts", 2.0), "eval 50/50 prompts | 25.0 prompts/s | 2.0 s");
  EXPECT_EQ(grpo::detail::Progress::line("checkpoint", 0, 3, "files", 0.0), "checkpoint 0/3 files");
}
