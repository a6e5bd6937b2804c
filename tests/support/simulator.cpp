#include "sterifleet/testing/simulator.hpp"

#include <ctime>

namespace sterifleet::testing {

Simulator::Simulator(const std::filesystem::path& binary, const std::string& broker_url,
                     std::vector<std::string> args) {
  std::vector<std::string> argv{binary.string(), "--broker", broker_url, "--state-dir",
                                (dir_.path() / "state").string()};
  for (auto& arg : args) {
    if (const auto at = arg.find("{dir}"); at != std::string::npos) arg.replace(at, 5, dir_.path().string());
    argv.push_back(std::move(arg));
  }
  process_ = std::make_unique<Subprocess>(argv, dir_.path() / "stdout", dir_.path() / "stderr");
}

int Simulator::finish(std::chrono::milliseconds timeout) {
  const auto status = process_->wait(timeout);
  if (!status) process_->kill();
  return status.value_or(-1);
}

std::string utc_days_ago(int days, int hour) {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::time_t at =
      std::chrono::system_clock::to_time_t(today - std::chrono::days{days} + std::chrono::hours{hour});
  std::tm utc{};
  ::gmtime_r(&at, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace sterifleet::testing
