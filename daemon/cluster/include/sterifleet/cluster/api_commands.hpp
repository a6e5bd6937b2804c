// People's actions from any daemon's API, carried to the owner of the shard they concern through the
// api_commands table (store/postgresql/schema_v1.sql): the submitter inserts a command and waits for its
// result; the owner's worker executes its shard's commands in id order on its Fleet, and the action's
// commit marks the command done in the same transaction, so a command is applied once however often
// owners die. README.md ("Commands") is the design note.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/cluster/lease_keeper.hpp"
#include "sterifleet/fleet/fleet.hpp"

namespace sterifleet::cluster {

/// The actions a person can take through the API (fleet::FleetFront's).
enum class CommandKind {
  acknowledge,
  resolve,
  manual_reprocessing,
  maintenance,
  create_token,
  revoke_token,
  record_audit,
  set_policy
};

/// The stored name, "acknowledge", ...
std::string_view to_string(CommandKind kind) noexcept;
std::optional<CommandKind> command_kind(std::string_view name);

/// A command as its shard's owner takes it.
struct QueuedCommand {
  std::int64_t id = 0;
  std::string kind;  ///< read by the executor, which refuses a name it does not know
  nlohmann::json body;
  std::string actor;
};

/// What a command came to, and the shard's commit that applied it (none when refused), so that a reader
/// can wait for its replica of the shard to reach it.
struct CommandAnswer {
  fleet::Outcome outcome;
  int shard = 0;
  std::optional<std::int64_t> commit;
};

struct CommandQueueOptions {
  std::string url;  ///< postgresql://...
  /// How long a command may wait for its shard's owner to take it; then it is cancelled, never applied.
  std::chrono::milliseconds wait{10'000};
  /// How much longer a command that its owner took may take to finish before the caller is told that
  /// it may still be applied.
  std::chrono::milliseconds running_wait{10'000};
  std::chrono::milliseconds poll{20};  ///< how often the submitter looks at its command
};

/// The API side: queues a command and waits for its answer. Thread-safe; each call uses a connection of
/// its own (people's actions are rare), so a slow one never holds up another.
class CommandQueue {
 public:
  explicit CommandQueue(CommandQueueOptions options) : options_(std::move(options)) {}

  /// Queues `kind` for `shard` and waits for its answer. Throws fleet::ActionUnanswered when nobody took
  /// it within the wait (cancelled), its owner did not finish within the running wait, or PostgreSQL
  /// failed: nothing of it is applied by this daemon, so none of that is a reason to stop it.
  CommandAnswer submit(int shard, CommandKind kind, const nlohmann::json& body, const std::string& actor) const;

  /// The shard of an alert, as stored (none for an alert the cluster does not have).
  std::optional<int> shard_of_alert(const std::string& alert_id) const;
  /// The shard of a registered clinic (none for a clinic not in clinic_shards).
  std::optional<int> shard_of_clinic(const std::string& clinic) const;

 private:
  CommandQueueOptions options_;
};

/// People's actions as commands, each sent to the shard it concerns: an alert's shard from the alerts
/// table, a manual reprocessing's from its clinic, a device's from `device_shard` (the replicas know
/// the devices), API tokens and report audit records to shard 0 (the fleet's). Refuses what it cannot
/// route as the Fleet would (an unknown alert or device: not_found). Thread-safe.
class CommandClient {
 public:
  using DeviceShard = std::function<std::optional<int>(const std::string& device)>;
  using Clock = std::function<protocol::Timestamp()>;

  /// `max_clock_skew`: the fleet's, so a manual reprocessing is checked here as its owner will check it.
  CommandClient(const CommandQueue& queue, DeviceShard device_shard, Clock clock, std::chrono::seconds max_clock_skew);

  CommandAnswer acknowledge(const std::string& alert_id, const std::string& actor, const std::string& comment) const;
  CommandAnswer resolve(const std::string& alert_id, const std::string& actor, const std::string& reason) const;
  CommandAnswer manual_reprocessing(const nlohmann::json& entry, const std::string& actor) const;
  CommandAnswer maintenance(const std::string& device, protocol::Timestamp from, protocol::Timestamp to,
                            const std::string& reason, const std::string& actor) const;
  CommandAnswer create_token(const store::NewToken& token, const std::string& actor, const std::string& cause) const;
  CommandAnswer revoke_token(const std::string& id, const std::string& actor, const std::string& cause) const;
  CommandAnswer record_audit(const engine::AuditRecord& record) const;
  /// A policy file for `shard`: its owner checks it and journals it, so the shard's replicas and later
  /// owners judge under it from there on (a reload reaches every shard by one such command each).
  CommandAnswer set_policy(int shard, const std::string& text, const std::string& source,
                           const std::string& actor) const;

 private:
  CommandAnswer on_alert(CommandKind kind, const std::string& alert_id, const std::string& actor,
                         nlohmann::json body) const;

  const CommandQueue& queue_;
  DeviceShard device_shard_;
  Clock clock_;
  std::chrono::seconds max_clock_skew_;
};

/// The owner's side: one shard's queue, on a connection of its own that LISTENs for new commands.
/// Used from one thread (the shard worker's).
class CommandInbox {
 public:
  /// Throws store::StoreError when PostgreSQL cannot be reached.
  CommandInbox(const std::string& url, HeldLease lease, std::string owner);
  ~CommandInbox();
  CommandInbox(const CommandInbox&) = delete;
  CommandInbox& operator=(const CommandInbox&) = delete;

  /// Readable when a command was queued for the shard: wait on it, then call run_pending().
  int socket() const;
  /// Executes the shard's open commands in id order on `fleet` (pending ones, and those a previous owner
  /// took and did not commit); returns how many. Throws store::StoreError (FencedOut: the lease is gone)
  /// when a commit or the inbox's own writes fail.
  std::size_t run_pending(fleet::Fleet& fleet);

 private:
  /// How many notifications it read (each says a command was queued).
  int read_notifications();
  std::optional<QueuedCommand> take_next();
  fleet::Fleet::CommandRun execute(fleet::Fleet& fleet, const QueuedCommand& command);
  void refused(const QueuedCommand& command, const engine::Refusal& refusal);

  class Connection;
  HeldLease lease_;
  std::string owner_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace sterifleet::cluster
