#include "sterifleet/testing/postgres.hpp"

#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "sterifleet/testing/mosquitto.hpp"

namespace sterifleet::testing {

namespace {

constexpr auto ready_timeout = std::chrono::seconds{30};

bool root() { return ::geteuid() == 0; }

void check_name(const std::string& name) {
  if (name.empty() || name.size() > 60) throw std::invalid_argument("database name: 1 to 60 characters");
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      throw std::invalid_argument("database name: lowercase letters, digits and '_' only: " + name);
    }
  }
}

}  // namespace

Postgres::Postgres(PostgresOptions options)
    : options_(std::move(options)), dir_("sterifleet-postgres"), data_(dir_.path() / "data") {
  namespace fs = std::filesystem;
  if (root()) {
    // "nobody" must reach the data directory through the temp dir and own the data directory.
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    fs::create_directory(data_);
    if (::chown(data_.c_str(), 65534, 65534) != 0) throw std::runtime_error("cannot give the data dir to nobody");
  }
  auto initdb =
      run_to_completion(as_server_user({options_.bin_dir + "/initdb", "-D", data_.string(), "-U", "postgres", "-A",
                                        "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"}),
                        std::chrono::seconds{120});
  if (initdb.status != 0) throw std::runtime_error("initdb failed:\n" + initdb.output);
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      if (process_) process_->kill();
      process_.reset();
    }
  }
  throw std::runtime_error("postgres did not start; log:\n" + log());
}

Postgres::~Postgres() {
  if (!process_) return;
  // Immediate shutdown: the data dies with the temp dir.
  process_->signal(SIGQUIT);
  if (!process_->wait(std::chrono::seconds{10})) process_->kill();
  process_.reset();
}

std::vector<std::string> Postgres::as_server_user(std::vector<std::string> argv) const {
  if (!root()) return argv;
  // setpriv execs in place, so the pid is the server's; the parent-death signal is set again after the
  // change of user (a change of credentials clears it).
  std::vector<std::string> wrapped{"setpriv",        "--reuid=65534",       "--regid=65534",
                                   "--clear-groups", "--pdeathsig=SIGQUIT", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

void Postgres::start() {
  if (process_) return;
  ++starts_;
  const auto out = dir_.path() / ("postgres." + std::to_string(starts_) + ".log");
  std::vector<std::string> argv{options_.bin_dir + "/postgres",
                                "-D",
                                data_.string(),
                                "-p",
                                std::to_string(port_),
                                "-c",
                                "listen_addresses=127.0.0.1",
                                "-c",
                                "unix_socket_directories=",
                                "-c",
                                "synchronous_commit=on",
                                "-c",
                                std::string("fsync=") + (options_.fsync ? "on" : "off"),
                                "-c",
                                "max_connections=" + std::to_string(options_.max_connections)};
  for (const auto& setting : options_.settings) {
    argv.emplace_back("-c");
    argv.push_back(setting);
  }
  process_ = std::make_unique<Subprocess>(as_server_user(std::move(argv)), out, out);
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  const auto conninfo = url();
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->running()) break;
    if (PQping(conninfo.c_str()) == PQPING_OK) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  throw std::runtime_error("postgres is not ready on port " + std::to_string(port_));
}

void Postgres::stop() {
  if (!process_) return;
  process_->signal(SIGINT);
  if (!process_->wait(std::chrono::seconds{30})) process_->kill();
  process_.reset();
}

void Postgres::kill() {
  if (!process_) return;
  process_->kill();
  process_.reset();
}

std::string Postgres::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string Postgres::create_database(const std::string& name) {
  check_name(name);
  pqxx::connection connection(url());
  pqxx::nontransaction work(connection);
  work.exec("CREATE DATABASE " + name);
  return url(name);
}

std::string Postgres::fresh_database(const std::string& prefix) {
  return create_database(prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_));
}

std::string Postgres::query(const std::string& database, const std::string& sql) {
  pqxx::connection connection(url(database));
  pqxx::nontransaction work(connection);
  const auto result = work.exec(sql);
  if (result.empty() || result[0].empty() || result[0][0].is_null()) return "";
  return result[0][0].c_str();
}

std::string Postgres::log() const {
  std::string out;
  for (int i = 1; i <= starts_; ++i) out += read_file(dir_.path() / ("postgres." + std::to_string(i) + ".log"));
  return out;
}

Postgres& shared_postgres() {
  static Postgres server([] {
    PostgresOptions options;
    options.fsync = false;
    return options;
  }());
  return server;
}

}  // namespace sterifleet::testing
