#include "audit_chain.hpp"

#include <openssl/evp.h>

#include "sterifleet/store/store.hpp"

namespace sterifleet::store {

namespace detail {

namespace {

// Fetched once: an implicit fetch per digest costs more than hashing a short record.
const EVP_MD* sha256_method() {
  static const EVP_MD* const method = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!fetched) throw StoreError("OpenSSL has no SHA-256");
    return fetched;  // kept for the life of the process
  }();
  return method;
}

bool needs_escape(char c) { return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\'; }

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs that need no escaping (nearly all of it) are copied whole.
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!needs_escape(c)) continue;
    out.append(text.data() + start, i - start);
    start = i + 1;
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0xF]);
    }
  }
  out.append(text.data() + start, text.size() - start);
  out.push_back('"');
}

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
  append_json_string(out, p.action);
  out += ",\"actor\":";
  append_json_string(out, p.actor);
  out += ",\"after\":";
  out += p.after;
  out += ",\"at\":";
  append_json_string(out, p.at);
  out += ",\"before\":";
  out += p.before;
  out += ",\"cause\":";
  append_json_string(out, p.cause);
  out += ",\"entity\":";
  append_json_string(out, p.entity);
  out += ",\"prev\":";
  append_json_string(out, p.prev);
  out += ",\"seq\":";
  out += std::to_string(p.seq);
  out += '}';
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) throw StoreError("OpenSSL could not allocate a digest context");
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

HexDigest Sha256::digest(std::string_view a, std::string_view b) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestInit_ex2(context_, sha256_method(), nullptr) != 1 ||
      EVP_DigestUpdate(context_, a.data(), a.size()) != 1 || EVP_DigestUpdate(context_, b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(context_, md, &length) != 1 || length != 32) {
    throw StoreError("OpenSSL failed to compute a SHA-256");
  }
  static constexpr char hex[] = "0123456789abcdef";
  HexDigest out{};
  for (std::size_t i = 0; i < 32; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 0xF];
  }
  return out;
}

}  // namespace detail

namespace {

detail::Sha256& thread_hasher() {
  thread_local detail::Sha256 hasher;
  return hasher;
}

}  // namespace

std::string audit_canonical(std::int64_t seq, const engine::AuditRecord& record, const std::string& prev_hash) {
  std::string at;
  detail::append_timestamp(at, record.at);
  const auto before = detail::json_text(record.before);
  const auto after = detail::json_text(record.after);
  std::string out;
  detail::append_canonical(
      out, {seq, at, record.actor, record.entity, record.action, before, after, record.cause, prev_hash});
  return out;
}

std::string audit_hash(const std::string& prev_hash, const std::string& canonical) {
  return std::string(detail::view(thread_hasher().digest(prev_hash, canonical)));
}

std::string sha256_hex(std::string_view data) { return std::string(detail::view(thread_hasher().digest(data))); }

}  // namespace sterifleet::store
