// The daemon's audit checkpoints (daemon/checkpoint): signed with the key file, appended to the
// checkpoint file and published retained on the broker, so copies of the chain's history live outside
// the store. The daemon signs one at start, on a timer while the trail grows, for every report, and at stop.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
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

  /// Signs `head` (a head this store had) for a report, appends it to the file and publishes it; it is
  /// forwarded only if none was in the last report_forward_interval: every report signs one (and carries
  /// it), and any token may make reports, which must not flood the receivers' mailboxes. A later
  /// checkpoint covers every earlier head, and the timer's are always forwarded. Throws
  /// std::filesystem::filesystem_error when the file cannot be written, store::StoreError.
  checkpoint::Checkpoint sign(const store::AuditHead& head);
  /// Signs the store's current head unless the last checkpoint is of it (the timer, start and stop), and
  /// forwards it; returns whether it signed.
  bool sign_if_grown();
  /// Before the first checkpoint is signed.
  void forward_with(Forward forward) { forward_ = std::move(forward); }

  const crypto::PublicKey& public_key() const { return key_.public_key(); }

  static constexpr std::chrono::seconds report_forward_interval{60};

 private:
  enum class Forwarding { always, unless_recent };
  checkpoint::Checkpoint sign(const store::AuditHead& head, Forwarding forwarding);

  crypto::SigningKey key_;
  std::filesystem::path file_;
  store::Store& store_;
  Publish publish_;
  std::function<protocol::Timestamp()> clock_;
  Forward forward_;
  std::mutex mutex_;
  store::AuditHead last_;                            ///< guarded by mutex_; seq -1: none signed yet
  std::optional<protocol::Timestamp> forwarded_at_;  ///< guarded by mutex_
};

}  // namespace sterifleet::app
