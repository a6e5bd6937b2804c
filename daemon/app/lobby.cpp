#include "lobby.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <pqxx/pqxx>

#include "sterifleet/cluster/lease_table.hpp"
#include "sterifleet/ingest/paho_client.hpp"
#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

namespace {

ingest::MqttOptions lobby_session(ingest::MqttOptions options) {
  options.client_id = std::string(lobby_client_id);
  return options;
}

// The lobby's filters hold the prefix, so the clinic is the level after it: valid or not, it is the only
// thing a message must name for its clinic's shard to judge it (a bad device id is that shard's to judge).
std::optional<std::string_view> clinic_level(std::string_view topic) {
  if (!topic.starts_with(protocol::topic_prefix)) return std::nullopt;
  const auto rest = topic.substr(protocol::topic_prefix.size());
  const auto clinic = rest.substr(0, rest.find('/'));
  if (!protocol::is_valid_id(clinic)) return std::nullopt;
  return clinic;
}

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<std::string> lobby_filters() {
  std::vector<std::string> filters;
  for (const auto channel : protocol::device_channels) filters.push_back(protocol::channel_filter(channel));
  filters.emplace_back(lobby_live_topic);
  return filters;
}

/// One connection of its own, opened on first use and again after it broke.
struct Lobby::Database {
  explicit Database(std::string u) : url(std::move(u)) {}
  pqxx::connection& connection() {
    if (open && !open->is_open()) open.reset();
    if (!open) open.emplace(url);
    return *open;
  }
  std::string url;
  std::optional<pqxx::connection> open;
};

Lobby::Lobby(LobbyOptions options, fleet::Fleet& quarantine, boost::asio::any_io_executor executor,
             LobbyHandlers handlers)
    : options_(std::move(options)),
      quarantine_(quarantine),
      handlers_(std::move(handlers)),
      database_(std::make_unique<Database>(options_.store_url)),
      client_(std::make_unique<ingest::PahoClient>(lobby_session(options_.mqtt))),
      reconnector_(*client_, std::move(executor), {}, options_.mqtt.url, [this] { on_connected(); }) {
  client_->set_handlers({.message = [this](ingest::InboundMessage message) { on_message(std::move(message)); },
                         .connection_lost =
                             [this](const std::string& cause) {
                               {
                                 std::lock_guard lock(state_mutex_);
                                 connected_ = false;
                               }
                               reconnector_.connection_lost(cause);
                             }});
}

// The client goes first: none of its handlers may run into the parts it uses while they go.
Lobby::~Lobby() {
  reconnector_.stop();
  client_.reset();
}

void Lobby::start() { reconnector_.start(); }

void Lobby::stop() {
  reconnector_.stop();
  client_->disconnect(std::chrono::seconds(5));  // waits for the message callback in progress
  std::lock_guard lock(state_mutex_);
  connected_ = false;
}

bool Lobby::connected() const {
  std::lock_guard lock(state_mutex_);
  return connected_;
}

void Lobby::on_connected() {
  {
    std::lock_guard lock(state_mutex_);
    if (closed_) return;
    connected_ = true;
  }
  spdlog::info("lobby: connected to {} as {}", options_.mqtt.url, lobby_client_id);
  // Again on every connection: harmless on a kept session, needed after a broker lost its sessions.
  client_->subscribe(lobby_filters(), {});
}

// Returning acknowledges the message: it is kept (or known to be heard elsewhere) first.
void Lobby::on_message(ingest::InboundMessage message) {
  {
    std::lock_guard lock(state_mutex_);
    if (closed_) return;
  }
  bool done = true;
  if (message.topic == lobby_live_topic) {
    done = mark_live(message.payload);
  } else if (const auto clinic = clinic_level(message.topic); !clinic) {
    done = quarantine(message);
  } else if (!live_.contains(std::string(*clinic))) {
    done = keep(protocol::ClinicId(std::string(*clinic)), message);
  }
  if (done) return;
  std::lock_guard lock(state_mutex_);
  if (closed_) return;  // fenced: the session is closed, the acknowledgement goes nowhere
  std::abort();         // fatal returned: returning would acknowledge what is nowhere
}

bool Lobby::keep(const protocol::ClinicId& clinic, const ingest::InboundMessage& message) {
  const auto shard = options_.map.shard_of(clinic);
  try {
    pqxx::work tx(database_->connection());
    const bool registered =
        tx.exec_params0("INSERT INTO clinic_shards (clinic, shard) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        clinic.str(), shard)
            .affected_rows() == 1;
    // Shared with a lobby of an older holder still finishing a message: the marker's update waits for it.
    const auto row = tx.exec_params1("SELECT shard, live FROM clinic_shards WHERE clinic = $1 FOR SHARE", clinic.str());
    if (row[1].as<bool>()) {
      tx.commit();
      live_.insert(clinic.str());
      return true;
    }
    tx.exec_params0(
        "INSERT INTO lobby_messages (clinic, shard, topic, payload, retained, received_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        clinic.str(), row[0].as<int>(), std::string(message.topic),
        pqxx::binarystring(message.payload.data(), message.payload.size()), message.retained, now_millis());
    tx.commit();
    if (registered) {
      spdlog::info(
          "lobby: clinic {} registered on shard {} (hashed) by its first message; its messages are kept "
          "until that shard's owner takes them",
          clinic.str(), shard);
    }
    return true;
  } catch (const std::exception& e) {
    handlers_.fatal("lobby: keeping a message on " + std::string(message.topic) + " failed: " + e.what());
    return false;
  }
}

bool Lobby::mark_live(std::string_view clinic) {
  if (!protocol::is_valid_id(clinic)) {
    spdlog::warn("lobby: a live marker names no valid clinic ({} bytes); ignored", clinic.size());
    return true;
  }
  try {
    pqxx::work tx(database_->connection());
    const auto changed =
        tx.exec_params0("UPDATE clinic_shards SET live = true WHERE clinic = $1 AND NOT live", std::string(clinic))
            .affected_rows();
    tx.commit();
    live_.insert(std::string(clinic));
    if (changed == 1) {
      spdlog::info("lobby: clinic {} is live: its shard's session receives its messages, the lobby keeps no more",
                   clinic);
    }
    return true;
  } catch (const std::exception& e) {
    handlers_.fatal("lobby: marking clinic " + std::string(clinic) + " live failed: " + e.what());
    return false;
  }
}

// No clinic to hand it to: kept as the single daemon keeps a message it cannot judge, on shard 0.
bool Lobby::quarantine(const ingest::InboundMessage& message) {
  try {
    const auto judged = quarantine_.ingest(message.topic, message.payload, message.retained);
    if (judged.disposition == fleet::Fleet::Disposition::quarantined) {
      spdlog::warn("quarantined: topic={} reason={} detail={}", message.topic, judged.reason, judged.detail);
    }
    return true;
  } catch (const store::FencedOut& e) {
    close_after_fencing(e.what());
    return false;
  } catch (const std::exception& e) {
    handlers_.fatal("lobby: quarantining a message on " + std::string(message.topic) + " failed: " + e.what());
    return false;
  }
}

// As a shard session does: disconnected from inside the callback, so its acknowledgement finds no
// connection and the broker keeps the message for the lobby's next holder.
void Lobby::close_after_fencing(const std::string& why) {
  {
    std::lock_guard lock(state_mutex_);
    closed_ = true;
    connected_ = false;
  }
  client_->disconnect(std::chrono::milliseconds{0});
  handlers_.fenced(why);
}

}  // namespace sterifleet::app
