// Bytes as lower-case hex and back: digests, ids, cursors and payloads that are not UTF-8.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sterifleet::crypto {

/// Two lower-case digits a byte, appended to `out`.
void append_hex(std::string& out, std::span<const unsigned char> bytes);
void append_hex(std::string& out, std::string_view bytes);
std::string to_hex(std::span<const unsigned char> bytes);
std::string to_hex(std::string_view bytes);

/// The hex of N bytes in a fixed array, for hot paths that must not allocate.
template <std::size_t N>
std::array<char, 2 * N> hex_array(const std::array<unsigned char, N>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::array<char, 2 * N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0xF];
  }
  return out;
}

/// The bytes `hex` spells (either case); none when its length is odd or a character is not a digit.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace sterifleet::crypto
