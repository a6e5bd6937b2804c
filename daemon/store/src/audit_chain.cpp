#include "audit_chain.hpp"

#include <simdjson.h>

#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/crypto/sha256.hpp"
#include "sterifleet/store/canonical_json.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store {

namespace detail {

namespace {

void append_digits(std::string& out, unsigned value, int width) {
  char digits[8];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<std::size_t>(width));
}

}  // namespace

void append_timestamp(std::string& out, Timestamp ts) {
  using namespace std::chrono;
  const auto day = floor<days>(ts);
  const year_month_day date{day};
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) {
    out += protocol::format_timestamp(ts);
    return;
  }
  const hh_mm_ss<milliseconds> time{ts - day};
  append_digits(out, static_cast<unsigned>(year), 4);
  out.push_back('-');
  append_digits(out, static_cast<unsigned>(date.month()), 2);
  out.push_back('-');
  append_digits(out, static_cast<unsigned>(date.day()), 2);
  out.push_back('T');
  append_digits(out, static_cast<unsigned>(time.hours().count()), 2);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(time.minutes().count()), 2);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(time.seconds().count()), 2);
  out.push_back('.');
  append_digits(out, static_cast<unsigned>(time.subseconds().count()), 3);
  out.push_back('Z');
}

void append_canonical(std::string& out, const AuditParts& p) {
  // Keys in sorted order, as nlohmann::json (a std::map underneath) writes them.
  out += "{\"action\":";
  append_json_escaped(out, p.action);
  out += ",\"actor\":";
  append_json_escaped(out, p.actor);
  out += ",\"after\":";
  out += p.after;
  out += ",\"at\":";
  append_json_escaped(out, p.at);
  out += ",\"before\":";
  out += p.before;
  out += ",\"cause\":";
  append_json_escaped(out, p.cause);
  if (!p.clinic.empty()) {
    out += ",\"clinic\":";
    append_json_escaped(out, p.clinic);
  }
  out += ",\"entity\":";
  append_json_escaped(out, p.entity);
  out += ",\"prev\":";
  append_json_escaped(out, p.prev);
  out += ",\"seq\":";
  out += std::to_string(p.seq);
  out += '}';
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HexDigest link_hash(crypto::Sha256& sha256, std::string_view prev, std::string_view canonical) {
  return crypto::hex_array(sha256.update(prev).update(canonical).finish());
}

namespace {

// What cannot be put in the canonical form is repaired rather than refused: refusing would fail the
// whole commit, and with it the daemon, over one stray byte in a request or a device's text. The
// record then holds, and its hash covers, the repaired text.
std::string repaired(std::string_view text) {
  if (simdjson::validate_utf8(text.data(), text.size())) return std::string(text);
  return nlohmann::json::parse(json_text(std::string(text))).get<std::string>();
}

std::string canonical_repaired(const nlohmann::json& value) {
  try {
    return canonical_json(value);
  } catch (const CanonicalJsonError&) {
    return canonical_json(nlohmann::json::parse(json_text(value)));
  }
}

}  // namespace

AuditText audit_text(const engine::AuditRecord& record) {
  AuditText text;
  append_timestamp(text.at, record.at);
  text.actor = repaired(record.actor);
  text.entity = repaired(record.entity);
  text.action = repaired(record.action);
  text.cause = repaired(record.cause);
  text.clinic = repaired(record.clinic);
  text.before = canonical_repaired(record.before);
  text.after = canonical_repaired(record.after);
  return text;
}

}  // namespace detail

std::string audit_canonical(std::int64_t seq, const engine::AuditRecord& record, const std::string& prev_hash) {
  const auto text = detail::audit_text(record);
  std::string out;
  detail::append_canonical(out, {seq, text.at, text.actor, text.entity, text.action, text.before, text.after,
                                 text.cause, prev_hash, text.clinic});
  return out;
}

std::string audit_hash(const std::string& prev_hash, const std::string& canonical) {
  return crypto::sha256_hex(prev_hash + canonical);
}

}  // namespace sterifleet::store
