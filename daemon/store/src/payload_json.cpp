#include <simdjson.h>

#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store {

void put_payload(nlohmann::json& row, std::string_view payload) {
  if (simdjson::validate_utf8(payload)) {
    row["payload"] = std::string(payload);
  } else {
    row["payload"] = nullptr;
    row["payload_hex"] = crypto::to_hex(payload);
  }
}

}  // namespace sterifleet::store
