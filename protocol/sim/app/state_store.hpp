// Persisted simulator state: every device's last boot counter (a device increments and persists it
// before using a new boot) and where the last run's simulated time ended. One small JSON file,
// replaced atomically (write, fsync, rename).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::sim {

/// Not thread-safe: the driver thread owns it.
class StateStore {
 public:
  /// Creates the directory if needed and loads the file if present; throws std::runtime_error when unreadable.
  explicit StateStore(std::filesystem::path directory);

  const std::map<std::string, std::uint32_t>& boots() const { return boots_; }
  std::optional<protocol::Timestamp> last_end() const { return last_end_; }

  /// Records a device's new boot and writes the file before returning; throws std::runtime_error on failure.
  void set_boot(const std::string& device, std::uint32_t boot);
  /// Many devices at once, one write.
  void set_boots(const std::map<std::string, std::uint32_t>& boots);
  void set_last_end(protocol::Timestamp end);

  const std::filesystem::path& file() const { return file_; }

 private:
  void save() const;

  std::filesystem::path file_;
  std::map<std::string, std::uint32_t> boots_;
  std::optional<protocol::Timestamp> last_end_;
};

}  // namespace sterifleet::sim
