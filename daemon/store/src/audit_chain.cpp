#include "audit_chain.hpp"

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

AuditText audit_text(const engine::AuditRecord& record) {
  AuditText text;
  append_timestamp(text.at, record.at);
  const std::pair<const char*, std::string_view> strings[] = {
      {"actor", record.actor}, {"entity", record.entity}, {"action", record.action}, {"cause", record.cause}};
  for (const auto& [field, value] : strings) {
    const auto bad = invalid_utf8_at(value);
    if (bad != std::string_view::npos) {
      throw CanonicalJsonError(std::string(field) + ": invalid UTF-8 at byte " + std::to_string(bad));
    }
  }
  try {
    text.before = canonical_json(record.before);
  } catch (const CanonicalJsonError& e) {
    throw CanonicalJsonError(std::string("before") + (e.what()[0] == '/' ? "" : ": ") + e.what());
  }
  try {
    text.after = canonical_json(record.after);
  } catch (const CanonicalJsonError& e) {
    throw CanonicalJsonError(std::string("after") + (e.what()[0] == '/' ? "" : ": ") + e.what());
  }
  return text;
}

}  // namespace detail

std::string audit_canonical(std::int64_t seq, const engine::AuditRecord& record, const std::string& prev_hash) {
  const auto text = detail::audit_text(record);
  std::string out;
  detail::append_canonical(out, {seq, text.at, record.actor, record.entity, record.action, text.before, text.after,
                                 record.cause, prev_hash});
  return out;
}

std::string audit_hash(const std::string& prev_hash, const std::string& canonical) {
  return crypto::sha256_hex(prev_hash + canonical);
}

}  // namespace sterifleet::store
