#include <simdjson.h>

#include "sterifleet/store/store.hpp"

namespace sterifleet::store {

namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}

}  // namespace

void put_payload(nlohmann::json& row, std::string_view payload) {
  if (simdjson::validate_utf8(payload)) {
    row["payload"] = std::string(payload);
  } else {
    row["payload"] = nullptr;
    row["payload_hex"] = hex(payload);
  }
}

}  // namespace sterifleet::store
