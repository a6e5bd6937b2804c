// A real sterifleet HTTP server for tests: SQLite store in a temp directory, a Fleet fed with real
// protocol messages through Fleet::ingest on a test clock, the server on 127.0.0.1:0 run by two I/O
// threads, a token per role, and a client whose every answer is checked against the OpenAPI spec.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "client.hpp"
#include "schema_validator.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/http/server.hpp"

namespace sterifleet::http::testing {

using protocol::Timestamp;

/// The day of the scripted clinic traffic.
inline const Timestamp kDay = *protocol::parse_timestamp("2026-11-24T08:00:00Z");

class RecordingSink : public fleet::CommandSink {
 public:
  void publish(const std::string& topic, const std::string& payload) override;
  std::vector<std::string> topics();

 private:
  std::mutex mutex_;
  std::vector<std::string> topics_;
};

/// The OpenAPI description, parsed once.
const SchemaValidator& spec();

struct HarnessOptions {
  bool populate = true;  ///< feed the scripted day of traffic
  bool tokens = true;    ///< create a token per role, for every clinic and for "north" only
  std::function<void(HttpOptions&)> tweak;
};

inline HarnessOptions empty_fleet() {
  HarnessOptions options;
  options.populate = false;
  return options;
}

inline HarnessOptions tweaked(bool populate, std::function<void(HttpOptions&)> tweak) {
  HarnessOptions options;
  options.populate = populate;
  options.tweak = std::move(tweak);
  return options;
}

inline HarnessOptions tweaked(std::function<void(HttpOptions&)> tweak) { return tweaked(false, std::move(tweak)); }

/// No traffic, no tokens, and a bootstrap admin secret: a fresh install.
inline HarnessOptions fresh_install(std::string bootstrap) {
  HarnessOptions options = tweaked([bootstrap](HttpOptions& o) { o.bootstrap_token = bootstrap; });
  options.tokens = false;
  return options;
}

class Harness {
 public:
  explicit Harness(HarnessOptions options = {});
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  std::uint16_t port() const { return server_->port(); }
  HttpServer& server() { return *server_; }
  fleet::Fleet& fleet() { return *fleet_; }
  store::Store& store() { return *store_; }
  fleet::EventBus& events() { return events_; }
  RecordingSink& commands() { return commands_; }
  const std::filesystem::path& dir() const { return dir_; }
  void set_ready(bool ready) { ready_ = ready; }

  std::string token(Role role) const { return tokens_.at(role); }
  /// A token of `role` for clinic "north" only (named name(role) + "-north").
  std::string north_token(Role role) const { return north_tokens_.at(role); }
  /// Creates a token through the Fleet, as the API does; returns its secret.
  std::string make_token(const std::string& name, Role role, store::ClinicScope clinics);
  static std::string name(Role role);

  /// A request on the harness's kept-alive connection; the answer must conform to the spec.
  ClientResponse call(bhttp::verb method, const std::string& target, const std::string& token,
                      const std::string& body = {});
  ClientResponse get(const std::string& target, Role role) { return call(bhttp::verb::get, target, token(role)); }
  ClientResponse post(const std::string& target, Role role, const nlohmann::json& body) {
    return call(bhttp::verb::post, target, token(role), body.dump());
  }

  // --- device traffic (the clock is set to each message's time first) ---
  fleet::Fleet::Ingested send(const std::string& clinic, const std::string& device, protocol::Body body, Timestamp at);
  fleet::Fleet::Ingested raw(const std::string& topic, const std::string& payload, Timestamp at);
  void set_clock(Timestamp at) { now_ms_ = at.time_since_epoch().count(); }

 private:
  void populate();

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  fleet::Metrics metrics_;
  fleet::EventBus events_;
  RecordingSink commands_;
  std::atomic<std::int64_t> now_ms_;
  std::atomic<bool> ready_{true};
  std::unique_ptr<fleet::Fleet> fleet_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  std::map<Role, std::string> tokens_;
  std::map<Role, std::string> north_tokens_;
  std::map<std::string, std::uint64_t> seq_;
  std::unique_ptr<Client> client_;
};

/// Asserts a response conforms to the spec for its path, method and status (documented, right schema).
void expect_conforms(const std::string& target, bhttp::verb method, const ClientResponse& response);

// Message bodies of the scripted traffic.
protocol::Body birth(protocol::DeviceKind kind, const std::string& model);
protocol::Body session_start(const std::string& session, const std::string& cartridge);
protocol::Body session_end(const std::string& session);
protocol::Body steam_cycle(const std::string& cycle, std::vector<std::string> load, bool bi = true);
protocol::Body bi_result(const std::string& cycle, bool positive);
protocol::Body bowie_dick(bool pass);

inline Timestamp at_minute(int minute) { return kDay + std::chrono::minutes(minute); }

}  // namespace sterifleet::http::testing
