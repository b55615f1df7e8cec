#pragma once
/// @file Multi-process data parallelism on PyTorch's c10d: where this process stands in the
/// world (read from the launcher's environment, as torchrun and Slurm set it) and the process
/// group the trainers reduce through (`ProcessGroupNCCL` on CUDA, `ProcessGroupGloo` on the CPU,
/// rendezvous through `c10d::TCPStore`). Without a launcher nothing here is created and every
/// trainer runs as one process.

#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grpo {

/// This process's place in a multi-process run.
struct WorldInfo {
  int64_t rank = 0;        ///< global rank in [0, world_size)
  int64_t world_size = 1;  ///< processes in the run, >= 1
  int64_t local_rank = 0;  ///< rank on this machine: the CUDA device index the process uses
  std::string master_addr = "127.0.0.1";  ///< host of rank 0's rendezvous store
  int master_port = 29500;                ///< its TCP port
  /// `torchrun` (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), `slurm` (SLURM_PROCID,
  /// SLURM_NTASKS, SLURM_LOCALID; MASTER_ADDR and MASTER_PORT, which Slurm does not set, default
  /// to 127.0.0.1 and 29500 for a one-node job), or empty: no launcher, one process.
  std::string launcher;

  /// Reads the launcher's variables; torchrun's win over Slurm's when both are set (a torchrun
  /// started inside a Slurm allocation).
  /// @throws c10::Error naming the variable and its value when one is not an integer in range
  ///         (RANK >= WORLD_SIZE, a negative LOCAL_RANK, a port outside [1, 65535]) or when
  ///         RANK is set without WORLD_SIZE.
  static WorldInfo from_environment();
};

/// How the process group is made; the trainers take these from TrainingArguments (`ddp_backend`,
/// `ddp_timeout`, `ddp_bucket_cap_mb`, named as transformers' TrainingArguments).
struct DistributedOptions {
  /// `auto` (NCCL when the device is CUDA, else Gloo), `gloo` or `nccl`.
  std::string backend = "auto";
  /// Longest wait of one collective or of the rendezvous before it fails. Default: 1800 s.
  std::chrono::seconds timeout{1800};
  /// Gradients are all-reduced in flat buckets of at most this many MiB, >= 1. Default: 25.
  int64_t bucket_cap_mb = 25;
};

/// A c10d process group over the whole world, with the collectives the trainers use. Every
/// collective must be called by every rank in the same order. A collective that fails (a peer
/// died, the timeout passed) throws c10::Error naming the collective and, when it can be told
/// from the rendezvous store, the rank that stopped and its own message.
class ProcessGroup {
 public:
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  /// Connects to the world: rank 0 serves a c10d::TCPStore at master_addr:master_port, every rank
  /// joins it and creates the backend for `device` (its CUDA device must be cuda:local_rank).
  /// @throws c10::Error naming the backend when it is unknown, not built into this library
  ///         (`nccl` without CUDA) or does not fit the device (`nccl` on the CPU), and naming the
  ///         address when the rendezvous fails or times out.
  static std::shared_ptr<ProcessGroup> create(const WorldInfo& world, torch::Device device,
                                              const DistributedOptions& options = {});

  int64_t rank() const { return world_.rank; }
  int64_t world_size() const { return world_.world_size; }
  /// Whether this is rank 0, the one that writes logs, metrics and checkpoints.
  bool is_main() const { return world_.rank == 0; }
  const WorldInfo& world() const { return world_; }
  /// `gloo` or `nccl`.
  const std::string& backend() const { return backend_name_; }
  const DistributedOptions& options() const { return options_; }

  /// Sums `tensor` over the ranks, in place. Any dtype the backend reduces (float32, float64,
  /// int64); on the group's device (CPU tensors for Gloo, CUDA for NCCL).
  void all_reduce_sum(torch::Tensor& tensor);
  /// The tensors of every rank, in rank order: all ranks must pass the same shape and dtype, on
  /// the group's device (CPU for Gloo, CUDA for NCCL). Returns world_size() tensors of that shape,
  /// dtype and device.
  std::vector<torch::Tensor> all_gather(const torch::Tensor& tensor);
  /// The byte strings of every rank, in rank order (any lengths; through the backend).
  std::vector<std::string> all_gather_bytes(const std::string& bytes);
  /// Replaces every gradient of `parameters` by its mean over the ranks, through flat buckets of
  /// at most bucket_cap_mb MiB per dtype (parameters without a gradient take part with zeros, so
  /// every rank reduces the same buckets). Returns the seconds spent (host wall clock, after the
  /// device finished the reduction).
  double average_gradients(const std::vector<torch::Tensor>& parameters);
  /// Waits until every rank has reached it.
  void barrier();
  /// Records in the rendezvous store that this rank stops with `message`, so that the others,
  /// whose next collective fails, can name it. Never throws.
  void report_failure(const std::string& message) noexcept;

 private:
  struct Impl;
  ProcessGroup(WorldInfo world, DistributedOptions options, std::string backend_name, std::unique_ptr<Impl> impl);
  [[noreturn]] void fail(const char* collective, const std::string& what);

  WorldInfo world_;
  DistributedOptions options_;
  std::string backend_name_;
  std::unique_ptr<Impl> impl_;
};

/// The process-wide group the trainers share, as torch.distributed's default group: created on
/// the first call when the environment names a launcher (WorldInfo::launcher not empty, also for
/// WORLD_SIZE=1), null otherwise. Later calls return the same group whatever their arguments.
/// @throws c10::Error as WorldInfo::from_environment() and ProcessGroup::create().
std::shared_ptr<ProcessGroup> init_distributed(torch::Device device, const DistributedOptions& options = {});

/// The group init_distributed() created, or null.
std::shared_ptr<ProcessGroup> distributed_group();

}  // namespace grpo
