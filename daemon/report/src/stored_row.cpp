#include "stored_row.hpp"

#include <array>

#include "sterifleet/store/store.hpp"

namespace sterifleet::report {

namespace {

[[noreturn]] void malformed(std::string_view text) {
  throw store::StoreError("a stored row is not a JSON object: " + std::string(text.substr(0, 120)));
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// What ends a number or a literal: one table lookup a character rather than six comparisons.
constexpr auto kEndsScalar = [] {
  std::array<bool, 256> table{};
  for (const char c : {',', '}', ']', ' ', '\t', '\n', '\r'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();
bool ends_scalar(char c) { return kEndsScalar[static_cast<unsigned char>(c)]; }

// Reads JSON values off the front of a text; each read returns the value's own text. Pointers, not
// indices: this loop is most of a year's export.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text), at_(text.data()), end_(text.data() + text.size()) {}

  char peek() {
    while (at_ != end_ && is_space(*at_)) ++at_;
    if (at_ == end_) malformed(text_);
    return *at_;
  }
  void expect(char c) {
    if (peek() != c) malformed(text_);
    ++at_;
  }
  bool done() {
    while (at_ != end_ && is_space(*at_)) ++at_;
    return at_ == end_;
  }

  std::string_view string() {
    const char* start = at_;
    expect('"');
    while (true) {
      while (at_ != end_ && *at_ != '"' && *at_ != '\\') ++at_;
      if (at_ == end_) malformed(text_);
      if (*at_++ == '"') return view(start);
      if (at_ == end_) malformed(text_);
      ++at_;  // the escaped character, which may be a quote
    }
  }

  std::string_view value() {
    const char first = peek();
    if (first == '"') return string();
    const char* start = at_;
    if (first == '{' || first == '[') {
      int depth = 0;
      while (at_ != end_) {
        const char c = *at_;
        if (c == '"') {
          string();
          continue;
        }
        ++at_;
        if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return view(start);
        }
      }
      malformed(text_);
    }
    while (at_ != end_ && !ends_scalar(*at_)) ++at_;
    if (at_ == start) malformed(text_);
    return view(start);
  }

  // Visits each element (array) or key and value (object) up to the closing bracket.
  template <class Visit>
  void items(char open, char close, Visit visit) {
    expect(open);
    if (peek() == close) {
      ++at_;
      return;
    }
    while (true) {
      visit();
      if (peek() == close) {
        ++at_;
        return;
      }
      expect(',');
    }
  }

 private:
  std::string_view view(const char* start) const { return {start, static_cast<std::size_t>(at_ - start)}; }

  std::string_view text_;
  const char* at_;
  const char* end_;
};

std::string_view unquoted(std::string_view text) { return text.substr(1, text.size() - 2); }

}  // namespace

StoredRow::StoredRow(std::string_view text) : text_(text) {
  Reader reader(text);
  reader.items('{', '}', [&] {
    const auto key = unquoted(reader.string());
    reader.expect(':');
    add({key, reader.value()});
  });
  if (!reader.done()) malformed(text);
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
  Reader reader(*value);
  reader.items('[', ']', [&] { out.push_back(reader.value()); });
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
