#pragma once
// TensorBoard event files: what `report_to: ["tensorboard"]` writes. Compiled without
// LibTorch's include directories (they carry another protobuf's headers), so this header uses
// only the standard library and its errors are std::runtime_error.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace grpo::detail {

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `size` bytes, as TFRecord files use.
/// Check value: crc32c("123456789") = 0xE3069283 (RFC 3720, appendix B.4).
uint32_t crc32c(const void* data, size_t size);

/// TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8, of crc32c().
uint32_t masked_crc32c(const void* data, size_t size);

/// Appends TensorBoard `Event` protobufs (tensorboard/compat/proto/event.proto) as TFRecords to
/// `<dir>/events.out.tfevents.<unix seconds>.<host>.<pid>`: uint64 length, masked CRC of the
/// length, the bytes, masked CRC of the bytes (little endian). The first event carries
/// `file_version: "brain.Event:2"`. Every event is flushed, so a run that stops leaves at most
/// one partial record at the end, which TensorBoard's reader skips.
class EventWriter {
 public:
  /// Creates the file in `dir`, which must exist.
  /// @throws std::runtime_error naming the file when it cannot be created or written.
  explicit EventWriter(const std::string& dir);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  /// A scalar (Summary.Value.simple_value, float32) under `tag` at `step`.
  /// @throws std::runtime_error naming the file when it cannot be written.
  void add_scalar(const std::string& tag, double value, int64_t step);
  /// A text summary (a DT_STRING scalar tensor with the `text` plugin; TensorBoard renders it as
  /// Markdown) under `tag` at `step`.
  /// @throws std::runtime_error naming the file when it cannot be written.
  void add_text(const std::string& tag, const std::string& markdown, int64_t step);

  /// The event file's path.
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& bytes);

  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace grpo::detail
