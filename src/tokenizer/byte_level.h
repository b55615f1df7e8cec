#pragma once
// The byte-level alphabet of GPT-2 (bytes_to_unicode), shared by the ByteLevel pre-tokenizer
// and the ByteLevel decoder: printable bytes map to their own code point, the others to U+0100
// onwards in byte order.

#include <string>
#include <string_view>

namespace grpo::detail {

/// Appends the byte-level characters (UTF-8) of `bytes` to `out`.
void append_byte_level(std::string& out, std::string_view bytes);

/// Bytes of a token under the byte-level decoder: every character mapped back to its byte, or
/// the token's own bytes when one of its characters is outside the alphabet.
std::string byte_level_decode(const std::string& token);

}  // namespace grpo::detail
