// Test data for the storage suite: realistic rows of each kind, and the back-ends the suite runs on.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "sterifleet/crypto/sha256.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store::testing {

using crypto::sha256_hex;

/// A back-end under test. `open` opens (creating if new) the store called `place`, a path in a fresh
/// temporary directory: SQLite uses it as its file, a server back-end derives a database name from it.
struct Backend {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& place)> open;
};

inline void PrintTo(const Backend& backend, std::ostream* out) { *out << backend.name; }

/// Every back-end this build can test.
std::vector<Backend> backends();

/// The writer the PostgreSQL back-end's stores write as: shard 0, whose lease the fixture claims for it.
ShardWriter test_shard_writer();
/// The name of the database of `place` on testing::shared_postgres(), made on first use (`fresh`).
std::string postgres_database(const std::string& place, bool& fresh);

/// A fresh directory under the system's temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// 2026-11-02T08:00:00Z plus `minutes`.
Timestamp at(int minutes, int ms = 0);

StoredMessage telemetry(const std::string& device, std::uint64_t seq, Timestamp received,
                        const std::string& clinic = "north");
StoredMessage status(const std::string& device, Timestamp received, const std::string& clinic = "north");
QuarantinedMessage quarantined(const std::string& reason, Timestamp received, std::string payload = "{not json",
                               const std::string& topic = "sterifleet/v1/north/PEN-0001/event");
Action action(const std::string& kind, Timestamp when, const std::string& actor = "token:anna");

struct AlertSpec {
  std::string clinic = "north";
  engine::RuleId rule = engine::RuleId::battery_low;
  std::string device = "PEN-0001";
  Timestamp opened;
  std::string trigger = "t";
  engine::AlertState state = engine::AlertState::open;
};
engine::AlertChange alert(const AlertSpec& spec);

engine::SessionChange session(const std::string& clinic, const std::string& pen, const std::string& id,
                              Timestamp started, bool ended = false);
engine::CycleChange cycle(const std::string& clinic, const std::string& sterilizer, const std::string& id,
                          Timestamp ts);
engine::AuditRecord audit(const std::string& entity, const std::string& action, Timestamp when,
                          nlohmann::json after = nlohmann::json::object());
IssuedCommand command(const std::string& id, const std::string& device, Timestamp issued,
                      const std::string& clinic = "north");

/// Runs a query page by page with `limit` rows a page, returning every row.
/// The record a listed audit row holds, to hash it again.
engine::AuditRecord record_of(const nlohmann::json& row);
std::vector<nlohmann::json> all_pages(const std::function<Rows(const Page&)>& query, std::size_t limit);

}  // namespace sterifleet::store::testing
