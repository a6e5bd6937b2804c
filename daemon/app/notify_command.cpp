#include "notify_command.hpp"

#include <chrono>
#include <stdexcept>
#include <variant>

#include "config.hpp"
#include "sterifleet/notify/notifier.hpp"
#include "sterifleet/protocol/overloaded.hpp"

namespace sterifleet::app {

namespace {

std::string type_of(const notify::Receiver& receiver) {
  return std::visit(Overloaded{[](const notify::AlertmanagerReceiver&) { return "alertmanager"; },
                               [](const notify::WebhookReceiver&) { return "webhook"; },
                               [](const notify::EmailReceiver&) { return "email"; }},
                    receiver.settings);
}

std::string target_of(const notify::Receiver& receiver) {
  return std::visit(Overloaded{[](const notify::AlertmanagerReceiver& r) { return url_without_secrets(r.url); },
                               [](const notify::WebhookReceiver& r) { return url_without_secrets(r.url); },
                               [](const notify::EmailReceiver& r) {
                                 std::string to;
                                 for (const auto& address : r.to) to += (to.empty() ? "" : ",") + address;
                                 return url_without_secrets(r.smtp_url) + " to " + to;
                               }},
                    receiver.settings);
}

std::string route_line(const notify::Route& route) {
  std::string line = route.name + " -> " + route.receiver;
  if (!route.escalate_to.empty()) line += ", escalating to " + route.escalate_to;
  std::string clinics;
  for (const auto& clinic : route.clinics) clinics += (clinics.empty() ? "" : ",") + clinic;
  line += " (clinics: " + (clinics.empty() ? std::string("any") : clinics);
  line += std::string(", continue: ") + (route.continue_matching ? "yes" : "no") + ")";
  return line;
}

protocol::Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

std::string url_without_secrets(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto authority = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto path = url.find_first_of("/?#", authority);
  auto host = url.substr(authority, path == std::string_view::npos ? std::string_view::npos : path - authority);
  if (const auto at = host.rfind('@'); at != std::string_view::npos) host = host.substr(at + 1);
  std::string out(url.substr(0, authority));
  out += host;
  if (path != std::string_view::npos) out += url.substr(path, url.find_first_of("?#", path) - path);
  return out;
}

int notify_test(const std::string& config_path, const std::string& receiver, const std::string& requested_by,
                std::ostream& out, std::ostream& err) {
  notify::NotifyConfig config;
  std::unique_ptr<notify::Sender> sender;
  const notify::Receiver* found = nullptr;
  try {
    config = load_config(config_path, {}).notify;
    found = config.receiver(receiver);
    if (!found) {
      err << "no receiver named \"" << receiver << "\" in " << config_path << " (" << config.receiver_names() << ")\n";
      return 2;
    }
    sender = notify::make_sender(*found);
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 2;
  }
  // The notice the daemon's own test sends (Notifier::test), straight to the transport.
  const auto row = notify::Planner(config).test_row(*found, now(), requested_by);
  notify::SendResult result;
  try {
    result = sender->send(notify::make_delivery({notify::notice_from_json(nlohmann::json::parse(row.notice))}));
  } catch (const std::exception& e) {
    result.answer = std::string("cannot be sent: ") + e.what();
  }
  const bool delivered = result.outcome == notify::SendResult::Outcome::delivered;
  out << receiver << ": " << (delivered ? "delivered" : "not delivered") << " (status " << result.status
      << "): " << result.answer << '\n';
  return delivered ? 0 : 1;
}

int notify_list(const std::string& config_path, std::ostream& out, std::ostream& err) {
  notify::NotifyConfig config;
  try {
    config = load_config(config_path, {}).notify;
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 2;
  }
  out << "receivers:\n";
  if (config.receivers.empty()) out << "  (none: nothing is delivered)\n";
  for (const auto& r : config.receivers) out << "  " << r.name << " " << type_of(r) << " " << target_of(r) << '\n';
  out << "routes:\n";
  if (config.routes.empty()) out << "  (none)\n";
  for (const auto& route : config.routes) out << "  " << route_line(route) << '\n';
  return 0;
}

}  // namespace sterifleet::app
