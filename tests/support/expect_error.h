#pragma once
// Test helper shared by every area: expect a c10::Error whose message names the problem.

#include <gtest/gtest.h>
#include <c10/util/Exception.h>

#include <string>

namespace grpo::testing {

/// Runs `fn` and expects it to throw c10::Error with `needle` in the message.
template <typename Fn>
void expect_error(Fn&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find(needle), std::string::npos)
        << "message: " << e.what_without_backtrace();
  }
}

}  // namespace grpo::testing
