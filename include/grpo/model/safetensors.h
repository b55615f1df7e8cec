#pragma once
/// @file Reading and writing the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length N, N bytes of JSON header
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
///   "__metadata__": {"key": "value"}}`, then the tensors' bytes, offsets relative to the byte
/// after the header.
///
/// The reader trusts nothing in a file: every header field is checked (length, JSON, dtype,
/// shape, offsets inside the data section, size = dtype size x element count, no two tensors
/// overlapping, no gap-free requirement) and a bad file gives a c10::Error naming the file and
/// the field, never a crash (the parser is fuzzed: tests/fuzz/safetensors_fuzz.cpp).

#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace grpo {

/// One tensor's entry of a safetensors header.
struct SafetensorsTensorInfo {
  /// Tensor name, for example `model.layers.0.self_attn.q_proj.weight`.
  std::string name;
  /// Element type: F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL.
  torch::ScalarType dtype = torch::kFloat32;
  /// Sizes, each >= 0; empty for a scalar.
  std::vector<int64_t> shape;
  /// Byte range [begin, end) inside the data section (after the header).
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// A parsed and validated safetensors header.
struct SafetensorsHeader {
  /// The tensors, sorted by `begin`.
  std::vector<SafetensorsTensorInfo> tensors;
  /// The `__metadata__` string map (empty when absent).
  std::map<std::string, std::string> metadata;
  /// Offset of the data section from the start of the file: 8 + the header length.
  uint64_t data_offset = 0;
};

/// Parses the header of a whole safetensors file held in memory.
/// @param bytes the file's bytes. @param size the file's length in bytes.
/// @param source name used in error messages (the file's path).
/// @throws c10::Error naming `source` and the problem when the file is shorter than its
///   header, the header length exceeds 100 MB or the file, the header is not a JSON object,
///   an entry lacks or mistypes `dtype`, `shape` or `data_offsets`, a dtype is unknown, a size
///   is negative or the element count overflows, a byte range is reversed, lies outside the
///   data section or does not equal dtype size x element count, two ranges overlap, or
///   `__metadata__` is not a map of strings.
SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, size_t size, const std::string& source);

/// A safetensors file mapped read-only into memory (copy-on-write: tensors may be written
/// without touching the file). Tensors returned by tensor() view the mapping without a copy
/// (unless misaligned for their dtype) and keep it alive after the SafetensorsFile is gone.
class SafetensorsFile {
 public:
  /// Maps and validates `path`.
  /// @throws c10::Error naming the path if it cannot be opened or mapped, or as
  ///   parse_safetensors_header().
  explicit SafetensorsFile(const std::string& path);

  /// The file's path.
  const std::string& path() const { return path_; }
  /// The parsed header.
  const SafetensorsHeader& header() const { return header_; }
  /// Whether the file holds a tensor of this name.
  bool contains(const std::string& name) const;
  /// The entry of `name`. @throws c10::Error naming the file and the tensor if absent.
  const SafetensorsTensorInfo& info(const std::string& name) const;
  /// The tensor `name`: CPU, the file's dtype and shape, contiguous.
  /// @throws c10::Error naming the file and the tensor if absent.
  torch::Tensor tensor(const std::string& name) const;

 private:
  struct Mapping;
  std::string path_;
  std::shared_ptr<Mapping> mapping_;
  SafetensorsHeader header_;
  std::map<std::string, size_t> index_;
};

/// Writes `tensors` (any device, dtypes as SafetensorsTensorInfo::dtype) to `path` atomically
/// (a temporary file renamed over `path`), in the given order, with the header padded by
/// spaces to a multiple of 8 bytes as the reference implementation does.
/// @throws c10::Error naming the file for an empty or repeated name, the reserved name
///   `__metadata__`, an unsupported dtype, or a write error.
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace grpo
