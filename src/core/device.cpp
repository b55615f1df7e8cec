#include <grpo/core/device.h>
#include <grpo/version.h>

#include <torch/torch.h>
#include <torch/version.h>

namespace grpo {

std::string version() { return GRPO_VERSION_STRING; }

torch::Device default_device() {
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

torch::Device parse_device(const std::string& name) {
  if (name == "auto") return default_device();
  torch::Device device(name);  // throws c10::Error on a malformed name
  if (device.is_cuda()) {
    const auto count = static_cast<int64_t>(torch::cuda::device_count());
    TORCH_CHECK(count > 0, "device '", name, "': no CUDA device is available on this machine");
    TORCH_CHECK(!device.has_index() || device.index() < count, "device '", name, "': only ", count,
                " CUDA device(s) present");
  }
  return device;
}

std::string build_info() {
  const std::string cuda = torch::cuda::is_available()
                               ? c10::str("CUDA: ", torch::cuda::device_count(), " device(s)")
                               : std::string("CUDA: not available");
  return c10::str("grpo ", version(), " | LibTorch ", TORCH_VERSION, " | ", cuda,
                  " | default device: ", default_device().str(), " | CPU threads: ",
                  at::get_num_threads());
}

}  // namespace grpo
