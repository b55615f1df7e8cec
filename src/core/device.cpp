#include <grpo/core/device.h>
#include <grpo/distributed/process_group.h>
#include <grpo/version.h>

#include <torch/torch.h>
#include <torch/version.h>

namespace grpo {

std::string version() { return GRPO_VERSION_STRING; }

torch::Device default_device() {
  if (!torch::cuda::is_available()) return torch::Device(torch::kCPU);
  // Under a launcher each process takes the device of its LOCAL_RANK.
  const auto world = WorldInfo::from_environment();
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(world.launcher.empty() ? 0 : world.local_rank));
}

torch::Device parse_device(const std::string& name) {
  if (name == "auto") return default_device();
  torch::Device device(name);  // throws c10::Error on a malformed name
  if (device.is_cuda() && !device.has_index() && torch::cuda::is_available()) device = default_device();
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
