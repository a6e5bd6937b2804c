// A clinic chain's fleet as the daemon runs it, for tests of what reports read from the store: a
// fleet::Fleet (the real engine) on a SQLite store in a temporary folder, fed the protocol messages a test
// scripts, on a clock each message moves to its time; and the message bodies such scripts send.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/protocol/message.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::report::testing {

using protocol::Timestamp;

class NullSink : public fleet::CommandSink {
 public:
  void publish(const std::string&, const std::string&) override {}
};

protocol::Body birth(protocol::DeviceKind kind, const std::string& model);
/// The cartridge is "C-<session>" unless named; the patient "pt-<session>" unless given.
protocol::Body session_start(const std::string& session, std::optional<std::string> cartridge = std::nullopt,
                             std::optional<std::string> patient = std::nullopt);
protocol::Body session_end(const std::string& session);
/// Steam, pre-vacuum, wrapped, 304 kPa, chemical indicator as given, operator op-tom.
protocol::Body steam_cycle(const std::string& cycle, std::vector<std::string> load, bool bi, double temp_c = 134,
                           int exposure_s = 300, bool ci_pass = true);
protocol::Body bi_result(const std::string& cycle, bool positive);

class ScriptedFleet {
 public:
  ScriptedFleet(const std::string& folder_name, Timestamp start);
  virtual ~ScriptedFleet();
  ScriptedFleet(const ScriptedFleet&) = delete;
  ScriptedFleet& operator=(const ScriptedFleet&) = delete;

  store::Store& store() const { return *store_; }
  fleet::Fleet& fleet() const { return *fleet_; }
  std::string db_path() const { return (dir_.path() / "sterifleet.db").string(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  /// Ingests one message of `device` (boot 1, its next sequence number) at `when`, which becomes now;
  /// fails the test unless it is stored.
  void send(const std::string& clinic, const std::string& device, protocol::Body body, Timestamp when);
  Timestamp now() const { return now_; }
  void set_now(Timestamp now) { now_ = now; }

 private:
  sterifleet::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  fleet::Metrics metrics_;
  fleet::EventBus events_;
  NullSink commands_;
  Timestamp now_;
  std::unique_ptr<fleet::Fleet> fleet_;
  std::map<std::string, std::uint64_t> seq_;
};

}  // namespace sterifleet::report::testing
