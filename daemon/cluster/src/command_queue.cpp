// The API side of the commands: queue one for its shard, wait for its answer, cancel it if nobody took
// it in time; and the routing of each of a person's actions to its shard.
#include <array>
#include <pqxx/pqxx>
#include <thread>
#include <utility>

#include "sterifleet/cluster/api_commands.hpp"
#include "sterifleet/fleet/journal_actions.hpp"

namespace sterifleet::cluster {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::array<std::pair<CommandKind, std::string_view>, 8> kKindNames{{
    {CommandKind::acknowledge, "acknowledge"},
    {CommandKind::resolve, "resolve"},
    {CommandKind::manual_reprocessing, "manual_reprocessing"},
    {CommandKind::maintenance, "maintenance"},
    {CommandKind::create_token, "create_token"},
    {CommandKind::revoke_token, "revoke_token"},
    {CommandKind::record_audit, "record_audit"},
    {CommandKind::set_policy, "set_policy"},
}};

constexpr std::array kRefusalCodes{
    engine::RefusalCode::bad_request,       engine::RefusalCode::not_found,
    engine::RefusalCode::conflict,          engine::RefusalCode::duplicate,
    engine::RefusalCode::seq_conflict,      engine::RefusalCode::sequence_regression,
    engine::RefusalCode::wrong_device_kind, engine::RefusalCode::duplicate_cycle,
    engine::RefusalCode::clinic_mismatch,
};

/// The refusal the owner stored ({"code", "message"}); a code this build does not know stays a refusal.
engine::Refusal stored_refusal(const std::string& text) {
  const auto parsed = json::parse(text, nullptr, false);
  const auto field = [&](const char* key) {
    return parsed.is_object() && parsed.contains(key) && parsed[key].is_string() ? parsed[key].get<std::string>()
                                                                                 : std::string();
  };
  const auto code = field("code");
  for (const auto known : kRefusalCodes) {
    if (engine::to_string(known) == code) return {known, field("message")};
  }
  return {engine::RefusalCode::conflict, "the shard's owner refused it: " + text};
}

/// Runs `work` on a connection of its own. Nothing of the action is applied by this daemon, so a
/// PostgreSQL failure is no reason to stop it (as a failed commit stops the single daemon): the caller is
/// told to try again.
template <class Work>
auto with_connection(const std::string& url, const std::string& what, Work&& work) {
  try {
    pqxx::connection connection(url);
    return work(connection);
  } catch (const pqxx::pqxx_exception& e) {
    throw fleet::ActionUnanswered(what + " failed, PostgreSQL did not answer: " + e.base().what(),
                                  std::chrono::seconds{1});
  }
}

std::chrono::seconds seconds_up(std::chrono::milliseconds ms) {
  return std::max(std::chrono::ceil<std::chrono::seconds>(ms), std::chrono::seconds{1});
}

}  // namespace

std::string_view to_string(CommandKind kind) noexcept {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<CommandKind> command_kind(std::string_view name) {
  for (const auto& [kind, known] : kKindNames) {
    if (known == name) return kind;
  }
  return std::nullopt;
}

CommandAnswer CommandQueue::submit(int shard, CommandKind kind, const json& body, const std::string& actor) const {
  const std::string what = "API command " + std::string(to_string(kind)) + " for shard " + std::to_string(shard);
  // Once queued, a lost connection leaves it to its owner: it may be applied.
  return with_connection(options_.url, what + " (it may have been queued and applied)", [&](pqxx::connection& db) {
    pqxx::work queue(db);
    const auto id = queue
                        .exec_params1(
                            "INSERT INTO api_commands (shard, kind, body, actor) VALUES ($1, $2, $3, $4) "
                            "RETURNING id",
                            shard, std::string(to_string(kind)), body.dump(), actor)[0]
                        .as<std::int64_t>();
    queue.commit();
    const auto started = Clock::now();
    for (;;) {
      pqxx::work tx(db);
      const auto row = tx.exec_params1("SELECT state, result, commit_seq FROM api_commands WHERE id = $1", id);
      const auto state = row[0].as<std::string>();
      if (state == "done") return CommandAnswer{{}, shard, row[2].as<std::int64_t>()};
      if (state == "refused") return CommandAnswer{{stored_refusal(row[1].as<std::string>())}, shard, std::nullopt};
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
      if (state == "pending" && waited >= options_.wait) {
        // Conditional: the owner may take it this very moment, and then it runs to its end.
        const auto cancelled =
            tx.exec_params0("UPDATE api_commands SET state = 'cancelled' WHERE id = $1 AND state = 'pending'", id);
        tx.commit();
        if (cancelled.affected_rows() == 1) {
          throw fleet::ActionUnanswered(
              "no daemon holds shard " + std::to_string(shard) + " (the " + std::string(to_string(kind)) +
                  " concerns it) or its owner did not take it within " + std::to_string(options_.wait.count()) +
                  " ms: it was not applied and never will be; try again",
              seconds_up(options_.wait));
        }
        continue;
      }
      if (state == "running" && waited >= options_.wait + options_.running_wait) {
        throw fleet::ActionUnanswered(
            "the owner of shard " + std::to_string(shard) + " took the " + std::string(to_string(kind)) + " (command " +
                std::to_string(id) + ") and has not finished it: it may still be applied; look before trying again",
            seconds_up(options_.running_wait));
      }
      tx.commit();
      std::this_thread::sleep_for(options_.poll);
    }
  });
}

std::optional<int> CommandQueue::shard_of_alert(const std::string& alert_id) const {
  return with_connection(options_.url, "reading the shard of alert " + alert_id, [&](pqxx::connection& db) {
    const auto rows = pqxx::read_transaction(db).exec_params("SELECT shard FROM alerts WHERE id = $1", alert_id);
    return rows.empty() ? std::nullopt : std::optional(rows[0][0].as<int>());
  });
}

std::optional<int> CommandQueue::shard_of_clinic(const std::string& clinic) const {
  return with_connection(options_.url, "reading the shard of clinic " + clinic, [&](pqxx::connection& db) {
    const auto rows =
        pqxx::read_transaction(db).exec_params("SELECT shard FROM clinic_shards WHERE clinic = $1", clinic);
    return rows.empty() ? std::nullopt : std::optional(rows[0][0].as<int>());
  });
}

CommandClient::CommandClient(const CommandQueue& queue, DeviceShard device_shard, Clock clock,
                             std::chrono::seconds max_clock_skew)
    : queue_(queue),
      device_shard_(std::move(device_shard)),
      clock_(std::move(clock)),
      max_clock_skew_(max_clock_skew) {}

CommandAnswer CommandClient::on_alert(CommandKind kind, const std::string& alert_id, const std::string& actor,
                                      json body) const {
  const auto shard = queue_.shard_of_alert(alert_id);
  // The engine's own refusal of an alert it does not have.
  if (!shard) return {{engine::Refusal{engine::RefusalCode::not_found, "no alert " + alert_id}}, 0, std::nullopt};
  return queue_.submit(*shard, kind, body, actor);
}

CommandAnswer CommandClient::acknowledge(const std::string& alert_id, const std::string& actor,
                                         const std::string& comment) const {
  return on_alert(CommandKind::acknowledge, alert_id, actor, {{"alert", alert_id}, {"comment", comment}});
}

CommandAnswer CommandClient::resolve(const std::string& alert_id, const std::string& actor,
                                     const std::string& reason) const {
  return on_alert(CommandKind::resolve, alert_id, actor, {{"alert", alert_id}, {"reason", reason}});
}

CommandAnswer CommandClient::manual_reprocessing(const json& entry, const std::string& actor) const {
  // Checked here as the owner checks it, so a mistake is named before anything is queued; the owner
  // checks it again with its own clock.
  const auto manual = fleet::read_manual_reprocessing(entry, clock_(), max_clock_skew_);
  if (!manual) return {{manual.error()}, 0, std::nullopt};
  const auto clinic = entry.at("clinic").get<std::string>();
  const auto shard = queue_.shard_of_clinic(clinic);
  if (!shard) {
    return {{engine::Refusal{engine::RefusalCode::not_found,
                             "/clinic: clinic " + clinic + " is not registered in the cluster (no shard judges it)"}},
            0,
            std::nullopt};
  }
  return queue_.submit(*shard, CommandKind::manual_reprocessing, {{"entry", entry}}, actor);
}

CommandAnswer CommandClient::maintenance(const std::string& device, protocol::Timestamp from, protocol::Timestamp to,
                                         const std::string& reason, const std::string& actor) const {
  const auto shard = device_shard_(device);
  if (!shard) return {{engine::Refusal{engine::RefusalCode::not_found, "no device " + device}}, 0, std::nullopt};
  return queue_.submit(*shard, CommandKind::maintenance,
                       {{"device", device},
                        {"from", protocol::format_timestamp(from)},
                        {"to", protocol::format_timestamp(to)},
                        {"reason", reason}},
                       actor);
}

CommandAnswer CommandClient::create_token(const store::NewToken& token, const std::string& actor,
                                          const std::string& cause) const {
  return queue_.submit(0, CommandKind::create_token,
                       {{"token", fleet::token_json(token.record)}, {"sha256", token.sha256_hex}, {"cause", cause}},
                       actor);
}

CommandAnswer CommandClient::revoke_token(const std::string& id, const std::string& actor,
                                          const std::string& cause) const {
  return queue_.submit(0, CommandKind::revoke_token, {{"id", id}, {"cause", cause}}, actor);
}

CommandAnswer CommandClient::record_audit(const engine::AuditRecord& record) const {
  return queue_.submit(0, CommandKind::record_audit,
                       {{"at", protocol::format_timestamp(record.at)},
                        {"entity", record.entity},
                        {"action", record.action},
                        {"before", record.before},
                        {"after", record.after},
                        {"cause", record.cause},
                        {"clinic", record.clinic}},
                       record.actor);
}

CommandAnswer CommandClient::set_policy(int shard, const std::string& text, const std::string& source,
                                        const std::string& actor) const {
  return queue_.submit(shard, CommandKind::set_policy, {{"text", text}, {"source", source}}, actor);
}

}  // namespace sterifleet::cluster
