#include "sterifleet/testing/injection_check.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace sterifleet::testing {

namespace {

std::string name(const AlertKey& key) { return key.first + " " + key.second; }

}  // namespace

std::vector<std::string> injection_mismatches(const std::vector<AlertKey>& injected, const AlertTally& alerts) {
  std::vector<std::string> out;
  std::set<AlertKey> expected;
  for (const auto& key : injected) {
    if (!expected.insert(key).second) out.push_back("injected twice: " + name(key));
  }
  for (const auto& key : expected) {
    const auto it = alerts.opened.find(key);
    if (it == alerts.opened.end()) {
      out.push_back("injected, no alert: " + name(key));
    } else if (it->second != 1) {
      out.push_back("injected, opened " + std::to_string(it->second) + " times: " + name(key));
    }
  }
  for (const auto& [key, times] : alerts.opened) {
    if (!expected.contains(key))
      out.push_back("alert without injection (x" + std::to_string(times) + "): " + name(key));
  }
  for (const auto& key : alerts.withdrawn) out.push_back("withdrawn: " + name(key));
  return out;
}

std::vector<AlertKey> read_injected(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::vector<AlertKey> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.contains("rule") || !json.contains("subject")) {
      throw std::runtime_error("not an injected violation: " + line);
    }
    out.emplace_back(json["rule"].get<std::string>(), json["subject"].get<std::string>());
  }
  return out;
}

}  // namespace sterifleet::testing
