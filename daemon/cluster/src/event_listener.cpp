#include "event_listener.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <pqxx/pqxx>
#include <system_error>
#include <vector>

#include "sterifleet/fleet/event_bus.hpp"

namespace sterifleet::cluster {

namespace {

int make_stop_event() {
  const int fd = ::eventfd(0, EFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "event relay: eventfd");
  return fd;
}

/// Collects the payloads libpqxx hands over while it reads notifications; they are handled after, when
/// the connection is free for the queries handling may need.
class Inbox final : public pqxx::notification_receiver {
 public:
  Inbox(pqxx::connection_base& connection, std::vector<std::string>& payloads)
      : notification_receiver(connection, EventRelay::channel), payloads_(payloads) {}
  void operator()(const std::string& payload, int) override { payloads_.push_back(payload); }

 private:
  std::vector<std::string>& payloads_;
};

}  // namespace

EventListener::EventListener(std::string url, RelayIdentity me, fleet::EventBus& bus, const EventRelayOptions& options,
                             RelayMetrics& metrics)
    : url_(std::move(url)),
      me_(std::move(me)),
      bus_(bus),
      options_(options),
      metrics_(metrics),
      stop_event_(make_stop_event()),
      thread_([this] { run(); }) {}

EventListener::~EventListener() {
  const std::uint64_t one = 1;
  if (::write(stop_event_, &one, sizeof one) != sizeof one) std::terminate();  // the thread would never end
  thread_.join();
  ::close(stop_event_);
}

void EventListener::run() {
  auto delay = options_.backoff_first;
  bool after_loss = false;
  for (;;) {
    try {
      pqxx::connection connection(url_);
      name_session(connection, me_, "in");
      delay = options_.backoff_first;
      serve(connection, after_loss);
      metrics_.connected(RelayConnection::listen, false);
      return;
    } catch (const std::exception& e) {
      metrics_.connected(RelayConnection::listen, false);
      spdlog::error(
          "event relay: not listening to other daemons through PostgreSQL ({}); their events are missing from "
          "this daemon's streams; retrying in {} ms",
          e.what(), delay.count());
      after_loss = true;
    }
    if (wait(-1, delay) == Wake::stop) return;
    delay = std::min(delay * 2, options_.backoff_max);
  }
}

void EventListener::serve(pqxx::connection_base& connection, bool after_loss) {
  std::vector<std::string> payloads;
  Inbox inbox(connection, payloads);
  metrics_.connected(RelayConnection::listen, true);
  if (after_loss) {
    // Only now, listening again: a stream that reloads from here on misses nothing more. How many
    // events went by meanwhile is unknown, so the sequences start over rather than count a gap twice.
    sequences_.forget();
    lost(Loss::disconnected, 1);
    spdlog::warn("event relay: listening to other daemons again; streams told to reload what they missed");
  }
  for (;;) {
    const auto wake = wait(connection.sock(), options_.check_every);
    if (wake == Wake::stop) return;
    // libpqxx would quietly open a new session for a query on a broken connection, LISTENing again
    // without anyone knowing what was missed meanwhile.
    if (!connection.is_open()) throw pqxx::broken_connection("the LISTEN connection is closed");
    if (wake == Wake::quiet) pqxx::nontransaction(connection).exec("SELECT 1");
    // Reading a spilled event may bring in notifications without the socket showing them again.
    for (;;) {
      connection.get_notifs();
      if (!connection.is_open()) throw pqxx::broken_connection("the LISTEN connection is closed");
      if (payloads.empty()) break;
      for (const auto& payload : std::exchange(payloads, {})) deliver(connection, payload);
    }
  }
}

void EventListener::deliver(pqxx::connection_base& connection, const std::string& payload) {
  auto decoded = decode(payload);
  if (!decoded) {
    spdlog::error("event relay: a notification on {} is no relayed event ({}): {:.200}", EventRelay::channel,
                  decoded.error().reason, payload);
    lost(Loss::malformed, 1);
    return;
  }
  // A value of its own: GCC 12 cannot see that the result's accessors never yield null here.
  RelayedEvent event = std::move(*decoded);
  if (event.daemon == me_.daemon && event.run == me_.run) return;
  const auto verdict = sequences_.accept(event.daemon, event.run, event.seq);
  if (!verdict.deliver) return;
  if (verdict.lost > 0) {
    spdlog::error("event relay: {} events of daemon {} never arrived (before its event {})", verdict.lost, event.daemon,
                  event.seq);
    lost(Loss::gap, verdict.lost);
  }
  std::string text;
  if (auto* inline_text = std::get_if<std::string>(&event.content)) {
    text = std::move(*inline_text);
  } else if (auto spilled = read_spilled(connection, std::get<SpillId>(event.content))) {
    text = std::move(*spilled);
  } else {
    spdlog::error("event relay: event {} of daemon {} was spilled to event_spill id {} and is gone", event.seq,
                  event.daemon, std::get<SpillId>(event.content).id);
    lost(Loss::spill_gone, 1);
    return;
  }
  bus_.publish_relayed(event.clinic, text);
  metrics_.received();
}

std::optional<std::string> EventListener::read_spilled(pqxx::connection_base& connection, SpillId spill) {
  pqxx::nontransaction tx(connection);
  const auto rows = tx.exec_params("SELECT payload FROM event_spill WHERE id = $1", spill.id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void EventListener::lost(Loss why, std::uint64_t events) {
  metrics_.lost(why, events);
  bus_.report_lost(events);
}

EventListener::Wake EventListener::wait(int socket, std::chrono::milliseconds timeout) const {
  pollfd fds[2] = {{stop_event_, POLLIN, 0}, {socket, POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int ready = ::poll(fds, 2, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw std::system_error(errno, std::generic_category(), "event relay: poll");
    if (fds[0].revents != 0) return Wake::stop;
    if (ready == 0) return Wake::quiet;
    return Wake::readable;
  }
}

}  // namespace sterifleet::cluster
