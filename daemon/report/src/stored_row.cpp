#include "stored_row.hpp"

#include <simdjson.h>

#include <cstring>
#include <utility>

#include "sterifleet/store/store.hpp"

namespace sterifleet::report {

namespace {

namespace od = simdjson::ondemand;

[[noreturn]] void malformed(std::string_view text) {
  throw store::StoreError("a stored row is not a JSON object: " + std::string(text.substr(0, 120)));
}

// On-Demand reads padded input, which SQLite's text is not: each text is copied into one buffer the
// thread keeps, next to a parser whose buffers are reused from row to row. What is found in the copy is
// handed back as a view of the text itself, so a row (and a row within it) outlives the next parse.
class Parse {
 public:
  explicit Parse(std::string_view text) : text_(text) {
    static thread_local od::parser parser;
    static thread_local std::string padded;
    if (padded.size() < text.size() + simdjson::SIMDJSON_PADDING)
      padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(padded.data(), text.data(), text.size());
    copy_ = padded.data();
    if (parser.iterate(padded.data(), text.size(), padded.size()).get(document_)) malformed(text_);
  }

  od::document& document() { return document_; }

  /// A value's JSON text, as a view of the text parsed.
  std::string_view text_of(od::value& value) {
    std::string_view found;
    if (simdjson::to_json_string(value).get(found)) malformed(text_);
    return in_text(found.data(), found.size());
  }

  /// The whole text was one value: nothing follows it but spaces.
  void expect_end() {
    const char* at = nullptr;
    if (document_.current_location().get(at) != simdjson::OUT_OF_BOUNDS) malformed(text_);
  }

  std::string_view in_text(const char* at, std::size_t size) const {
    return text_.substr(static_cast<std::size_t>(at - copy_), size);
  }

 private:
  std::string_view text_;
  const char* copy_ = nullptr;
  od::document document_;
};

std::string_view unquoted(std::string_view text) { return text.substr(1, text.size() - 2); }

}  // namespace

StoredRow::StoredRow(std::string_view text) : text_(text) {
  Parse parse(text);
  od::object object;
  if (parse.document().get_object().get(object)) malformed(text);
  for (auto found : object) {
    od::field field;
    if (std::move(found).get(field)) malformed(text);
    const auto value = parse.text_of(field.value());
    // The key is written as stored, escapes and all: it ends at the last quote before its value.
    const auto key_start = parse.in_text(field.key().raw(), 0).data();
    const auto before_value = std::string_view(key_start, static_cast<std::size_t>(value.data() - key_start));
    add({before_value.substr(0, before_value.rfind('"')), value});
  }
  parse.expect_end();
}

std::optional<std::string_view> StoredRow::member(std::string_view key) const {
  const auto named = [&](const Member& m) {
    // Sizes and first letters differ for most: no memcmp call for those.
    return m.first.size() == key.size() && (key.empty() || m.first.front() == key.front()) && m.first == key;
  };
  for (std::size_t i = 0; i < size_; ++i) {
    if (named(inline_[i])) return inline_[i].second;
  }
  for (const auto& m : more_) {
    if (named(m)) return m.second;
  }
  return std::nullopt;
}

std::optional<StoredRow> StoredRow::object(std::string_view key) const {
  const auto value = member(key);
  if (!value || value->front() != '{') return std::nullopt;
  return StoredRow(*value);
}

std::vector<std::string_view> StoredRow::elements(std::string_view key) const {
  std::vector<std::string_view> out;
  const auto value = member(key);
  if (!value || value->front() != '[') return out;
  Parse parse(*value);
  od::array array;
  if (parse.document().get_array().get(array)) malformed(*value);
  for (auto element : array) {
    od::value item;
    if (std::move(element).get(item)) malformed(*value);
    out.push_back(parse.text_of(item));
  }
  parse.expect_end();
  return out;
}

std::string StoredRow::string(std::string_view key, std::string_view fallback) const {
  const auto value = member(key);
  if (!value || value->front() != '"') return std::string(fallback);
  return json_string(*value);
}

bool StoredRow::boolean(std::string_view key, bool fallback) const {
  const auto value = member(key);
  if (value == "true") return true;
  if (value == "false") return false;
  return fallback;
}

nlohmann::json StoredRow::json() const {
  auto parsed = nlohmann::json::parse(text_, nullptr, false);
  if (parsed.is_discarded()) malformed(text_);
  return parsed;
}

std::string json_string(std::string_view text) {
  const auto inner = unquoted(text);
  if (inner.find('\\') == std::string_view::npos) return std::string(inner);
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_string()) malformed(text);
  return parsed.get<std::string>();
}

}  // namespace sterifleet::report
