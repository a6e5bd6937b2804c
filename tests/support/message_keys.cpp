#include "sterifleet/testing/message_keys.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {

std::string to_string(const MessageKey& key) {
  return key.device + " boot " + std::to_string(key.boot) + " seq " + std::to_string(key.seq);
}

std::vector<MessageKey> read_sent_log(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::vector<MessageKey> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string clinic;
    MessageKey key;
    if (!(fields >> clinic >> key.device >> key.boot >> key.seq)) {
      throw std::runtime_error("not a sent-log line: " + line);
    }
    out.push_back(std::move(key));
  }
  return out;
}

std::map<MessageKey, int> stored_message_keys(const std::filesystem::path& db) {
  std::map<MessageKey, int> out;
  for (const auto& row : sqlite_rows(db, "SELECT device, boot, seq FROM messages WHERE seq IS NOT NULL")) {
    ++out[MessageKey{row[0], std::stoull(row[1]), std::stoull(row[2])}];
  }
  // A message the daemon could not judge is kept in the quarantine: its key is in its payload.
  constexpr const char* quarantined =
      "SELECT device, json_extract(text, '$.boot'), json_extract(text, '$.seq') FROM "
      "(SELECT device, CAST(payload AS TEXT) AS text FROM quarantine) WHERE json_valid(text) AND "
      "json_extract(text, '$.device') = device AND json_type(text, '$.boot') = 'integer' AND "
      "json_type(text, '$.seq') = 'integer'";
  for (const auto& row : sqlite_rows(db, quarantined)) {
    ++out[MessageKey{row[0], std::stoull(row[1]), std::stoull(row[2])}];
  }
  return out;
}

std::map<MessageKey, int> stored_message_keys_in_postgresql(const std::string& url) {
  std::map<MessageKey, int> out;
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  for (const auto& row : tx.exec("SELECT device, boot, seq FROM messages WHERE seq IS NOT NULL")) {
    ++out[MessageKey{row[0].as<std::string>(), row[1].as<std::uint64_t>(), row[2].as<std::uint64_t>()}];
  }
  // Parsed here: PostgreSQL's JSON casts fail the whole query on one payload that is not JSON.
  for (const auto& row : tx.exec("SELECT device, payload FROM quarantine WHERE device IS NOT NULL")) {
    const auto payload = nlohmann::json::parse(pqxx::binarystring(row[1]).str(), nullptr, false);
    if (!payload.is_object() || payload.value("device", "") != row[0].as<std::string>()) continue;
    if (!payload.contains("boot") || !payload["boot"].is_number_unsigned() || !payload.contains("seq") ||
        !payload["seq"].is_number_unsigned()) {
      continue;
    }
    ++out[MessageKey{row[0].as<std::string>(), payload["boot"].get<std::uint64_t>(),
                     payload["seq"].get<std::uint64_t>()}];
  }
  return out;
}

std::vector<std::string> lost_or_doubled(const std::vector<MessageKey>& sent, const std::map<MessageKey, int>& stored) {
  std::vector<std::string> out;
  for (const auto& key : sent) {
    const auto it = stored.find(key);
    const int times = it == stored.end() ? 0 : it->second;
    if (times == 0) out.push_back("lost: " + to_string(key));
    if (times > 1) out.push_back("stored " + std::to_string(times) + " times: " + to_string(key));
  }
  return out;
}

std::vector<std::string> wait_until_stored(const std::filesystem::path& db, const std::vector<MessageKey>& sent,
                                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto problems = lost_or_doubled(sent, stored_message_keys(db));
    if (problems.empty() || std::chrono::steady_clock::now() > deadline) return problems;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
}

std::vector<std::string> wait_until_stored_in_postgresql(const std::string& url, const std::vector<MessageKey>& sent,
                                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto problems = lost_or_doubled(sent, stored_message_keys_in_postgresql(url));
    if (problems.empty() || std::chrono::steady_clock::now() > deadline) return problems;
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
}

}  // namespace sterifleet::testing
