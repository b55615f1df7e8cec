// parse_safetensors_header(): kept apart from the file mapping and the writer so that the
// fuzz target (tests/fuzz/fuzz_safetensors.cpp) builds it with only c10 and nlohmann_json.
#include <grpo/model/safetensors.h>

#include "model/safetensors_dtype.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace grpo {
namespace {

using Json = nlohmann::json;

// The reference implementation's limit on the header length.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

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
  const auto type = safetensors_dtype(dtype);
  TORCH_CHECK(type.has_value(), where, ": unsupported dtype '", dtype,
              "' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  info.dtype = *type;

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

}  // namespace grpo
