#include "alertmanager_fixture.hpp"

#include <fstream>
#include <stdexcept>
#include <thread>

#include "sterifleet/testing/mosquitto.hpp"  // free_port

namespace sterifleet::testing {

namespace {

std::string duration(std::chrono::milliseconds value) { return std::to_string(value.count()) + "ms"; }

}  // namespace

Alertmanager::Alertmanager(AlertmanagerOptions options) : options_(std::move(options)), dir_("sterifleet-am") {
  std::filesystem::create_directory(dir_.path() / "data");
  // A port found free can be taken before Alertmanager binds it: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    if (start()) return;
    process_.reset();
  }
  throw std::runtime_error("alertmanager did not become ready; log:\n" + log());
}

Alertmanager::~Alertmanager() {
  if (process_) process_->kill();
}

void Alertmanager::write_config() const {
  std::ofstream config(dir_.path() / "am.yml", std::ios::trunc);
  config << "global:\n  resolve_timeout: " << duration(options_.resolve_timeout) << "\n"
         << "route:\n  receiver: test\n  group_by: [";
  for (std::size_t i = 0; i < options_.group_by.size(); ++i) {
    config << (i == 0 ? "" : ", ") << "'" << options_.group_by[i] << "'";
  }
  config << "]\n"
         << "  group_wait: " << duration(options_.group_wait) << "\n"
         << "  group_interval: " << duration(options_.group_interval) << "\n"
         << "  repeat_interval: " << duration(options_.repeat_interval) << "\n"
         << "receivers:\n  - name: test\n";
  if (!options_.webhook_url.empty()) {
    config << "    webhook_configs:\n      - url: '" << options_.webhook_url << "'\n        send_resolved: true\n";
  }
}

bool Alertmanager::start() {
  write_config();
  const auto out = dir_.path() / "alertmanager.log";
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{options_.binary, "--config.file=" + (dir_.path() / "am.yml").string(),
                               "--storage.path=" + (dir_.path() / "data").string(),
                               "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                               // Empty: no gossip port, so no second port to collide and no peers to wait for.
                               "--cluster.listen-address=", "--log.level=debug"},
      out, out);
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  while (std::chrono::steady_clock::now() < deadline && process_->running()) {
    if (get("/-/ready").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  process_->kill();
  return false;
}

HttpResponse Alertmanager::get(const std::string& target) const {
  return http_get(port_, target, {}, std::chrono::seconds{2});
}

nlohmann::json Alertmanager::alerts() const {
  const auto response = get("/api/v2/alerts");
  if (response.status != 200) {
    throw std::runtime_error("GET /api/v2/alerts answered " + std::to_string(response.status) + ": " + response.body +
                             response.error);
  }
  return nlohmann::json::parse(response.body);
}

std::string Alertmanager::log() const { return read_file(dir_.path() / "alertmanager.log"); }

}  // namespace sterifleet::testing
