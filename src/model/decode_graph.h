#pragma once
/// @file A decoding step captured once as a CUDA graph and replayed (internal to Policy).

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <vector>

namespace grpo {

/// One decoding step recorded as a CUDA graph (`at::cuda::CUDAGraph`): every replay launches the
/// step's kernels again on the current stream, reading and writing the same device buffers, with
/// one launch instead of one per operation. The step must only launch work on `device` (no
/// host synchronisation, no host-to-device copy, no allocation that outlives it except from the
/// graph's pool); its random draws come from `generators`, which are registered with the graph
/// so that each replay advances them as an eager step would.
class DecodeGraph {
 public:
  /// Whether this build of the library can capture CUDA graphs (built against a CUDA LibTorch).
  static bool available();

  /// Captures `step` on a side stream of `device` (the step's kernels are recorded, not run).
  /// @throws c10::Error when unavailable, when `device` is not a CUDA device, or when CUDA refuses
  ///         the capture (for example an operation in `step` that synchronises with the host).
  DecodeGraph(const std::function<void()>& step, const std::vector<at::Generator>& generators, c10::Device device);
  ~DecodeGraph();
  DecodeGraph(const DecodeGraph&) = delete;
  DecodeGraph& operator=(const DecodeGraph&) = delete;

  /// Runs the recorded step once, on the current stream.
  void replay();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grpo
