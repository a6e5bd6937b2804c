#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/store/canonical_json.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store {

void put_payload(nlohmann::json& row, std::string_view payload) {
  if (invalid_utf8_at(payload) == std::string_view::npos) {
    row["payload"] = std::string(payload);
  } else {
    row["payload"] = nullptr;
    row["payload_hex"] = crypto::to_hex(payload);
  }
}

}  // namespace sterifleet::store
