#include "sterifleet/testing/daemon.hpp"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sterifleet/testing/mosquitto.hpp"

namespace sterifleet::testing {

namespace {

using namespace std::chrono_literals;

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

}  // namespace

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)), dir_("sterifleet-daemon") { start(); }

Daemon::~Daemon() { kill(); }

void Daemon::write_config() const {
  std::map<std::string, std::string> settings{
      {"mqtt.url", quoted(options_.mqtt_url)},
      {"store.db", quoted(db().string())},
      {"http.listen", quoted("127.0.0.1:" + std::to_string(port_))},
      {"http.bootstrap_token", quoted(options_.token)},
      {"log.level", quoted("info")},
  };
  if (options_.https) {
    settings["http.tls_cert"] = quoted(options_.https->cert_file.string());
    settings["http.tls_key"] = quoted(options_.https->key_file.string());
  }
  for (const auto& [key, value] : options_.settings) settings[key] = value;
  // Grouped by table ("mqtt.tls.verify" goes under [mqtt.tls]); the map keeps each table's keys together.
  std::map<std::string, std::vector<std::string>> tables;
  for (const auto& [key, value] : settings) {
    const auto dot = key.rfind('.');
    tables[key.substr(0, dot)].push_back(key.substr(dot + 1) + " = " + value);
  }
  std::ofstream conf(dir_.path() / "sterifleetd.toml", std::ios::trunc);
  for (const auto& [table, lines] : tables) {
    conf << "[" << table << "]\n";
    for (const auto& line : lines) conf << line << "\n";
  }
  conf << options_.extra_toml;
}

void Daemon::spawn() {
  if (process_) return;
  if (port_ == 0) port_ = free_port();
  write_config();
  ++starts_;
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{options_.binary.string(), "--config", (dir_.path() / "sterifleetd.toml").string()},
      current_log(), current_log());
}

std::filesystem::path Daemon::current_log() const {
  return dir_.path() / ("sterifleetd." + std::to_string(starts_) + ".log");
}

bool Daemon::launch() {
  spawn();
  if (wait_ready(options_.ready_timeout)) return true;
  const bool port_taken =
      !process_->running() && read_file(current_log()).find("cannot serve HTTP") != std::string::npos;
  process_->kill();
  process_.reset();
  if (port_taken) return false;
  throw std::runtime_error("sterifleetd is not ready on port " + std::to_string(port_) + "; log:\n" + log());
}

void Daemon::start() {
  if (process_) return;
  // The port found free (or used by the previous run) can be taken by someone else: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (launch()) return;
    port_ = free_port();
  }
  throw std::runtime_error("sterifleetd found no free HTTP port; log:\n" + log());
}

std::optional<int> Daemon::stop(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  process_->signal(SIGTERM);
  const auto status = process_->wait(timeout);
  if (!status) process_->kill();
  process_.reset();
  return status;
}

void Daemon::kill() {
  if (!process_) return;
  process_->kill();
  process_.reset();
}

void Daemon::signal(int sig) {
  if (process_) process_->signal(sig);
}

bool Daemon::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_ || !process_->running()) return false;
    if (request("/readyz", {}, 2s).status == 200) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

bool Daemon::wait_not_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (request("/readyz", {}, 2s).status != 200) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

HttpResponse Daemon::request(const std::string& target, const std::string& token,
                             std::chrono::milliseconds timeout) const {
  return http_get(port_, target, token, timeout, options_.https ? options_.https->ca_file : std::filesystem::path());
}

HttpResponse Daemon::get(const std::string& target) const { return request(target, options_.token, 10s); }

nlohmann::json Daemon::get_json(const std::string& target) const {
  const auto response = get(target);
  if (response.status != 200) {
    throw std::runtime_error("GET " + target + ": " + std::to_string(response.status) + " " + response.body +
                             response.error);
  }
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) throw std::runtime_error("GET " + target + ": not JSON: " + response.body);
  return parsed;
}

std::vector<nlohmann::json> Daemon::all_items(const std::string& path) const {
  std::vector<nlohmann::json> items;
  const char joiner = path.find('?') == std::string::npos ? '?' : '&';
  std::string after;
  do {
    const auto page = get_json(path + joiner + "limit=1000" + (after.empty() ? std::string() : "&after=" + after));
    for (const auto& item : page.at("items")) items.push_back(item);
    after = page.at("next").is_string() ? page.at("next").get<std::string>() : std::string();
  } while (!after.empty());
  return items;
}

std::string Daemon::metrics() const {
  const auto response = get("/metrics");
  if (response.status != 200) throw std::runtime_error("GET /metrics: " + std::to_string(response.status));
  return response.body;
}

std::string Daemon::log() const {
  std::string out;
  for (int i = 1; i <= starts_; ++i) {
    out +=
        "--- run " + std::to_string(i) + "\n" + read_file(dir_.path() / ("sterifleetd." + std::to_string(i) + ".log"));
  }
  return out;
}

double metric_value(const std::string& metrics_text, const std::string& name, const std::string& labels) {
  const std::string prefix = labels.empty() ? name + " " : name + "{" + labels + "} ";
  std::istringstream lines(metrics_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) return std::stod(line.substr(prefix.size()));
  }
  return 0;
}

}  // namespace sterifleet::testing
