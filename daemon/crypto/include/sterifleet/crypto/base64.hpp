// Base64 with the standard alphabet and padding (RFC 4648 section 4): webhook secrets ("whsec_<base64>")
// and the signatures sent in headers.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sterifleet::crypto {

std::string to_base64(std::span<const unsigned char> bytes);
std::string to_base64(std::string_view bytes);

/// The bytes `text` encodes; none unless it is canonical base64: a multiple of four characters from the
/// standard alphabet, '=' only as the last one or two, unused bits zero, no whitespace. Secrets come
/// from configuration files, so a stray character must be an error rather than a different key.
std::optional<std::string> from_base64(std::string_view text);

}  // namespace sterifleet::crypto
