// The owner's side of the commands: take the shard's next open command, run it on the shard's Fleet,
// and record a refusal. Exactly once rests on two conditions in the database, not on this code: the
// action's commit completes the command only if it runs under the committing owner's epoch
// (complete_api_command, in the fenced commit), and a refusal is recorded only while the lease is held.
#include <pqxx/pqxx>
#include <stdexcept>

#include "sterifleet/cluster/api_commands.hpp"
#include "sterifleet/fleet/journal_actions.hpp"

namespace sterifleet::cluster {

namespace {

using nlohmann::json;

engine::Refusal bad_command(const QueuedCommand& command, const std::string& why) {
  return {engine::RefusalCode::bad_request,
          "API command " + std::to_string(command.id) + " (" + command.kind + "): " + why};
}

/// A body the executor cannot read: the command is refused with this.
class BadCommand : public std::invalid_argument {
 public:
  BadCommand(const QueuedCommand& command, const std::string& why)
      : std::invalid_argument(why), refusal(bad_command(command, why)) {}
  engine::Refusal refusal;
};

/// The fields of a command's body, which this build's CommandClient wrote: a missing or mistyped one
/// (a daemon of another version) is named in a refusal.
class Body {
 public:
  explicit Body(const QueuedCommand& command) : command_(command) {}
  std::string text(const char* key) const {
    const auto it = command_.body.find(key);
    if (it == command_.body.end() || !it->is_string())
      throw BadCommand(command_, std::string("/") + key + " must be a string");
    return it->get<std::string>();
  }
  protocol::Timestamp time(const char* key) const {
    const auto parsed = protocol::parse_timestamp(text(key));
    if (!parsed) throw BadCommand(command_, std::string("/") + key + " must be an RFC 3339 UTC timestamp");
    return *parsed;
  }
  const json& value(const char* key) const {
    const auto it = command_.body.find(key);
    if (it == command_.body.end()) throw BadCommand(command_, std::string("/") + key + " is missing");
    return *it;
  }

 private:
  const QueuedCommand& command_;
};

/// A token as token_json() wrote it, read through the journal's strict reader.
store::TokenRecord token_of(const QueuedCommand& command, const Body& body) {
  store::Action stored{{}, command.actor, "token_created", body.value("token")};
  if (!stored.body.is_object()) throw BadCommand(command, "/token must be an object");
  stored.body["cause"] = "";
  auto read = fleet::read_action(stored, std::chrono::seconds{0});
  if (!read) throw BadCommand(command, read.error().message);
  fleet::JournalAction action = std::move(*read);
  return std::get<fleet::action::TokenCreated>(std::move(action.what)).token;
}

fleet::Outcome run(fleet::Fleet& fleet, const QueuedCommand& command, CommandKind kind) {
  const Body body(command);
  const auto& actor = command.actor;
  switch (kind) {
    case CommandKind::acknowledge:
      return fleet.acknowledge(body.text("alert"), actor, body.text("comment"));
    case CommandKind::resolve:
      return fleet.resolve(body.text("alert"), actor, body.text("reason"));
    case CommandKind::manual_reprocessing:
      return fleet.manual_reprocessing(body.value("entry"), actor);
    case CommandKind::maintenance:
      return fleet.maintenance(body.text("device"), body.time("from"), body.time("to"), body.text("reason"), actor);
    case CommandKind::create_token:
      return fleet.create_token({token_of(command, body), body.text("sha256")}, actor, body.text("cause"));
    case CommandKind::revoke_token:
      return fleet.revoke_token(body.text("id"), actor, body.text("cause"));
    case CommandKind::record_audit:
      fleet.record_audit({body.time("at"), actor, body.text("entity"), body.text("action"), body.value("before"),
                          body.value("after"), body.text("cause"), body.text("clinic")});
      return {};
    case CommandKind::set_policy: {
      // The submitter checked the file; a daemon of another version may read it otherwise.
      const auto errors = fleet.reload_policy(body.text("text"), body.text("source"), actor);
      if (errors.empty()) return {};
      std::string message;
      for (const auto& e : errors) message += (message.empty() ? "" : "; ") + e.to_string();
      return {engine::Refusal{engine::RefusalCode::bad_request, message}};
    }
  }
  throw BadCommand(command, "unknown kind");
}

}  // namespace

/// The inbox's connection, LISTENing on its shard's channel. Notifications only wake the worker: what
/// to run is read from the table, so one that is missed (the poll finds its command) or repeated costs
/// nothing.
class CommandInbox::Connection {
 public:
  Connection(const std::string& url, int shard)
      : db(url), wakes(db, "sterifleet_api_commands_" + std::to_string(shard)) {}

  class Wakes final : public pqxx::notification_receiver {
   public:
    using notification_receiver::notification_receiver;
    void operator()(const std::string&, int) override {}
  };

  pqxx::connection db;
  Wakes wakes;
};

CommandInbox::CommandInbox(const std::string& url, HeldLease lease, std::string owner)
    : lease_(lease), owner_(std::move(owner)) {
  try {
    connection_ = std::make_unique<Connection>(url, lease.shard);
  } catch (const pqxx::pqxx_exception& e) {
    throw store::StoreError("opening the API command inbox of shard " + std::to_string(lease.shard) + ": " +
                            e.base().what());
  }
}

CommandInbox::~CommandInbox() = default;

int CommandInbox::socket() const { return connection_->db.sock(); }

std::size_t CommandInbox::run_pending(fleet::Fleet& fleet) {
  std::size_t ran = 0;
  // Notifications that arrive while the commands run are read by libpq with their answers and never
  // make the socket readable again: read them after, and look again if any came.
  read_notifications();
  do {
    while (auto command = take_next()) {
      const auto run = execute(fleet, *command);
      if (!run.outcome.ok()) refused(*command, *run.outcome.refusal);
      ++ran;
    }
  } while (read_notifications() > 0);
  return ran;
}

int CommandInbox::read_notifications() {
  try {
    return connection_->db.get_notifs();
  } catch (const pqxx::pqxx_exception& e) {
    throw store::StoreError("reading the API command inbox of shard " + std::to_string(lease_.shard) + ": " +
                            e.base().what());
  }
}

std::optional<QueuedCommand> CommandInbox::take_next() {
  try {
    for (;;) {
      pqxx::work tx(connection_->db);
      // A command a previous owner took (an older epoch) and did not commit is open again: had it been
      // committed, it would be done.
      const auto next = tx.exec_params(
          "SELECT id FROM api_commands WHERE shard = $1 AND (state = 'pending' OR (state = 'running' AND epoch < $2)) "
          "ORDER BY id LIMIT 1",
          lease_.shard, lease_.epoch);
      if (next.empty()) return std::nullopt;
      // Conditional again: its submitter may have cancelled it meanwhile.
      const auto taken = tx.exec_params(
          "UPDATE api_commands SET state = 'running', epoch = $2 WHERE id = $1 "
          "AND (state = 'pending' OR (state = 'running' AND epoch < $2)) RETURNING id, kind, body, actor",
          next[0][0].as<std::int64_t>(), lease_.epoch);
      tx.commit();
      if (taken.empty()) continue;
      const auto& row = taken[0];
      return QueuedCommand{row[0].as<std::int64_t>(), row[1].as<std::string>(),
                           json::parse(row[2].as<std::string>(), nullptr, false), row[3].as<std::string>()};
    }
  } catch (const pqxx::pqxx_exception& e) {
    throw store::StoreError("taking the next API command of shard " + std::to_string(lease_.shard) + ": " +
                            e.base().what());
  }
}

fleet::Fleet::CommandRun CommandInbox::execute(fleet::Fleet& fleet, const QueuedCommand& command) {
  const auto kind = command_kind(command.kind);
  if (!kind) return {{bad_command(command, "this daemon does not know the kind")}, std::nullopt};
  if (!command.body.is_object()) return {{bad_command(command, "the body is not a JSON object")}, std::nullopt};
  try {
    return fleet.run_api_command(command.id, [&](fleet::Fleet& f) { return run(f, command, *kind); });
  } catch (const BadCommand& bad) {
    return {{bad.refusal}, std::nullopt};
  }
}

void CommandInbox::refused(const QueuedCommand& command, const engine::Refusal& refusal) {
  const json result{{"code", engine::to_string(refusal.code)}, {"message", refusal.message}};
  pqxx::result marked;
  try {
    pqxx::work tx(connection_->db);
    // Only while the lease is held: a zombie's refusal, judged on a stale state, must not answer for
    // the command the new owner runs.
    marked = tx.exec_params(
        "UPDATE api_commands SET state = 'refused', result = $3 WHERE id = $1 AND epoch = $2 AND state = 'running' "
        "AND EXISTS (SELECT 1 FROM shard_leases WHERE shard = $4 AND epoch = $2 AND owner = $5 "
        "AND expires_at > clock_timestamp())",
        command.id, lease_.epoch, result.dump(), lease_.shard, owner_);
    tx.commit();
  } catch (const pqxx::pqxx_exception& e) {
    throw store::StoreError("recording the refusal of API command " + std::to_string(command.id) + ": " +
                            e.base().what());
  }
  if (marked.affected_rows() != 1) {
    throw store::FencedOut("recording the refusal of API command " + std::to_string(command.id) + " of shard " +
                           std::to_string(lease_.shard) + ": the lease of epoch " + std::to_string(lease_.epoch) +
                           " is no longer held");
  }
}

}  // namespace sterifleet::cluster
