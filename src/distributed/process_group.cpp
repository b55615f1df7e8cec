#include <grpo/distributed/process_group.h>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef GRPO_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

namespace grpo {
namespace {

// The value of environment variable `name` as an integer in [min, max], or nullopt when unset.
std::optional<int64_t> env_int(const char* name, int64_t min, int64_t max) {
  const char* text = std::getenv(name);
  if (text == nullptr) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  TORCH_CHECK(*text != '\0' && *end == '\0' && errno == 0 && value >= min && value <= max, "environment variable ",
              name, " is '", text, "'; it must be an integer in [", min, ", ", max, "]");
  return value;
}

std::string env_text(const char* name, const std::string& fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::string(text) : fallback;
}

// Our keys in the store: under torchrun's agent store, which outlives a restart of the workers,
// one namespace per restart (TORCHELASTIC_RESTART_COUNT), as torch.distributed keeps them.
std::string key_prefix() { return "grpo/" + env_text("TORCHELASTIC_RESTART_COUNT", "0") + "/"; }
// Store keys through which a failing rank leaves its message and a rank whose collective failed
// says it is still alive.
std::string failed_key(int64_t rank) { return key_prefix() + "failed/" + std::to_string(rank); }
std::string alive_key(int64_t rank) { return key_prefix() + "alive-after-error/" + std::to_string(rank); }

std::vector<uint8_t> to_bytes(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

WorldInfo WorldInfo::from_environment() {
  WorldInfo w;
  constexpr int64_t max_world = 1 << 20;
  if (std::getenv("RANK") != nullptr || std::getenv("WORLD_SIZE") != nullptr) {
    const auto size = env_int("WORLD_SIZE", 1, max_world);
    TORCH_CHECK(size.has_value(), "environment variable RANK is set but WORLD_SIZE is not; launch with torchrun or "
                "set both");
    w.world_size = *size;
    w.rank = env_int("RANK", 0, w.world_size - 1).value_or(0);
    w.local_rank = env_int("LOCAL_RANK", 0, max_world).value_or(w.rank);
    w.launcher = "torchrun";
  } else if (std::getenv("SLURM_PROCID") != nullptr && std::getenv("SLURM_NTASKS") != nullptr) {
    w.world_size = *env_int("SLURM_NTASKS", 1, max_world);
    w.rank = *env_int("SLURM_PROCID", 0, w.world_size - 1);
    w.local_rank = env_int("SLURM_LOCALID", 0, max_world).value_or(0);
    w.launcher = "slurm";
  } else {
    return w;
  }
  w.master_addr = env_text("MASTER_ADDR", w.master_addr);
  w.master_port = static_cast<int>(env_int("MASTER_PORT", 1, 65535).value_or(w.master_port));
  return w;
}

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::Backend> backend;
  torch::Device device = torch::kCPU;
};

ProcessGroup::ProcessGroup(WorldInfo world, DistributedOptions options, std::string backend_name,
                           std::unique_ptr<Impl> impl)
    : world_(std::move(world)), options_(options), backend_name_(std::move(backend_name)), impl_(std::move(impl)) {}

ProcessGroup::~ProcessGroup() = default;

std::shared_ptr<ProcessGroup> ProcessGroup::create(const WorldInfo& world, torch::Device device,
                                                   const DistributedOptions& options) {
  TORCH_CHECK(world.world_size >= 1 && world.rank >= 0 && world.rank < world.world_size,
              "ProcessGroup: rank ", world.rank, " is outside a world of ", world.world_size);
  TORCH_CHECK(options.timeout.count() >= 1, "DistributedOptions: timeout must be >= 1 s, got ",
              options.timeout.count());
  TORCH_CHECK(options.bucket_cap_mb >= 1, "DistributedOptions: bucket_cap_mb must be >= 1, got ",
              options.bucket_cap_mb);
  std::string backend = options.backend;
  if (backend == "auto") backend = device.is_cuda() ? "nccl" : "gloo";
  TORCH_CHECK(backend == "gloo" || backend == "nccl", "ddp_backend must be auto, gloo or nccl, got '",
              options.backend, "'");
  TORCH_CHECK(backend != "nccl" || device.is_cuda(), "ddp_backend 'nccl' needs a CUDA device, but this rank runs on ",
              device.str(), "; use 'gloo' (or 'auto') for the CPU");
  TORCH_CHECK(!device.is_cuda() || !device.has_index() || device.index() == world.local_rank, "rank ", world.rank,
              " runs on ", device.str(), " but its LOCAL_RANK is ", world.local_rank, "; each rank uses cuda:LOCAL_RANK");

  auto impl = std::make_unique<Impl>();
  impl->device = device;
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  // torchrun's agent already serves a store at MASTER_ADDR:MASTER_PORT (and says so); then every
  // rank, rank 0 too, joins it as a client.
  const bool agent_store = env_text("TORCHELASTIC_USE_AGENT_STORE", "") == "True";
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(world.master_port);
  store_options.isServer = world.rank == 0 && !agent_store;
  store_options.numWorkers = static_cast<size_t>(world.world_size);
  store_options.waitWorkers = !agent_store;
  store_options.timeout = timeout;
  try {
    impl->store = c10::make_intrusive<c10d::TCPStore>(world.master_addr, store_options);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "rank ", world.rank, " of ", world.world_size, ": the rendezvous at ", world.master_addr, ":",
                world.master_port, " failed (", (world.rank == 0 ? "serving" : "joining"), " the c10d TCPStore): ",
                e.what());
  }
  const auto prefixed = c10::make_intrusive<c10d::PrefixStore>(key_prefix() + "pg", impl->store);
  try {
    if (backend == "gloo") {
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
      // As torch.distributed: GLOO_SOCKET_IFNAME names the network interface; else loopback for
      // a one-machine world on 127.0.0.1, else the address this machine's hostname resolves to.
      const std::string interface = env_text("GLOO_SOCKET_IFNAME", "");
      gloo_options->devices.push_back(
          !interface.empty() ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
          : world.master_addr == "127.0.0.1" || world.master_addr == "localhost"
              ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
              : c10d::ProcessGroupGloo::createDefaultDevice());
      gloo_options->threads = 1;
      impl->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, static_cast<int>(world.rank),
                                                                  static_cast<int>(world.world_size), gloo_options);
    } else {
#ifdef GRPO_WITH_NCCL
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = timeout;
      impl->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, static_cast<int>(world.rank),
                                                                  static_cast<int>(world.world_size), nccl_options);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
      // The rank's device, so that barriers and the first collective need not guess it.
      impl->backend->setBoundDeviceId(
          torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device.has_index() ? device.index() : world.local_rank)));
#endif
#else
      TORCH_CHECK(false, "ddp_backend 'nccl': this grpo library was built without NCCL (no CUDA toolkit or nccl.h "
                  "at configure time)");
#endif
    }
  } catch (const c10::Error&) {
    throw;
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "rank ", world.rank, " of ", world.world_size, ": creating the ", backend,
                " process group failed: ", e.what());
  }
  return std::shared_ptr<ProcessGroup>(new ProcessGroup(world, options, backend, std::move(impl)));
}

void ProcessGroup::report_failure(const std::string& message) noexcept {
  try {
    impl_->store->setTimeout(std::chrono::milliseconds(2000));
    impl_->store->set(failed_key(rank()), to_bytes(message.empty() ? std::string("(no message)") : message));
  } catch (...) {
    // The store is gone with rank 0: the others see the connection close instead.
  }
}

void ProcessGroup::fail(const char* collective, const std::string& what) {
  // Which rank stopped: every rank whose collective failed marks itself alive; a rank that threw
  // left its message; the ranks with neither after a short wait were killed or crashed.
  std::string cause;
  try {
    auto& store = *impl_->store;
    store.setTimeout(std::chrono::milliseconds(2000));
    store.set(alive_key(rank()), to_bytes("1"));
    std::map<int64_t, std::string> messages;
    std::vector<int64_t> silent;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (true) {
      messages.clear();
      silent.clear();
      for (int64_t q = 0; q < world_size(); ++q) {
        if (q == rank()) continue;
        if (store.check({failed_key(q)})) {
          const auto bytes = store.get(failed_key(q));
          messages[q] = std::string(bytes.begin(), bytes.end());
        } else if (!store.check({alive_key(q)})) {
          silent.push_back(q);
        }
      }
      if (silent.empty() || std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (const auto& [q, message] : messages) cause += c10::str("; rank ", q, " failed: ", message);
    for (const auto q : silent) cause += c10::str("; rank ", q, " stopped without a message (killed or crashed)");
    if (cause.empty()) cause = "; every other rank is still running (a timeout or a network fault)";
  } catch (const std::exception&) {
    cause = c10::str("; rank 0, which serves the rendezvous store at ", world_.master_addr, ":", world_.master_port,
                     ", stopped");
  }
  TORCH_CHECK(false, "rank ", rank(), " of ", world_size(), ": ", collective, " failed", cause, " (", backend_name_,
              ": ", what, ")");
}

#define GRPO_COLLECTIVE(name, ...)                                       \
  try {                                                                  \
    __VA_ARGS__;                                                         \
  } catch (const c10::Error& e) {                                        \
    fail(name, e.what_without_backtrace());                              \
  } catch (const std::exception& e) {                                    \
    fail(name, e.what());                                                \
  }

void ProcessGroup::all_reduce_sum(torch::Tensor& tensor) {
  std::vector<at::Tensor> tensors{tensor};
  GRPO_COLLECTIVE("all-reduce", impl_->backend->allreduce(tensors)->wait(options_.timeout))
}

std::vector<torch::Tensor> ProcessGroup::all_gather(const torch::Tensor& tensor) {
  std::vector<at::Tensor> input{tensor.contiguous()};
  std::vector<std::vector<at::Tensor>> output(1);
  for (int64_t r = 0; r < world_size(); ++r) output[0].push_back(torch::empty_like(input[0]));
  GRPO_COLLECTIVE("all-gather", impl_->backend->allgather(output, input)->wait(options_.timeout))
  return output[0];
}

std::vector<std::string> ProcessGroup::all_gather_bytes(const std::string& bytes) {
  const auto device_options = torch::TensorOptions().device(impl_->device);
  const auto lengths = all_gather(torch::tensor({static_cast<int64_t>(bytes.size())}, device_options.dtype(torch::kLong)));
  std::vector<int64_t> sizes;
  int64_t longest = 1;
  for (const auto& l : lengths) {
    sizes.push_back(l.item<int64_t>());
    longest = std::max(longest, sizes.back());
  }
  auto padded = torch::zeros({longest}, torch::kUInt8);
  std::copy(bytes.begin(), bytes.end(), padded.data_ptr<uint8_t>());
  const auto parts = all_gather(padded.to(impl_->device));
  std::vector<std::string> out;
  for (size_t r = 0; r < parts.size(); ++r) {
    const auto host = parts[r].to(torch::kCPU).contiguous();
    const auto* data = host.data_ptr<uint8_t>();
    out.emplace_back(data, data + sizes[r]);
  }
  return out;
}

double ProcessGroup::average_gradients(const std::vector<torch::Tensor>& parameters) {
  const auto start = std::chrono::steady_clock::now();
  // Which parameters have a gradient on some rank: those take part (zeros where missing), as in
  // a single process where a parameter without a gradient is left alone by the optimizer.
  std::vector<int64_t> has_grad;
  for (const auto& p : parameters) has_grad.push_back(p.grad().defined() ? 1 : 0);
  auto flags = torch::tensor(has_grad, torch::kLong).to(impl_->device);
  all_reduce_sum(flags);
  const auto any = flags.to(torch::kCPU);
  const auto* count = any.data_ptr<int64_t>();
  const int64_t cap = options_.bucket_cap_mb * 1024 * 1024;
  std::map<torch::ScalarType, std::vector<torch::Tensor>> by_dtype;
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (count[i] == 0) continue;
    auto p = parameters[i];
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    by_dtype[p.grad().scalar_type()].push_back(p.grad());
  }
  const double scale = 1.0 / static_cast<double>(world_size());
  for (auto& [dtype, grads] : by_dtype) {
    size_t begin = 0;
    while (begin < grads.size()) {
      size_t end = begin;
      int64_t bytes = 0;
      while (end < grads.size() && (end == begin || bytes + grads[end].nbytes() <= static_cast<size_t>(cap))) {
        bytes += static_cast<int64_t>(grads[end].nbytes());
        ++end;
      }
      std::vector<torch::Tensor> flat;
      for (size_t i = begin; i < end; ++i) flat.push_back(grads[i].reshape({-1}));
      auto bucket = torch::cat(flat);
      all_reduce_sum(bucket);
      bucket.mul_(scale);
      int64_t offset = 0;
      for (size_t i = begin; i < end; ++i) {
        const auto numel = grads[i].numel();
        grads[i].copy_(bucket.narrow(0, offset, numel).view_as(grads[i]));
        offset += numel;
      }
      begin = end;
    }
  }
  if (impl_->device.is_cuda()) torch::cuda::synchronize(impl_->device.index());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void ProcessGroup::barrier() {
  GRPO_COLLECTIVE("barrier", impl_->backend->barrier()->wait(options_.timeout))
}

#undef GRPO_COLLECTIVE

namespace {
std::mutex default_group_mutex;
std::shared_ptr<ProcessGroup> default_group;
bool default_group_checked = false;
}  // namespace

std::shared_ptr<ProcessGroup> init_distributed(torch::Device device, const DistributedOptions& options) {
  std::lock_guard<std::mutex> lock(default_group_mutex);
  if (default_group_checked) return default_group;
  const auto world = WorldInfo::from_environment();
  if (!world.launcher.empty()) default_group = ProcessGroup::create(world, device, options);
  default_group_checked = true;
  return default_group;
}

std::shared_ptr<ProcessGroup> distributed_group() {
  std::lock_guard<std::mutex> lock(default_group_mutex);
  return default_group;
}

}  // namespace grpo
