#include "sterifleet/crypto/base64.hpp"

#include <openssl/evp.h>

#include <climits>
#include <cstdint>
#include <stdexcept>

namespace sterifleet::crypto {

namespace {

bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Shape only: EVP_DecodeBlock skips whitespace and decodes padding as zero bytes, so it must see
// nothing but well-formed quads.
std::size_t padding_of_well_formed(std::string_view text) {
  if (text.size() % 4 != 0) return SIZE_MAX;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    if (!in_alphabet(text[i])) return SIZE_MAX;
  }
  return padding;
}

}  // namespace

std::string to_base64(std::span<const unsigned char> bytes) {
  if (bytes.size() > INT_MAX / 4 * 3) throw std::invalid_argument("to_base64: too many bytes at once");
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // + 1: EVP_EncodeBlock writes a terminator
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string to_base64(std::string_view bytes) {
  return to_base64(std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

std::optional<std::string> from_base64(std::string_view text) {
  if (text.size() > INT_MAX) return std::nullopt;
  const std::size_t padding = padding_of_well_formed(text);
  if (padding == SIZE_MAX) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int decoded =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (decoded < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(decoded) - padding);
  // Non-zero unused bits ("Zh==" besides "Zg==") decode to the same bytes: one key, one spelling.
  if (to_base64(out) != text) return std::nullopt;
  return out;
}

}  // namespace sterifleet::crypto
