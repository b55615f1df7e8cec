#include <grpo/model/safetensors.h>

#include <grpo/data/files.h>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

namespace grpo {
namespace {

using Json = nlohmann::json;

// The reference implementation's limit on the header length.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};
constexpr DtypeName kDtypes[] = {
    {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
    {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},   {"I8", torch::kInt8},
    {"U8", torch::kUInt8},    {"BOOL", torch::kBool},
};

const char* dtype_name(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type) return d.name;
  }
  return nullptr;
}

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Reads one unsigned integer field of an entry.
uint64_t read_offset(const Json& value, const std::string& source, const std::string& name) {
  TORCH_CHECK(value.is_number_unsigned(), source, ": tensor '", name,
              "': data_offsets must be two non-negative integers, got ", value.dump());
  return value.get<uint64_t>();
}

SafetensorsTensorInfo parse_entry(const std::string& name, const Json& entry, uint64_t data_size,
                                  const std::string& source) {
  const std::string where = source + ": tensor '" + name + "'";
  TORCH_CHECK(!name.empty(), source, ": a tensor has an empty name");
  TORCH_CHECK(entry.is_object(), where, ": entry must be an object, got ", entry.dump());
  for (const auto& item : entry.items()) {
    TORCH_CHECK(item.key() == "dtype" || item.key() == "shape" || item.key() == "data_offsets", where,
                ": unknown field '", item.key(), "'");
  }
  TORCH_CHECK(entry.contains("dtype") && entry["dtype"].is_string(), where, ": dtype must be a string");
  TORCH_CHECK(entry.contains("shape") && entry["shape"].is_array(), where, ": shape must be an array");
  TORCH_CHECK(entry.contains("data_offsets") && entry["data_offsets"].is_array() && entry["data_offsets"].size() == 2,
              where, ": data_offsets must be an array of two integers");

  SafetensorsTensorInfo info;
  info.name = name;
  const auto dtype = entry["dtype"].get<std::string>();
  const auto* known = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                   [&](const DtypeName& d) { return dtype == d.name; });
  TORCH_CHECK(known != std::end(kDtypes), where, ": unsupported dtype '", dtype,
              "' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  info.dtype = known->type;

  // Element count, guarding against overflow: the product must fit the data section.
  uint64_t elements = 1;
  for (const auto& size : entry["shape"]) {
    TORCH_CHECK(size.is_number_unsigned(), where, ": shape must hold non-negative integers, got ",
                entry["shape"].dump());
    const auto s = size.get<uint64_t>();
    TORCH_CHECK(s <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), where, ": size ", s,
                " is too large");
    TORCH_CHECK(s == 0 || elements <= data_size / s, where, ": shape ", entry["shape"].dump(),
                " holds more elements than the file has bytes");
    elements *= s;
    info.shape.push_back(static_cast<int64_t>(s));
  }
  info.begin = read_offset(entry["data_offsets"][0], source, name);
  info.end = read_offset(entry["data_offsets"][1], source, name);
  TORCH_CHECK(info.begin <= info.end, where, ": data_offsets [", info.begin, ", ", info.end, "] are reversed");
  TORCH_CHECK(info.end <= data_size, where, ": data_offsets [", info.begin, ", ", info.end,
              "] end past the data section of ", data_size, " bytes (truncated file?)");
  const uint64_t expected = elements * c10::elementSize(info.dtype);  // elements <= data_size: no overflow
  TORCH_CHECK(info.end - info.begin == expected, where, ": data_offsets [", info.begin, ", ", info.end, "] span ",
              info.end - info.begin, " bytes but ", dtype, " x shape ", entry["shape"].dump(), " needs ", expected);
  return info;
}

}  // namespace

SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, size_t size, const std::string& source) {
  TORCH_CHECK(size >= 8, source, ": not a safetensors file: ", size, " bytes, shorter than the 8-byte header length");
  const uint64_t header_bytes = read_le64(bytes);
  TORCH_CHECK(header_bytes <= kMaxHeaderBytes, source, ": header length ", header_bytes,
              " exceeds the limit of 100000000 bytes");
  TORCH_CHECK(header_bytes <= size - 8, source, ": header length ", header_bytes, " exceeds the file's ",
              size - 8, " bytes after the length (truncated file?)");
  SafetensorsHeader header;
  header.data_offset = 8 + header_bytes;
  const uint64_t data_size = size - header.data_offset;

  const auto* text = reinterpret_cast<const char*>(bytes + 8);
  const Json json = Json::parse(text, text + header_bytes, nullptr, /*allow_exceptions=*/false);
  TORCH_CHECK(!json.is_discarded(), source, ": the header is not valid JSON");
  TORCH_CHECK(json.is_object(), source, ": the header must be a JSON object, got ", json.type_name());

  for (const auto& item : json.items()) {
    if (item.key() == "__metadata__") {
      TORCH_CHECK(item.value().is_object(), source, ": __metadata__ must be an object of strings");
      for (const auto& meta : item.value().items()) {
        TORCH_CHECK(meta.value().is_string(), source, ": __metadata__ value of '", meta.key(),
                    "' must be a string, got ", meta.value().dump());
        header.metadata[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    header.tensors.push_back(parse_entry(item.key(), item.value(), data_size, source));
  }
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const auto& a, const auto& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  for (size_t i = 1; i < header.tensors.size(); ++i) {
    const auto& prev = header.tensors[i - 1];
    const auto& cur = header.tensors[i];
    // Empty tensors occupy no bytes and may share an offset with anything.
    const bool overlap = prev.end > cur.begin && prev.begin != prev.end && cur.begin != cur.end;
    TORCH_CHECK(!overlap, source, ": tensors '", prev.name, "' [", prev.begin, ", ", prev.end, ") and '", cur.name,
                "' [", cur.begin, ", ", cur.end, ") overlap");
  }
  return header;
}

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
    const char* dtype = dtype_name(tensor.scalar_type());
    TORCH_CHECK(dtype != nullptr, path, ": tensor '", name, "' has unsupported dtype ", tensor.scalar_type());
    contiguous.push_back(tensor.detach().to(torch::kCPU).contiguous());
    const uint64_t bytes = static_cast<uint64_t>(contiguous.back().nbytes());
    header[name] = {{"dtype", dtype}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  write_file_atomically(path, [&](std::ostream& out) {
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(length), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& t : contiguous) {
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    }
  });
}

}  // namespace grpo
