// A real PostgreSQL 15 server for integration tests: initdb in a temp dir, listening on a free loopback
// port (no Unix socket), started and polled until it accepts connections; stop, kill and restart with
// the same data. PostgreSQL refuses to run as root, so under root (CI) it runs as the unprivileged
// user "nobody", owning its data directory.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {

struct PostgresOptions {
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  /// fsync on: what a benchmark or a durability test measures; off makes storage suites faster and
  /// changes nothing a test can observe short of a power cut.
  bool fsync = true;
  int max_connections = 300;
  std::vector<std::string> settings;  ///< more "name=value" server settings
};

/// Not thread-safe.
class Postgres {
 public:
  /// Creates the cluster and starts it; throws std::runtime_error if it is not ready within 30 s.
  explicit Postgres(PostgresOptions options = {});
  ~Postgres();
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

  void start();
  /// Fast shutdown (SIGINT) and wait.
  void stop();
  /// SIGKILL to the postmaster: its backends end when they notice.
  void kill();
  bool running() const { return process_ != nullptr; }

  int port() const { return port_; }
  /// postgresql://postgres@127.0.0.1:<port>/<database>
  std::string url(const std::string& database = "postgres") const;
  /// Creates a database (name: letters, digits, '_') and returns its URL.
  std::string create_database(const std::string& name);
  /// A database of its own for each call: `prefix` and a counter.
  std::string fresh_database(const std::string& prefix = "t");
  /// Runs SQL in `database` (autocommit) and returns the first column of the first row, or "" for none.
  std::string query(const std::string& database, const std::string& sql);
  std::string log() const;
  const std::filesystem::path& directory() const { return dir_.path(); }

 private:
  std::vector<std::string> as_server_user(std::vector<std::string> argv) const;

  PostgresOptions options_;
  TempDir dir_;
  std::filesystem::path data_;
  int port_ = 0;
  int starts_ = 0;
  int databases_ = 0;
  std::unique_ptr<Subprocess> process_;
};

/// One server for the whole test program, made on first use (fsync off), stopped at exit.
Postgres& shared_postgres();

}  // namespace sterifleet::testing
