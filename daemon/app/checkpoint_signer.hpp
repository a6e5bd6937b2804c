// The daemon's audit checkpoints (daemon/checkpoint): signed with the key file, appended to the
// checkpoint file and published retained on the broker, so copies of the chain's history live outside
// the store. The daemon signs one at start, on a timer while the trail grows, for every report, and at stop.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

/// Retained, so a subscriber that connects later (an auditor's mosquitto_sub) gets the newest one.
inline constexpr std::string_view checkpoint_topic = "sterifleet/v1/_fleet/audit/checkpoint";

/// Thread-safe: the HTTP workers sign for reports while the timer signs.
class CheckpointSigner {
 public:
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;
  /// Passes a kept checkpoint on (to notification receivers); must not block.
  using Forward = std::function<void(const checkpoint::Checkpoint&)>;

  /// `store` must outlive it.
  CheckpointSigner(crypto::SigningKey key, std::filesystem::path file, store::Store& store, Publish publish,
                   std::function<protocol::Timestamp()> clock);

  /// Signs `head` (a head this store had), appends it to the file and publishes it. Throws
  /// std::filesystem::filesystem_error when the file cannot be written, store::StoreError.
  checkpoint::Checkpoint sign(const store::AuditHead& head);
  /// Signs the store's current head unless the last checkpoint is of it; returns whether it signed.
  bool sign_if_grown();
  /// Before the first checkpoint is signed.
  void forward_with(Forward forward) { forward_ = std::move(forward); }

  const crypto::PublicKey& public_key() const { return key_.public_key(); }

 private:
  crypto::SigningKey key_;
  std::filesystem::path file_;
  store::Store& store_;
  Publish publish_;
  std::function<protocol::Timestamp()> clock_;
  Forward forward_;
  std::mutex mutex_;
  store::AuditHead last_;  ///< guarded by mutex_; seq -1: none signed yet
};

}  // namespace sterifleet::app
