// sterifleetd: the compliance daemon. Reads its configuration, builds its parts, runs until SIGTERM or
// SIGINT (SIGHUP reloads the policy file) and stops.
// Exit codes: 0 stopped on request; 2 configuration error; 74 storage failure (systemd restarts it).
#include <spdlog/spdlog.h>

#include "cluster_daemon.hpp"
#include "daemon.hpp"
#include "daemon_command_line.hpp"

int main(int argc, char** argv) {
  using namespace sterifleet;
  auto setup = app::read_command_line(argc, argv);
  if (const int* exit_code = std::get_if<int>(&setup)) return *exit_code;
  auto& [config, policy] = std::get<app::DaemonSetup>(setup);
  try {
    if (config.cluster) {
      app::ClusterDaemon daemon(std::move(config), std::move(policy));
      daemon.run();
    } else {
      app::Daemon daemon(std::move(config), std::move(policy));
      daemon.run();
    }
  } catch (const app::StartError& e) {
    spdlog::critical("{}", e.what());
    return e.exit_code;
  }
  return 0;
}
