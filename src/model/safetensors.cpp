#include <grpo/model/safetensors.h>

#include <grpo/support/files.h>

#include "model/safetensors_dtype.h"
#include "support/progress.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

namespace grpo {

// A read-only file mapping, private copy-on-write so that tensors viewing it stay writable.
struct SafetensorsFile::Mapping {
  void* address = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (address != nullptr) munmap(address, size);
  }
};

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path), mapping_(std::make_shared<Mapping>()) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  TORCH_CHECK(fd >= 0, "cannot open safetensors file '", path, "': ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    TORCH_CHECK(false, "'", path, "' is not a regular file");
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size > 0) {
    void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    const int error = errno;
    ::close(fd);
    TORCH_CHECK(address != MAP_FAILED, "cannot map safetensors file '", path, "': ", std::strerror(error));
    mapping_->address = address;
    mapping_->size = size;
  } else {
    ::close(fd);
  }
  header_ = parse_safetensors_header(static_cast<const uint8_t*>(mapping_->address), size, path);
  for (size_t i = 0; i < header_.tensors.size(); ++i) index_[header_.tensors[i].name] = i;
}

bool SafetensorsFile::contains(const std::string& name) const { return index_.count(name) > 0; }

const SafetensorsTensorInfo& SafetensorsFile::info(const std::string& name) const {
  const auto it = index_.find(name);
  TORCH_CHECK(it != index_.end(), path_, ": no tensor '", name, "'");
  return header_.tensors[it->second];
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const auto& entry = info(name);
  const auto options = torch::TensorOptions().dtype(entry.dtype);
  if (entry.begin == entry.end) return torch::empty(entry.shape, options);
  auto* data = static_cast<uint8_t*>(mapping_->address) + header_.data_offset + entry.begin;
  if (reinterpret_cast<uintptr_t>(data) % c10::elementSize(entry.dtype) != 0) {
    // Misaligned for the dtype: copy the bytes into an aligned tensor.
    auto copy = torch::empty(entry.shape, options);
    std::memcpy(copy.data_ptr(), data, entry.end - entry.begin);
    return copy;
  }
  auto keep = mapping_;
  return torch::from_blob(data, entry.shape, [keep](void*) {}, options);
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    TORCH_CHECK(!name.empty(), path, ": a tensor has an empty name");
    TORCH_CHECK(name != "__metadata__", path, ": '__metadata__' is reserved and cannot name a tensor");
    TORCH_CHECK(names.insert(name).second, path, ": tensor '", name, "' given twice");
    const char* dtype = safetensors_dtype_name(tensor.scalar_type());
    TORCH_CHECK(dtype != nullptr, path, ": tensor '", name, "' has unsupported dtype ", tensor.scalar_type());
    contiguous.push_back(tensor.detach().to(torch::kCPU).contiguous());
    const uint64_t bytes = static_cast<uint64_t>(contiguous.back().nbytes());
    header[name] = {{"dtype", dtype}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  // Progress (rate, ETA) for files of large models only: a small checkpoint every step stays quiet.
  constexpr uint64_t kMiB = uint64_t{1} << 20, kProgressFrom = 256 * kMiB;
  std::optional<detail::Progress> progress;
  if (offset >= kProgressFrom) progress.emplace("save " + path, static_cast<int64_t>(offset / kMiB), "MiB");
  write_file_atomically(path, [&](std::ostream& out) {
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(length), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    uint64_t written = 0;
    for (const auto& t : contiguous) {
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
      const uint64_t before = written / kMiB;
      written += static_cast<uint64_t>(t.nbytes());
      if (progress) progress->advance(static_cast<int64_t>(written / kMiB - before));
    }
  });
}

}  // namespace grpo
