#include "sterifleet/checkpoint/checkpoint.hpp"

#include <algorithm>

#include "sterifleet/crypto/base64.hpp"

namespace sterifleet::checkpoint {

namespace {

using nlohmann::json;

constexpr std::string_view scheme = "sterifleet audit checkpoint v1";

bool is_hex_digest(const std::string& text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

template <std::size_t N>
std::optional<std::array<unsigned char, N>> fixed_bytes(const std::string& base64) {
  const auto bytes = crypto::from_base64(base64);
  if (!bytes || bytes->size() != N) return std::nullopt;
  std::array<unsigned char, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

Parsed refused(std::string problem) { return {std::nullopt, std::move(problem)}; }

}  // namespace

std::string signed_text(const Checkpoint& c) {
  std::string text(scheme);
  text += "\nseq ";
  text += std::to_string(c.seq);
  text += "\nhead ";
  text += c.head;
  text += "\nfirst ";
  text += c.first;
  text += "\nat ";
  text += protocol::format_timestamp(c.at);
  text += '\n';
  return text;
}

Checkpoint sign(const crypto::SigningKey& key, const store::AuditHead& head, std::string first, Timestamp at) {
  Checkpoint c{head.seq, head.hash, std::move(first), at, key.public_key(), {}};
  c.signature = key.sign(signed_text(c));
  return c;
}

Checkpoint sign(const crypto::SigningKey& key, store::Store& store, const store::AuditHead& head, Timestamp at) {
  std::string first(64, '0');
  if (head.seq >= 1) {
    const auto record = store.audit_record(store::fleet_chain, 1);
    if (!record) throw store::StoreError("the audit trail has a head but no record 1");
    first = record->at("hash").get<std::string>();
  }
  return sign(key, head, std::move(first), at);
}

json to_json(const Checkpoint& c) {
  return json{{"v", 1},
              {"seq", c.seq},
              {"head", c.head},
              {"first", c.first},
              {"at", protocol::format_timestamp(c.at)},
              {"key", key_text(c.key)},
              {"sig", crypto::to_base64(c.signature)}};
}

std::string to_line(const Checkpoint& c) { return to_json(c).dump(); }

Parsed from_json(const json& value) {
  if (!value.is_object()) return refused("not a JSON object");
  auto text = [&](const char* name) -> std::optional<std::string> {
    const auto it = value.find(name);
    if (it == value.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto version = value.find("v");
  if (version == value.end() || *version != 1) return refused("v: must be 1");
  const auto seq = value.find("seq");
  if (seq == value.end() || !seq->is_number_integer() || seq->get<std::int64_t>() < 0) {
    return refused("seq: must be a whole number, 0 or more");
  }
  Checkpoint c;
  c.seq = seq->get<std::int64_t>();
  const auto head = text("head");
  if (!head || !is_hex_digest(*head)) return refused("head: must be 64 lower-case hex digits");
  c.head = *head;
  const auto first = text("first");
  if (!first || !is_hex_digest(*first)) return refused("first: must be 64 lower-case hex digits");
  c.first = *first;
  const auto at_text = text("at");
  const auto at = at_text ? protocol::parse_timestamp(*at_text) : std::nullopt;
  if (!at) return refused("at: must be an RFC 3339 UTC time");
  c.at = *at;
  const auto key_field = text("key");
  const auto key = key_field ? fixed_bytes<32>(*key_field) : std::nullopt;
  if (!key) return refused("key: must be the base64 of a 32-byte Ed25519 public key");
  c.key = *key;
  const auto sig_field = text("sig");
  const auto sig = sig_field ? fixed_bytes<64>(*sig_field) : std::nullopt;
  if (!sig) return refused("sig: must be the base64 of a 64-byte Ed25519 signature");
  c.signature = *sig;
  return {std::move(c), {}};
}

Parsed from_line(std::string_view line) {
  const auto value = json::parse(line, nullptr, false);
  if (value.is_discarded()) return refused("not JSON");
  return from_json(value);
}

std::optional<std::string> signature_problem(const Checkpoint& c, const std::optional<crypto::PublicKey>& pinned) {
  if (pinned && c.key != *pinned) {
    return "signed by key " + key_text(c.key) + ", not by the pinned key " + key_text(*pinned);
  }
  if (!crypto::verify_signature(c.key, signed_text(c), c.signature)) {
    return "its signature is not key " + key_text(c.key) + "'s over its contents (forged or altered)";
  }
  return std::nullopt;
}

std::string key_text(const crypto::PublicKey& key) { return crypto::to_base64(key); }

}  // namespace sterifleet::checkpoint
