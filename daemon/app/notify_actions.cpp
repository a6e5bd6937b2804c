#include "notify_actions.hpp"

#include <stdexcept>

namespace sterifleet::app {

namespace {

http::TestNotification answer_of(const notify::SendResult& result) {
  return http::TestNotification{result.outcome == notify::SendResult::Outcome::delivered, result.status, result.answer};
}

}  // namespace

// Without receivers, tests have nowhere to go and enabling is the store's alone.
http::NotifyActions notify_actions(const std::unique_ptr<notify::Notifier>& notifier, store::Store& store) {
  http::NotifyActions actions;
  actions.test = [&notifier](const std::string& receiver, const std::string& actor) {
    if (!notifier) throw std::invalid_argument("no receiver named \"" + receiver + "\" (none is configured)");
    return answer_of(notifier->test(receiver, actor));
  };
  actions.enable_receiver = [&notifier, &store](const std::string& receiver) {
    return notifier ? notifier->enable_receiver(receiver) : store.enable_receiver(receiver);
  };
  return actions;
}

http::NotifyActions cluster_notify_actions(const notify::NotifyConfig& config, store::Store& front,
                                           std::function<protocol::Timestamp()> clock) {
  http::NotifyActions actions;
  if (!config.receivers.empty()) {
    actions.test = [&config, clock = std::move(clock)](const std::string& receiver, const std::string& actor) {
      return answer_of(notify::send_test(config, receiver, clock(), actor));
    };
  }
  actions.enable_receiver = [&front](const std::string& receiver) { return front.enable_receiver(receiver); };
  return actions;
}

}  // namespace sterifleet::app
