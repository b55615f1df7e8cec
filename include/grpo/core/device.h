#pragma once
/// @file The library's version and the device it computes on.

#include <torch/types.h>

#include <string>

namespace grpo {

/// Version of the linked grpo library, "MAJOR.MINOR.PATCH".
std::string version();

/// The device training runs on by default: the first CUDA device when LibTorch sees one (under a
/// launcher, cuda:LOCAL_RANK: see WorldInfo), the CPU otherwise. Results on either agree (see
/// tests/core).
/// @throws c10::Error when a launcher's variables are malformed (WorldInfo::from_environment()).
torch::Device default_device();

/// Parses a device name as LibTorch does ("cpu", "cuda", "cuda:1"), or "auto" for
/// default_device(); "cuda" without an index is default_device()'s CUDA device.
/// @throws c10::Error if the name is malformed or names a CUDA device that is not present.
torch::Device parse_device(const std::string& name);

/// One line describing the build and the machine: grpo and LibTorch versions, CUDA
/// availability and device names, CPU threads.
std::string build_info();

}  // namespace grpo
