// The three ways a snapshot walks the engine's records: written as bytes, read back from bytes, and
// written as JSON. Each record lists its fields once, as `a("name", field)` calls in a describe()
// overload (snapshot_layout.hpp); these archives handle every field by its type, so writing and
// reading can never disagree on the order, and the JSON shows exactly what the bytes hold.
//
// Encoding: unsigned integers and enums as LEB128 varints, signed ones zigzagged first, doubles as
// their 8 IEEE bytes (little-endian), strings and containers prefixed by their size; unordered
// containers are written sorted by key, so equal states give equal bytes. The reader checks every
// size against the bytes left and every enum against its range: damaged bytes throw SnapshotError,
// they never allocate wildly or make an out-of-range enum.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sterifleet/engine/snapshot.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/protocol/units.hpp"

namespace sterifleet::engine::snapshot_io {

using protocol::Timestamp;

/// `T` is `U` or `const U`: a describe() overload serves writers (const) and the reader alike.
template <class T, class U>
concept Is = std::same_as<std::remove_const_t<T>, U>;

/// How many values an enum held in a snapshot has (specialised in snapshot_layout.hpp), for the
/// reader's range check.
template <class E>
struct EnumSize;

inline constexpr std::string_view kMagic = "SFENGSNP";

// Keys that JSON can hold as object member names; other keys make arrays of [key, value].
template <class K>
constexpr bool is_text_key = std::is_same_v<K, std::string>;
template <class Tag>
constexpr bool is_text_key<protocol::Id<Tag>> = true;

inline const std::string& key_text(const std::string& key) { return key; }
template <class Tag>
const std::string& key_text(const protocol::Id<Tag>& key) {
  return key.str();
}

// Entries of an unordered map in key order.
template <class Map>
std::vector<const typename Map::value_type*> sorted_entries(const Map& map) {
  std::vector<const typename Map::value_type*> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}

class BinaryWriter {
 public:
  BinaryWriter() {
    out_.append(kMagic);
    put(snapshot_format);
  }

  template <class T>
  void operator()(std::string_view, const T& value) {
    put(value);
  }

  std::string take() && { return std::move(out_); }

  void put(const std::string& text) {
    varint(text.size());
    out_.append(text);
  }
  void put(Timestamp t) { put(t.time_since_epoch().count()); }
  void put(protocol::Date date) {
    put(static_cast<int>(date.year()));
    put(static_cast<unsigned>(date.month()));
    put(static_cast<unsigned>(date.day()));
  }
  template <class Tag>
  void put(const protocol::Id<Tag>& id) {
    put(id.str());
  }
  template <class Tag>
  void put(const protocol::Quantity<Tag>& quantity) {
    put(quantity.value);
  }
  template <class Rep, class Period>
  void put(const std::chrono::duration<Rep, Period>& duration) {
    put(duration.count());
  }
  template <class T>
  void put(const std::optional<T>& value) {
    put(value.has_value());
    if (value) put(*value);
  }
  template <class A, class B>
  void put(const std::pair<A, B>& pair) {
    put(pair.first);
    put(pair.second);
  }
  template <class T>
  void put(const std::vector<T>& items) {
    each(items);
  }
  template <class T, std::size_t N>
  void put(const std::array<T, N>& items) {
    each(items);
  }
  template <class T, class C>
  void put(const std::set<T, C>& items) {
    each(items);
  }
  template <class K, class V, class C>
  void put(const std::map<K, V, C>& map) {
    each(map);
  }
  template <class K, class V, class C>
  void put(const std::multimap<K, V, C>& map) {
    each(map);
  }
  template <class K, class V, class H, class E>
  void put(const std::unordered_map<K, V, H, E>& map) {
    varint(map.size());
    for (const auto* entry : sorted_entries(map)) put(*entry);
  }
  /// Scalars, and records through their describe() overload.
  template <class T>
  void put(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      out_.push_back(value ? '\1' : '\0');
    } else if constexpr (std::is_enum_v<T>) {
      varint(static_cast<std::uint64_t>(value));
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      const auto wide = static_cast<std::int64_t>(value);
      varint((static_cast<std::uint64_t>(wide) << 1) ^ static_cast<std::uint64_t>(wide >> 63));
    } else if constexpr (std::is_integral_v<T>) {
      varint(value);
    } else if constexpr (std::is_same_v<T, double>) {
      auto bits = std::bit_cast<std::uint64_t>(value);
      for (int i = 0; i < 8; ++i, bits >>= 8) out_.push_back(static_cast<char>(bits & 0xff));
    } else {
      describe(*this, value);
    }
  }

 private:
  template <class Container>
  void each(const Container& items) {
    varint(items.size());
    for (const auto& item : items) put(item);
  }
  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }

  std::string out_;
};

class BinaryReader {
 public:
  /// Checks the magic and the format version.
  explicit BinaryReader(std::string_view bytes) : in_(bytes) {
    if (!in_.starts_with(kMagic)) throw SnapshotError("not an engine snapshot (no magic)");
    in_.remove_prefix(kMagic.size());
    std::uint32_t format = 0;
    get(format);
    if (format != snapshot_format) {
      throw SnapshotError("snapshot format " + std::to_string(format) + ", this engine reads format " +
                          std::to_string(snapshot_format));
    }
  }

  template <class T>
  void operator()(std::string_view name, T& value) {
    field_ = name;
    get(value);
  }

  void expect_end() const {
    if (!in_.empty()) throw SnapshotError(std::to_string(in_.size()) + " stray bytes after the snapshot");
  }

  void get(std::string& text) {
    const auto size = count();
    text.assign(in_.substr(0, size));
    in_.remove_prefix(size);
  }
  void get(Timestamp& t) {
    std::int64_t ms = 0;
    get(ms);
    t = Timestamp(std::chrono::milliseconds(ms));
  }
  void get(protocol::Date& date) {
    int year = 0;
    unsigned month = 0, day = 0;
    get(year);
    get(month);
    get(day);
    date = std::chrono::year(year) / std::chrono::month(month) / std::chrono::day(day);
  }
  template <class Tag>
  void get(protocol::Id<Tag>& id) {
    std::string text;
    get(text);
    id = protocol::Id<Tag>(std::move(text));
  }
  template <class Tag>
  void get(protocol::Quantity<Tag>& quantity) {
    get(quantity.value);
  }
  template <class Rep, class Period>
  void get(std::chrono::duration<Rep, Period>& duration) {
    Rep count = 0;
    get(count);
    duration = std::chrono::duration<Rep, Period>(count);
  }
  template <class T>
  void get(std::optional<T>& value) {
    bool present = false;
    get(present);
    if (present) {
      get(value.emplace());
    } else {
      value.reset();
    }
  }
  template <class A, class B>
  void get(std::pair<A, B>& pair) {
    get(pair.first);
    get(pair.second);
  }
  template <class T>
  void get(std::vector<T>& items) {
    const auto size = count();
    items.clear();
    items.reserve(size);
    for (std::size_t i = 0; i < size; ++i) get(items.emplace_back());
  }
  template <class T, std::size_t N>
  void get(std::array<T, N>& items) {
    if (count() != N) fail("expected " + std::to_string(N) + " items");
    for (auto& item : items) get(item);
  }
  template <class T, class C>
  void get(std::set<T, C>& items) {
    const auto size = count();
    items.clear();
    for (std::size_t i = 0; i < size; ++i) {
      T item{};
      get(item);
      if (!items.insert(std::move(item)).second) fail("an item appears twice");
    }
  }
  template <class K, class V, class C>
  void get(std::map<K, V, C>& map) {
    fill_unique(map, count());
  }
  template <class K, class V, class C>
  void get(std::multimap<K, V, C>& map) {
    const auto size = count();
    map.clear();
    for (std::size_t i = 0; i < size; ++i) {
      std::pair<K, V> entry{};
      get(entry);
      map.emplace_hint(map.end(), std::move(entry));  // after its equals: their order is kept
    }
  }
  template <class K, class V, class H, class E>
  void get(std::unordered_map<K, V, H, E>& map) {
    const auto size = count();
    map.clear();
    map.reserve(size);
    fill_unique(map, size);
  }
  template <class T>
  void get(T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      const auto byte = take_byte();
      if (byte > 1) fail("a flag reads " + std::to_string(byte));
      value = byte == 1;
    } else if constexpr (std::is_enum_v<T>) {
      const auto raw = varint();
      if (raw >= EnumSize<T>::value) fail("enum value " + std::to_string(raw) + " out of range");
      value = static_cast<T>(raw);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      const auto raw = varint();
      const auto wide = static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
      if (wide < std::numeric_limits<T>::min() || wide > std::numeric_limits<T>::max()) fail("integer out of range");
      value = static_cast<T>(wide);
    } else if constexpr (std::is_integral_v<T>) {
      const auto raw = varint();
      if (raw > std::numeric_limits<T>::max()) fail("integer out of range");
      value = static_cast<T>(raw);
    } else if constexpr (std::is_same_v<T, double>) {
      if (in_.size() < 8) fail("truncated");
      std::uint64_t bits = 0;
      for (int i = 7; i >= 0; --i) bits = (bits << 8) | static_cast<unsigned char>(in_[static_cast<std::size_t>(i)]);
      in_.remove_prefix(8);
      value = std::bit_cast<double>(bits);
    } else {
      describe(*this, value);
    }
  }

 private:
  template <class Map>
  void fill_unique(Map& map, std::size_t size) {
    map.clear();
    for (std::size_t i = 0; i < size; ++i) {
      std::pair<typename Map::key_type, typename Map::mapped_type> entry{};
      get(entry);
      if (!map.insert(std::move(entry)).second) fail("a key appears twice");
    }
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw SnapshotError("damaged snapshot at " + std::string(field_) + ": " + what);
  }
  unsigned take_byte() {
    if (in_.empty()) fail("truncated");
    const auto byte = static_cast<unsigned char>(in_.front());
    in_.remove_prefix(1);
    return byte;
  }
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto byte = take_byte();
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    fail("a number runs past 64 bits");
  }
  /// A container's size: every item takes at least a byte, so no honest size exceeds what is left.
  std::size_t count() {
    const auto size = varint();
    if (size > in_.size())
      fail("a size of " + std::to_string(size) + " with " + std::to_string(in_.size()) + " bytes left");
    return static_cast<std::size_t>(size);
  }

  std::string_view in_;
  std::string_view field_ = "header";
};

/// Readable and canonical: object members are sorted, so equal states give equal JSON.
class JsonWriter {
 public:
  template <class T>
  void operator()(std::string_view name, const T& value) {
    object_[std::string(name)] = to_json(value);
  }

  nlohmann::json take() && { return std::move(object_); }

  static nlohmann::json to_json(const std::string& text) { return text; }
  static nlohmann::json to_json(Timestamp t) { return protocol::format_timestamp(t); }
  static nlohmann::json to_json(protocol::Date date) { return protocol::format_date(date); }
  template <class Tag>
  static nlohmann::json to_json(const protocol::Id<Tag>& id) {
    return id.str();
  }
  template <class Tag>
  static nlohmann::json to_json(const protocol::Quantity<Tag>& quantity) {
    return quantity.value;
  }
  template <class Rep, class Period>
  static nlohmann::json to_json(const std::chrono::duration<Rep, Period>& duration) {
    return duration.count();
  }
  template <class T>
  static nlohmann::json to_json(const std::optional<T>& value) {
    return value ? to_json(*value) : nlohmann::json(nullptr);
  }
  template <class A, class B>
  static nlohmann::json to_json(const std::pair<A, B>& pair) {
    return nlohmann::json::array({to_json(pair.first), to_json(pair.second)});
  }
  template <class T>
  static nlohmann::json to_json(const std::vector<T>& items) {
    return array(items);
  }
  template <class T, std::size_t N>
  static nlohmann::json to_json(const std::array<T, N>& items) {
    return array(items);
  }
  template <class T, class C>
  static nlohmann::json to_json(const std::set<T, C>& items) {
    return array(items);
  }
  template <class K, class V, class C>
  static nlohmann::json to_json(const std::map<K, V, C>& map) {
    return entries(map);
  }
  template <class K, class V, class C>
  static nlohmann::json to_json(const std::multimap<K, V, C>& map) {
    return array(map);
  }
  template <class K, class V, class H, class E>
  static nlohmann::json to_json(const std::unordered_map<K, V, H, E>& map) {
    if constexpr (is_text_key<K>) {
      return entries(map);  // a JSON object sorts its members itself
    } else {
      nlohmann::json out = nlohmann::json::array();
      for (const auto* entry : sorted_entries(map)) out.push_back(to_json(*entry));
      return out;
    }
  }
  template <class T>
  static nlohmann::json to_json(const T& value) {
    if constexpr (std::is_enum_v<T>) {
      return static_cast<std::int64_t>(value);
    } else if constexpr (std::is_arithmetic_v<T>) {
      return value;
    } else {
      JsonWriter nested;
      describe(nested, value);
      return std::move(nested).take();
    }
  }

 private:
  template <class Container>
  static nlohmann::json array(const Container& items) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : items) out.push_back(to_json(item));
    return out;
  }
  template <class Map>
  static nlohmann::json entries(const Map& map) {
    if constexpr (is_text_key<typename Map::key_type>) {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, value] : map) out[key_text(key)] = to_json(value);
      return out;
    } else {
      return array(map);
    }
  }

  nlohmann::json object_ = nlohmann::json::object();
};

}  // namespace sterifleet::engine::snapshot_io
