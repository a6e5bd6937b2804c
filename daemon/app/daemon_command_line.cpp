#include "daemon_command_line.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>

#include "cli11.hpp"
#include "logging.hpp"
#include "policy_file.hpp"

namespace sterifleet::app {

namespace {

// The shortcut flags: each is `--set key=value` under a shorter name.
struct Shortcut {
  const char* flag;
  const char* key;
};
constexpr Shortcut shortcuts[] = {
    {"--mqtt", "mqtt.url"},        {"--db", "store.db"},         {"--http", "http.listen"},
    {"--policy", "engine.policy"}, {"--log-level", "log.level"}, {"--log-format", "log.format"},
};

std::string shortcut_help(const Shortcut& shortcut) {
  const ConfigKey* key = find_config_key(shortcut.key);
  return std::string(key->help) + " (" + shortcut.key + ")";
}

}  // namespace

engine::Policy load_policy(const std::string& path) {
  if (path.empty()) return engine::default_policy();
  auto parsed = parse_policy_file(path);
  if (auto* errors = std::get_if<std::vector<engine::PolicyError>>(&parsed)) {
    for (const auto& e : *errors) spdlog::error("{}", e.to_string());
    throw std::runtime_error("the policy file has errors");
  }
  return std::get<engine::Policy>(std::move(parsed));
}

std::variant<DaemonSetup, int> read_command_line(int argc, char** argv) {
  CLI::App cli{"sterifleetd: compliance daemon for clinic device fleets"};
  std::optional<std::string> config_file;
  std::vector<std::string> sets;
  std::vector<std::string> shortcut_values(std::size(shortcuts));
  bool print_defaults = false;
  cli.add_option("-c,--config", config_file, "configuration file (TOML; see deploy/sterifleetd.toml)");
  for (std::size_t i = 0; i < std::size(shortcuts); ++i) {
    cli.add_option(shortcuts[i].flag, shortcut_values[i], shortcut_help(shortcuts[i]));
  }
  cli.add_option("--set", sets, "override any configuration key: section.key=value (repeatable; keys below)");
  cli.add_flag("--print-default-config", print_defaults,
               "print the documented configuration file, every key at its default, and exit");
  cli.footer(config_help());
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  if (print_defaults) {
    std::cout << example_config();
    return 0;
  }
  for (std::size_t i = 0; i < std::size(shortcuts); ++i) {
    if (!shortcut_values[i].empty()) sets.push_back(std::string(shortcuts[i].key) + "=" + shortcut_values[i]);
  }
  try {
    DaemonSetup setup{.config = load_config(config_file, sets), .policy = {}};
    setup_logging(setup.config.log_level, setup.config.log_format);
    setup.policy = load_policy(setup.config.policy);
    return setup;
  } catch (const std::exception& e) {
    std::cerr << "sterifleetd: " << e.what() << '\n';
    return exit_config;
  }
}

}  // namespace sterifleet::app
