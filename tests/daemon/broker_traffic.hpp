// What the broker-facing acceptance tests share: a Mosquitto with the shipped ACL and password accounts,
// device payloads stamped now, and a look at what a recorder saw.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {

/// A broker with these accounts (a password file made in `dir`) and deploy/'s ACL copied as is; no
/// anonymous access.
inline MosquittoOptions broker_with_shipped_acl(const std::filesystem::path& dir,
                                                std::initializer_list<MqttLogin> logins) {
  std::filesystem::copy_file(std::filesystem::path(STERIFLEET_SOURCE_DIR) / "deploy/mosquitto/sterifleet.acl",
                             dir / "sterifleet.acl");
  const auto passwd = (dir / "sterifleet.passwd").string();
  std::ofstream(passwd).close();
  for (const auto& login : logins) {
    const auto made = run_to_completion({"mosquitto_passwd", "-b", passwd, login.username, login.password});
    if (made.status != 0) throw std::runtime_error("mosquitto_passwd: " + made.output);
  }
  MosquittoOptions options;
  options.allow_anonymous = false;
  options.extra_config = {"password_file " + passwd, "acl_file " + (dir / "sterifleet.acl").string()};
  return options;
}

/// A protocol v1 device message of boot 1, stamped now, as the payload a device publishes.
inline std::string device_payload(const std::string& device, std::uint64_t seq, const std::string& type,
                                  nlohmann::json body) {
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return nlohmann::json{
      {"v", 1},       {"device", device},       {"boot", 1}, {"seq", seq}, {"ts", protocol::format_timestamp(now)},
      {"type", type}, {"body", std::move(body)}}
      .dump();
}

/// A pen's birth.
inline std::string birth(const std::string& device) {
  return device_payload(device, 1, "birth", {{"kind", "pen"}, {"model", "Dermapen 4"}, {"firmware", "4.2.1"}});
}

inline std::string telemetry(const std::string& device, std::uint64_t seq) {
  return device_payload(
      device, seq, "telemetry",
      {{"battery_pct", 80}, {"runtime_s", 1000}, {"strokes", 50000}, {"depth_mm", 0.5}, {"speed", 100}});
}

inline bool has_topic(const std::vector<Recorded>& all, const std::string& wanted) {
  return std::any_of(all.begin(), all.end(), [&](const Recorded& r) { return r.topic == wanted; });
}

}  // namespace sterifleet::testing
