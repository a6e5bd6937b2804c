#include "sterifleet/notify/notifier.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <variant>

#include "sterifleet/notify/alertmanager_sender.hpp"
#include "sterifleet/notify/email_sender.hpp"
#include "sterifleet/notify/webhook_sender.hpp"
#include "sterifleet/protocol/overloaded.hpp"

namespace sterifleet::notify {

namespace {

Dispatcher::Senders make_senders(const NotifyConfig& config) {
  Dispatcher::Senders senders;
  for (const auto& receiver : config.receivers) {
    try {
      senders.emplace(receiver.name, make_sender(receiver));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("receiver \"" + receiver.name + "\": " + e.what());
    }
  }
  return senders;
}

}  // namespace

std::unique_ptr<Sender> make_sender(const Receiver& receiver) {
  return std::visit(
      Overloaded{
          [](const AlertmanagerReceiver& r) -> std::unique_ptr<Sender> {
            return std::make_unique<AlertmanagerSender>(r);
          },
          [](const WebhookReceiver& r) -> std::unique_ptr<Sender> { return std::make_unique<WebhookSender>(r); },
          [](const EmailReceiver& r) -> std::unique_ptr<Sender> { return std::make_unique<EmailSender>(r); },
      },
      receiver.settings);
}

Notifier::Notifier(NotifyConfig config, store::Store& store, prometheus::Registry& metrics, Dispatcher::Clock clock,
                   DispatcherOptions options)
    : config_(std::move(config)),
      clock_(clock),
      planner_(config_),
      dispatcher_(
          std::make_unique<Dispatcher>(store, config_, make_senders(config_), metrics, std::move(clock), options)) {}

void Notifier::plan(const engine::AlertChange& change, const engine::Policy& policy, Timestamp now,
                    store::Commit& into) {
  planner_.plan(change, policy, now, into);
}

void Notifier::planned_stored() { dispatcher_->wake(); }

SendResult send_test(const NotifyConfig& config, const std::string& receiver, Timestamp now,
                     const std::string& requested_by) {
  const Receiver* found = config.receiver(receiver);
  if (!found) throw std::invalid_argument("no receiver named \"" + receiver + "\" (" + config.receiver_names() + ")");
  const auto row = Planner(config).test_row(*found, now, requested_by);
  auto result = make_sender(*found)->send(make_delivery({notice_from_json(nlohmann::json::parse(row.notice))}));
  spdlog::info("notify: test notification to {} requested by {}: {}", receiver, requested_by, result.answer);
  return result;
}

SendResult Notifier::test(const std::string& receiver, const std::string& requested_by) {
  return send_test(config_, receiver, clock_(), requested_by);
}

SendResult send_checkpoint(const NotifyConfig& config, const std::string& receiver, Timestamp now,
                           const nlohmann::json& checkpoint) {
  const Receiver* found = config.receiver(receiver);
  if (!found) throw std::invalid_argument("no receiver named \"" + receiver + "\" (" + config.receiver_names() + ")");
  return make_sender(*found)->send(make_delivery({Planner(config).checkpoint_notice(*found, now, checkpoint)}));
}

}  // namespace sterifleet::notify
