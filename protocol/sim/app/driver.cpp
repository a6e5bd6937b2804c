#include "driver.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "sterifleet/protocol/command.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::sim {

namespace {

constexpr std::chrono::seconds stop_grace{15};

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct CommandDetail {
  std::string operator()(const protocol::Lock& lock) const { return lock.reason; }
  std::string operator()(const protocol::Unlock& unlock) const { return unlock.reason; }
  std::string operator()(const protocol::Replay& replay) const {
    return "boot " + std::to_string(replay.boot) + " from " + std::to_string(replay.from_seq) +
           (replay.to_seq ? " to " + std::to_string(*replay.to_seq) : std::string(" on"));
  }
  std::string operator()(const protocol::Rebirth&) const { return {}; }
};

std::string describe(const protocol::CommandBody& body) { return std::visit(CommandDetail{}, body); }

}  // namespace

Driver::Driver(Scenario& scenario, Pacer pacer, DriverSettings settings, StateStore& state, Outputs& outputs)
    : scenario_(scenario), pacer_(pacer), settings_(std::move(settings)), state_(state), outputs_(outputs) {
  std::map<std::string, std::size_t> clinic_index;
  for (const auto& info : scenario_.devices()) {
    const auto [it, added] = clinic_index.emplace(info.clinic.str(), clinics_.size());
    if (added) clinics_.emplace_back();
    Link link;
    link.clinic = it->second;
    link.device = info.device;
    by_device_[info.device.str()] = links_.size();
    clinics_[link.clinic].push_back(links_.size());
    links_.push_back(std::move(link));
  }
  tickets_.assign(clinics_.size(), 0);
  persister_ = std::make_unique<BootPersister>(state_, inbox_);
}

Driver::~Driver() {
  persister_.reset();
  for (auto& link : links_) link.mqtt.reset();  // disconnects what is still connected
}

protocol::Timestamp Driver::sim_now(Wall now) const {
  const auto real = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
  return std::min(pacer_.sim_time(now), real);
}

int Driver::run(const std::atomic<int>& signals) {
  last_progress_ = Clock::now();
  while (true) {
    auto now = Clock::now();
    const int received = signals.load();
    // A signal delivered twice at once (to the process and its group) is one request.
    if (stopping_ && received > stop_signals_ && now - stop_time_ < std::chrono::seconds{1}) stop_signals_ = received;
    if (stopping_ && received > stop_signals_) {
      spdlog::warn("second signal: abandoning {} queued actions", queued_);
      return 130;
    }
    // A broker that went first (a whole process group stopped at once) never takes the last messages:
    // give up once the goodbye has made no progress for a while.
    if (stopping_) {
      if (const auto acknowledged = outputs_.acknowledged_count(); acknowledged != stop_acknowledged_) {
        stop_acknowledged_ = acknowledged;
        stop_progress_ = now;
      } else if (now - stop_progress_ > stop_grace) {
        spdlog::warn("the broker took nothing for {} s: abandoning {} queued actions", stop_grace.count(), queued_);
        return 130;
      }
    }
    if (received >= 1 && !stopping_) {
      stopping_ = true;
      stop_signals_ = received;
      stop_time_ = now;
      stop_progress_ = now;
      stop_acknowledged_ = outputs_.acknowledged_count();
      spdlog::info("stopping: every device shuts down properly (signal again to abandon)");
      scenario_.stop(sim_now(now));
      for (std::size_t c = 0; c < clinics_.size(); ++c) dirty_.insert(c);
    }
    pull(now);
    wake_retries(now);
    pump(now);
    flush_injected();
    if (done()) break;
    log_progress(now);
    const auto deadline = std::min(wake_, now + milliseconds{100});
    for (const auto& event : inbox_.take(deadline)) handle(event, Clock::now());
  }
  persister_.reset();  // the state file is ours again
  state_.set_last_end(std::max(last_action_, caught_up_));
  return 0;
}

void Driver::pull(Wall now) {
  wake_ = now + milliseconds{100};
  while (queued_ < settings_.max_queued) {
    const auto at = scenario_.next_time();
    if (!at) return;
    const auto release = pacer_.release_time(*at, stopping_);
    if (release > now) {
      wake_ = std::min(wake_, release);
      return;
    }
    // Never ahead of the real clock: the daemon rejects timestamps from the future.
    const auto real = std::chrono::system_clock::now();
    if (*at > real) {
      wake_ = std::min(wake_, now + std::chrono::duration_cast<Clock::duration>(*at - real));
      return;
    }
    auto action = scenario_.next();
    pacer_.released(action->at, now);
    last_action_ = action->at;
    route(std::move(*action), now);
  }
}

void Driver::route(Action action, Wall now) {
  const protocol::DeviceId* device = nullptr;
  std::visit([&](const auto& what) { device = &what.device; }, action.what);
  auto& link = links_[by_device_.at(device->str())];
  if (const auto* c = std::get_if<Connect>(&action.what); c != nullptr && c->power_up) {
    // Persisted before anything of this boot goes out: the device connects once it is on disk.
    persister_->persist(by_device_.at(device->str()), c->device.str(), c->boot);
    spdlog::debug("{} powers up, boot {}", c->device.str(), c->boot);
  }
  if (const auto* d = std::get_if<Disconnect>(&action.what)) {
    if (d->drop) {
      pacer_.hold(action.at, d->until, d->min_wall, now);
      spdlog::info("{} drops off the network until {} (at least {} ms)", d->device.str(),
                   protocol::format_timestamp(d->until), d->min_wall.count());
    } else {
      spdlog::debug("{} shuts down", d->device.str());
    }
  }
  const auto ticket = ++tickets_[link.clinic];
  if (is_anchor(action)) link.anchors.insert(ticket);
  link.queue.push_back(Queued{ticket, std::move(action)});
  ++queued_;
  dirty_.insert(link.clinic);
}

void Driver::pump(Wall now) {
  while (!dirty_.empty()) {
    const auto clinic = *dirty_.begin();
    dirty_.erase(dirty_.begin());
    bool moved = true;
    while (moved) {
      moved = false;
      for (const auto index : clinics_[clinic]) {
        while (step(links_[index], now)) moved = true;
      }
    }
  }
}

bool Driver::is_anchor(const Action& action) {
  const auto* publish = std::get_if<Publish>(&action.what);
  if (publish == nullptr || !publish->key) return false;
  const auto& type = publish->key->type;
  return type == "session.start" || type == "cycle.complete" || type == "bi.result" || type == "test.bowie_dick";
}

bool Driver::clinic_allows(const Link& link, std::uint64_t ticket, bool anchor) const {
  for (const auto index : clinics_[link.clinic]) {
    const auto& other = links_[index];
    if (&other == &link) continue;
    if (!other.anchors.empty() && *other.anchors.begin() < ticket) return false;
    if (!anchor) continue;
    if (!other.queue.empty() && other.queue.front().ticket < ticket) return false;
    if (!other.inflight.empty() && other.inflight.begin()->first < ticket) return false;
  }
  return true;
}

bool Driver::step(Link& link, Wall now) {
  if (link.queue.empty() || now < link.retry_at) return false;
  auto& head = link.queue.front();
  if (!clinic_allows(link, head.ticket, !link.anchors.empty() && *link.anchors.begin() == head.ticket)) return false;
  if (auto* connect = std::get_if<Connect>(&head.action.what)) {
    if (link.state != Link::State::offline) return false;
    if (connect->power_up && link.persisted_boot < connect->boot) return false;
    if (!link.mqtt) {
      const auto cmd = protocol::format_topic({connect->clinic, connect->device, protocol::Channel::cmd});
      link.mqtt = std::make_unique<MqttDevice>(settings_.mqtt, connect->device.str(), cmd,
                                               static_cast<std::size_t>(&link - links_.data()), inbox_);
    }
    link.state = Link::State::connecting;
    link.mqtt->connect(connect->will_topic, connect->will_payload);
    return false;  // continues on "connected"
  }
  if (std::holds_alternative<Disconnect>(head.action.what)) {
    if (!link.inflight.empty() || link.state != Link::State::online) return false;
    link.state = Link::State::disconnecting;
    link.mqtt->disconnect();
    return false;  // continues on "disconnected"
  }
  auto& message = std::get<Publish>(head.action.what);
  if (link.state != Link::State::online || link.inflight.size() >= settings_.window) return false;
  const int qos = message.key ? settings_.qos : 1;
  try {
    link.mqtt->publish(head.ticket, message.topic, message.payload, qos, message.retained);
  } catch (const mqtt::exception& e) {
    spdlog::warn("{}: publish refused ({}), retrying", link.device.str(), e.what());
    retry_later(link, now + milliseconds{200});
    return false;
  }
  ++published_;
  const auto head_ticket = head.ticket;
  link.inflight.emplace(head_ticket, std::move(message));
  link.queue.pop_front();
  --queued_;
  if (qos == 0) {  // nothing will acknowledge it
    outputs_.acknowledged(link.inflight.rbegin()->second);
    link.inflight.erase(std::prev(link.inflight.end()));
    link.anchors.erase(head_ticket);
  }
  return true;
}

void Driver::handle(const Inbound& event, Wall now) {
  auto& link = links_[event.device];
  dirty_.insert(link.clinic);
  using Kind = Inbound::Kind;
  const auto head_is = [&](auto tag) {
    return !link.queue.empty() && std::holds_alternative<decltype(tag)>(link.queue.front().action.what);
  };
  switch (event.kind) {
    case Kind::connected:
      if (link.state == Link::State::connecting && head_is(Connect{})) {
        link.state = Link::State::online;
        link.queue.pop_front();
        --queued_;
      }
      break;
    case Kind::connect_failed:
      spdlog::warn("{}: cannot connect: {}; retrying", link.device.str(), event.text);
      link.state = Link::State::offline;
      retry_later(link, now + std::chrono::seconds{1});
      break;
    case Kind::disconnected:
      if (link.state == Link::State::disconnecting && head_is(Disconnect{})) {
        link.state = Link::State::offline;
        link.queue.pop_front();
        --queued_;
      }
      break;
    case Kind::acked:
      if (const auto it = link.inflight.find(event.ticket); it != link.inflight.end()) {
        outputs_.acknowledged(it->second);
        link.inflight.erase(it);
        link.anchors.erase(event.ticket);
      }
      break;
    case Kind::publish_failed:
      if (auto it = link.inflight.find(event.ticket); it != link.inflight.end()) {
        spdlog::warn("{}: publish failed ({}), resending", link.device.str(), event.text);
        outputs_.failed();
        Action action{last_action_, std::move(it->second)};
        link.inflight.erase(it);
        link.queue.push_front(Queued{event.ticket, std::move(action)});
        ++queued_;
        retry_later(link, now + milliseconds{500});
      }
      break;
    case Kind::command:
      handle_command(link, event.text, now);
      break;
    case Kind::connection_lost:
      spdlog::warn("{}: connection lost ({}); reconnecting", link.device.str(), event.text);
      break;
    case Kind::persisted:
      link.persisted_boot = std::max(link.persisted_boot, static_cast<std::uint32_t>(event.ticket));
      break;
    case Kind::persist_failed:
      throw std::runtime_error("cannot persist boot counters: " + event.text);
  }
}

void Driver::handle_command(Link& link, const std::string& payload, Wall now) {
  auto decoded = protocol::decode_command(payload);
  if (!decoded) {
    spdlog::warn("{}: malformed command rejected: {} ({})", link.device.str(), decoded.error().message(),
                 protocol::to_string(decoded.error().reason));
    scenario_.handle_malformed_command(link.device, decoded.error().message(), sim_now(now));
    return;
  }
  const protocol::Command command = std::move(decoded).value();
  spdlog::info("{}: command {} ({}) {}", link.device.str(), protocol::command_name(command.body), command.id.str(),
               describe(command.body));
  scenario_.handle_command(link.device, command, sim_now(now));
}

void Driver::retry_later(Link& link, Wall at) {
  link.retry_at = at;
  retries_.emplace_back(at, link.clinic);
  wake_ = std::min(wake_, at);
}

void Driver::wake_retries(Wall now) {
  std::erase_if(retries_, [&](const auto& retry) {
    if (retry.first > now) {
      wake_ = std::min(wake_, retry.first);
      return false;
    }
    dirty_.insert(retry.second);
    return true;
  });
}

void Driver::flush_injected() {
  const auto& injected = scenario_.injected();
  for (; injected_written_ < injected.size(); ++injected_written_) {
    const auto& v = injected[injected_written_];
    spdlog::info("injected {} on {} ({})", rule_id(v.rule), v.subject, protocol::format_timestamp(v.ts));
    outputs_.injected(v);
  }
}

bool Driver::done() {
  if (queued_ != 0) return false;
  // Stopping, what is due after the real clock never happens (following in real time, the night's
  // quiet lasts until the morning's power-up, a session under way until its end): only what was already
  // sent is seen through, and a device still on simply closes its connection.
  const auto real = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
  bool cut_short = false;
  if (const auto next = scenario_.next_time(); next) {
    if (!stopping_ || *next <= real) return false;
    caught_up_ = real;  // nothing happened between the last message and now
    cut_short = true;
  }
  return std::all_of(links_.begin(), links_.end(), [cut_short](const Link& link) {
    return link.inflight.empty() && (cut_short || link.state == Link::State::offline);
  });
}

void Driver::log_progress(Wall now) {
  if (now - last_progress_ < std::chrono::seconds{10}) return;
  last_progress_ = now;
  std::size_t inflight = 0;
  for (const auto& link : links_) inflight += link.inflight.size();
  // The simulated clock, also before the first device acts, and the last message's time: the same last
  // message with nothing queued or in flight twice in a row says the run waits for the real clock.
  spdlog::info(
      "simulated {}, last message {}: {} published, {} acknowledged, {} queued, {} in flight",
      protocol::format_timestamp(std::max(last_action_, sim_now(now))),
      last_action_ == protocol::Timestamp{} ? std::string("none yet") : protocol::format_timestamp(last_action_),
      published_, outputs_.acknowledged_count(), queued_, inflight);
}

}  // namespace sterifleet::sim
