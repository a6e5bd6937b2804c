// The table of field outcomes (tests/protocol/fields.json): for each field of each message, a value
// outside its rules and one of the wrong JSON type, and whether the message is then accepted with
// drift or rejected. The codec's tests and the engine's read the same rows. Header-only: the protocol
// tests do not link the test support library.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sterifleet::testing {

struct FieldCase {
  std::string name;  ///< "<base> <path> <value>", unique
  std::string base;
  std::string topic;
  std::string payload;  ///< the base's payload with the row's value at its path
  std::string path;
  bool drift = false;  ///< else rejected
  std::string reason;  ///< of a rejection
  std::string at;      ///< the rejection's path
};

/// Every row; throws if the table cannot be read, since a test without its data must not pass.
inline std::vector<FieldCase> read_field_cases(const std::string& table_path) {
  std::ifstream in(table_path);
  if (!in) throw std::runtime_error("cannot read " + table_path);
  std::stringstream text;
  text << in.rdbuf();
  const auto table = nlohmann::json::parse(text.str());
  std::vector<FieldCase> cases;
  for (const auto& row : table.at("cases")) {
    const auto& base = table.at("bases").at(row.at("base").get<std::string>());
    auto payload = base.at("payload");
    const auto path = row.at("path").get<std::string>();
    payload[nlohmann::json::json_pointer(path)] = row.at("value");
    const bool drift = row.at("outcome") == "drift";
    cases.push_back({row.at("base").get<std::string>() + " " + path + " " + row.at("value").dump(), row.at("base"),
                     base.at("topic"), payload.dump(), path, drift, row.value("reason", ""), row.value("at", path)});
  }
  return cases;
}

/// For a test name: letters and digits only.
inline std::string test_name(const FieldCase& c, std::size_t index) {
  std::string out = std::to_string(index) + "_";
  for (const char ch : c.base + c.path) out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return out + (c.drift ? "_drift" : "_rejected");
}

}  // namespace sterifleet::testing
