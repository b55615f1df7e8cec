#include "model/decode_graph.h"

#include <c10/util/Exception.h>

#ifdef GRPO_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace grpo {

#ifdef GRPO_WITH_CUDA

struct DecodeGraph::Impl {
  at::cuda::CUDAGraph graph;
};

bool DecodeGraph::available() { return true; }

DecodeGraph::DecodeGraph(const std::function<void()>& step, const std::vector<at::Generator>& generators,
                         c10::Device device)
    : impl_(std::make_unique<Impl>()) {
  TORCH_CHECK(device.is_cuda(), "DecodeGraph: CUDA graphs need a CUDA device, got ", device);
  const c10::cuda::CUDAGuard device_guard(device);
  // The capture runs on a side stream that starts after all work queued so far (as
  // torch.cuda.graph does); replays then run on the caller's stream.
  c10::cuda::device_synchronize();
  const auto capture_stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index());
  const c10::cuda::CUDAStreamGuard stream_guard(capture_stream);
  for (const auto& generator : generators) impl_->graph.register_generator_state(generator);
  impl_->graph.capture_begin();
  try {
    step();
  } catch (...) {
    try {
      impl_->graph.capture_end();
    } catch (...) {  // the step's own error is the one to report
    }
    throw;
  }
  impl_->graph.capture_end();
}

void DecodeGraph::replay() { impl_->graph.replay(); }

#else

struct DecodeGraph::Impl {};

bool DecodeGraph::available() { return false; }

DecodeGraph::DecodeGraph(const std::function<void()>& /*step*/, const std::vector<at::Generator>& /*generators*/,
                         c10::Device device) {
  TORCH_CHECK(false, "DecodeGraph: this build of grpo has no CUDA (LibTorch without CUDA); cannot capture on ", device);
}

void DecodeGraph::replay() {}

#endif

DecodeGraph::~DecodeGraph() = default;

}  // namespace grpo
