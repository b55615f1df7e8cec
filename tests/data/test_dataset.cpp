#include <grpo/data/dataset.h>

#include "support/expect_error.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

using grpo::testing::expect_error;
using grpo::testing::TempDir;

namespace {
std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST(PromptDataset, ReadsPromptAndKeepsOtherColumnsAsJson) {
  TempDir dir;
  const auto path = write(dir, "d.jsonl",
                          "{\"prompt\": \"3 5 -> 8\", \"nums\": [3, 5], \"target\": 8, \"note\": \"a\\\"b\"}\n"
                          "\n"
                          "{\"prompt\": \"x\"}\n");
  const auto ds = grpo::PromptDataset::from_jsonl(path);
  ASSERT_EQ(ds.size(), 2);
  EXPECT_EQ(ds[0].prompt, "3 5 -> 8");
  EXPECT_EQ(ds[0].fields.at("nums"), "[3,5]");
  EXPECT_EQ(ds[0].fields.at("target"), "8");
  EXPECT_EQ(ds[0].fields.at("note"), "\"a\\\"b\"");
  EXPECT_TRUE(ds[1].fields.empty());
}

TEST(PromptDataset, RoundTripsThroughJsonl) {
  TempDir dir;
  grpo::PromptDataset ds({{"p1", {{"target", "24"}}}, {"p2 \xce\xb1", {{"nums", "[1,2]"}}}});
  ds.to_jsonl(dir.file("out.jsonl"));
  const auto back = grpo::PromptDataset::from_jsonl(dir.file("out.jsonl"));
  ASSERT_EQ(back.size(), 2);
  EXPECT_EQ(back[1].prompt, "p2 \xce\xb1");
  EXPECT_EQ(back[0].fields, ds[0].fields);
  EXPECT_EQ(back[1].fields, ds[1].fields);
}

TEST(PromptDataset, MalformedLinesNameFileAndLine) {
  TempDir dir;
  const auto bad_json = write(dir, "a.jsonl", "{\"prompt\": \"ok\"}\n{\"prompt\": \n");
  expect_error([&] { grpo::PromptDataset::from_jsonl(bad_json); }, bad_json + ":2: not valid JSON");
  const auto missing = write(dir, "b.jsonl", "{\"question\": \"q\"}\n");
  expect_error([&] { grpo::PromptDataset::from_jsonl(missing); }, missing + ":1: missing column 'prompt'");
  const auto not_string = write(dir, "c.jsonl", "{\"prompt\": 3}\n");
  expect_error([&] { grpo::PromptDataset::from_jsonl(not_string); },
               not_string + ":1: column 'prompt' must be a string, got number");
  const auto array = write(dir, "d.jsonl", "[1, 2]\n");
  expect_error([&] { grpo::PromptDataset::from_jsonl(array); }, array + ":1: expected a JSON object, got array");
  const auto empty = write(dir, "e.jsonl", "\n\n");
  expect_error([&] { grpo::PromptDataset::from_jsonl(empty); }, "dataset '" + empty + "' has no rows");
  expect_error([&] { grpo::PromptDataset::from_jsonl(dir.file("none.jsonl")); }, "cannot open dataset");
  const auto blank_prompt = write(dir, "f.jsonl", "{\"prompt\": \"\"}\n");
  expect_error([&] { grpo::PromptDataset::from_jsonl(blank_prompt); }, blank_prompt + ":1: column 'prompt' is empty");
}

TEST(PromptDataset, EpochOrderIsADeterministicPermutation) {
  std::vector<grpo::PromptRow> rows;
  for (int i = 0; i < 50; ++i) rows.push_back({"p" + std::to_string(i), {}});
  grpo::PromptDataset ds(rows);
  const auto a = ds.epoch_order(7, 0);
  EXPECT_EQ(a, ds.epoch_order(7, 0));
  EXPECT_NE(a, ds.epoch_order(7, 1));
  EXPECT_NE(a, ds.epoch_order(8, 0));
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sorted[i], i);
}

TEST(SftDataset, ReadsAndWritesPromptCompletionPairs) {
  TempDir dir;
  grpo::write_sft_jsonl(dir.file("s.jsonl"), {{"1 2 -> 3\n", "<think>1+2=3</think>"}, {"q", "a"}});
  const auto back = grpo::read_sft_jsonl(dir.file("s.jsonl"));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].prompt, "1 2 -> 3\n");
  EXPECT_EQ(back[0].completion, "<think>1+2=3</think>");
  const auto no_completion = write(dir, "bad.jsonl", "{\"prompt\": \"q\"}\n");
  expect_error([&] { grpo::read_sft_jsonl(no_completion); }, no_completion + ":1: missing column 'completion'");
}
