#include "notify_config.hpp"

#include <charconv>
#include <set>
#include <stdexcept>

#include "policy_file.hpp"

namespace sterifleet::app {

namespace {

using namespace std::chrono;

[[noreturn]] void fail(const toml::node& node, const std::string& message) {
  const auto& where = node.source();
  if (where.begin.line == 0) throw std::runtime_error(message);
  throw std::runtime_error((where.path ? *where.path : std::string("config")) + ":" + std::to_string(where.begin.line) +
                           ": " + message);
}

/// One table of the file, its keys checked against those it may have, each read at most once.
class Reader {
 public:
  Reader(const toml::table& table, std::string path, std::set<std::string_view> allowed)
      : table_(table), path_(std::move(path)) {
    for (const auto& [key, node] : table_) {
      if (!allowed.contains(key.str())) fail(node, "unknown key " + path_ + "." + std::string(key.str()));
    }
  }

  std::optional<std::string> text(std::string_view key) const {
    const auto* node = table_.get(key);
    if (!node) return std::nullopt;
    if (!node->is_string()) fail(*node, name(key) + " must be a string");
    return node->value<std::string>();
  }
  std::string required_text(std::string_view key) const {
    auto value = text(key);
    if (!value || value->empty()) fail(table_, name(key) + " is required");
    return *value;
  }
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const {
    const auto* node = table_.get(key);
    if (!node) return std::nullopt;
    const auto value = node->value<std::int64_t>();
    if (!node->is_integer() || !value) fail(*node, name(key) + " must be an integer");
    if (*value < min || *value > max) {
      fail(*node, name(key) + " must be from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return *value;
  }
  std::optional<bool> boolean(std::string_view key) const {
    const auto* node = table_.get(key);
    if (!node) return std::nullopt;
    if (!node->is_boolean()) fail(*node, name(key) + " must be true or false");
    return node->value<bool>();
  }
  std::vector<std::string> texts(std::string_view key) const {
    std::vector<std::string> out;
    const auto* node = table_.get(key);
    if (!node) return out;
    const auto* array = node->as_array();
    if (!array) fail(*node, name(key) + " must be an array of strings");
    for (const auto& item : *array) {
      if (!item.is_string()) fail(item, name(key) + " must be an array of strings");
      out.push_back(*item.value<std::string>());
    }
    return out;
  }
  const toml::table* table(std::string_view key) const {
    const auto* node = table_.get(key);
    if (node && !node->is_table()) fail(*node, name(key) + " must be a table");
    return node ? node->as_table() : nullptr;
  }
  const toml::node* find(std::string_view key) const { return table_.get(key); }
  /// The key's node for an error's line, or the table's when the key is absent.
  const toml::node& node(std::string_view key) const { return table_.get(key) ? *table_.get(key) : table_; }
  std::string name(std::string_view key) const { return path_ + "." + std::string(key); }

 private:
  const toml::table& table_;
  std::string path_;
};

std::string secret_from(const Reader& in, std::string_view key) {
  const auto file = in.text(key);
  if (!file) return {};
  try {
    std::string secret = read_text_file(*file);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) fail(in.node(key), in.name(key) + ": " + *file + " is empty");
    return secret;
  } catch (const std::runtime_error& e) {
    fail(in.node(key), in.name(key) + ": " + e.what());
  }
}

seconds timeout(const Reader& in, seconds fallback) {
  return seconds(in.integer("timeout_s", 1, 300).value_or(fallback.count()));
}

notify::Receiver read_receiver(const toml::table& table, const std::string& path) {
  const Reader head(table, path,
                    {"name", "type", "url", "secret_file", "timeout_s", "smtp_url", "from", "to", "username",
                     "password_file", "require_tls", "ca_file", "verify"});
  notify::Receiver receiver;
  receiver.name = head.required_text("name");
  const std::string type = head.required_text("type");
  const std::string where = path + " (\"" + receiver.name + "\")";
  if (type == "alertmanager") {
    const Reader in(table, where, {"name", "type", "url", "timeout_s"});
    receiver.settings = notify::AlertmanagerReceiver{in.required_text("url"), timeout(in, seconds(10))};
  } else if (type == "webhook") {
    const Reader in(table, where, {"name", "type", "url", "secret_file", "timeout_s"});
    const auto secret = secret_from(in, "secret_file");
    if (secret.empty()) fail(table, in.name("secret_file") + " is required: webhooks are signed");
    receiver.settings = notify::WebhookReceiver{in.required_text("url"), secret, timeout(in, seconds(15))};
  } else if (type == "email") {
    const Reader in(table, where,
                    {"name", "type", "smtp_url", "from", "to", "username", "password_file", "require_tls", "ca_file",
                     "verify", "timeout_s"});
    notify::EmailReceiver email;
    email.smtp_url = in.required_text("smtp_url");
    email.from = in.required_text("from");
    email.to = in.texts("to");
    if (email.to.empty()) fail(table, in.name("to") + " needs at least one address");
    email.username = in.text("username").value_or("");
    email.password = secret_from(in, "password_file");
    email.require_tls = in.boolean("require_tls").value_or(true);
    // Without STARTTLS required, a server (or someone between) that offers none gets the password in clear.
    if (!email.require_tls && !email.password.empty() && !email.smtp_url.starts_with("smtps://")) {
      fail(table, in.name("require_tls") + " = false with a password_file would let the password travel in clear; " +
                      "require TLS, use smtps://, or drop the password");
    }
    email.ca_file = in.text("ca_file").value_or("");
    email.verify = in.boolean("verify").value_or(true);
    email.timeout = timeout(in, seconds(30));
    receiver.settings = std::move(email);
  } else {
    fail(head.node("type"), head.name("type") + " must be \"alertmanager\", \"webhook\" or \"email\"");
  }
  return receiver;
}

minutes clock_time(const Reader& in, std::string_view key) {
  const auto text = in.required_text(key);
  int hours = -1;
  int mins = -1;
  const char* end = text.data() + text.size();
  auto parsed = std::from_chars(text.data(), end, hours);
  if (parsed.ec == std::errc() && parsed.ptr != end && *parsed.ptr == ':') {
    parsed = std::from_chars(parsed.ptr + 1, end, mins);
  }
  if (parsed.ec != std::errc() || parsed.ptr != end || text.size() != 5 || hours < 0 || hours > 23 || mins < 0 ||
      mins > 59) {
    fail(in.node(key), in.name(key) + " must be a time of day as \"HH:MM\", got \"" + text + "\"");
  }
  return hours * 60min + minutes(mins);
}

notify::Route read_route(const toml::table& table, const std::string& path, std::size_t index) {
  const Reader in(table, path,
                  {"name", "clinics", "severities", "rules", "receiver", "continue", "repeat_interval_min",
                   "escalate_after_min", "escalate_to", "send_resolved", "group_wait_s", "quiet_hours"});
  notify::Route route;
  route.name = in.text("name").value_or("route " + std::to_string(index + 1));
  route.clinics = in.texts("clinics");
  for (const auto& s : in.texts("severities")) {
    const auto severity = engine::parse_severity(s);
    if (!severity)
      fail(in.node("severities"), in.name("severities") + ": \"" + s + "\" is not critical, warning or info");
    route.severities.push_back(*severity);
  }
  for (const auto& r : in.texts("rules")) {
    const auto rule = engine::parse_rule(r);
    if (!rule) fail(in.node("rules"), in.name("rules") + ": \"" + r + "\" is not a rule id (daemon/engine/README.md)");
    route.rules.push_back(*rule);
  }
  route.receiver = in.required_text("receiver");
  route.continue_matching = in.boolean("continue").value_or(false);
  if (const auto m = in.integer("repeat_interval_min", 0, 7 * 24 * 60)) route.repeat_interval = minutes(*m);
  if (const auto m = in.integer("escalate_after_min", 1, 7 * 24 * 60)) route.escalate_after = minutes(*m);
  route.escalate_to = in.text("escalate_to").value_or("");
  route.send_resolved = in.boolean("send_resolved").value_or(true);
  route.group_wait = seconds(in.integer("group_wait_s", 0, 300).value_or(0));
  if (const auto* quiet = in.table("quiet_hours")) {
    const Reader q(*quiet, in.name("quiet_hours"), {"from", "to", "time_zone"});
    try {
      route.quiet_hours.emplace(clock_time(q, "from"), clock_time(q, "to"), q.required_text("time_zone"));
    } catch (const std::runtime_error& e) {
      fail(q.node("time_zone"), q.name("time_zone") + ": " + e.what());
    }
  }
  return route;
}

template <class T, class Read>
std::vector<T> read_array(const Reader& in, std::string_view key, Read read) {
  std::vector<T> out;
  const auto* node = in.find(key);
  if (!node) return out;
  const auto* array = node->as_array();
  if (!array) fail(*node, in.name(key) + " must be an array of tables ([[" + in.name(key) + "]])");
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* table = (*array)[i].as_table();
    if (!table) fail((*array)[i], in.name(key) + " must be an array of tables ([[" + in.name(key) + "]])");
    out.push_back(read(*table, in.name(key) + "[" + std::to_string(i + 1) + "]", i));
  }
  return out;
}

}  // namespace

notify::NotifyConfig read_notify_config(const toml::table& table) {
  const Reader in(table, "notify", {"dashboard_url", "dead_after_hours", "receiver", "route"});
  notify::NotifyConfig config;
  config.dashboard_url = in.text("dashboard_url").value_or("");
  config.dead_after = hours(in.integer("dead_after_hours", 1, 24 * 30).value_or(24));
  config.receivers = read_array<notify::Receiver>(
      in, "receiver",
      [](const toml::table& t, const std::string& path, std::size_t) { return read_receiver(t, path); });
  config.routes = read_array<notify::Route>(in, "route", read_route);
  if (const auto problems = config.problems(); !problems.empty()) {
    std::string text = "[notify]:";
    for (const auto& p : problems) text += " " + p + ";";
    text.pop_back();
    throw std::runtime_error(text);
  }
  return config;
}

std::string_view notify_config_example() {
  return R"toml(
# Where alerts are delivered (README "Getting alerts"). Without receivers and routes, alerts are on the
# dashboard, the API and the event stream only. Routes are tried in order; the first that matches an
# alert's clinic, severity and rule decides, unless it says continue = true. Secrets come from files.
#
# [notify]
# dashboard_url = "https://sterifleet.clinic.example"  # for links in notifications
# dead_after_hours = 24  # a notification not delivered this long after its first failure is dead
#
# [[notify.receiver]]
# name = "on-call"
# type = "webhook"  # JSON POST, Standard Webhooks signature and X-Hub-Signature-256
# url = "https://hooks.clinic.example/sterifleet"
# secret_file = "/etc/sterifleet/webhook.secret"  # "whsec_<base64>" or any text
#
# [[notify.receiver]]
# name = "manager-mail"
# type = "email"
# smtp_url = "smtp://mail.clinic.example:587"  # STARTTLS required unless require_tls = false
# from = "sterifleet@clinic.example"
# to = ["manager@clinic.example"]
# username = "sterifleet"
# password_file = "/etc/sterifleet/smtp.password"
#
# [[notify.receiver]]
# name = "alertmanager"
# type = "alertmanager"  # its routing, silences and receivers take over
# url = "http://127.0.0.1:9093"
#
# [[notify.route]]
# name = "critical"
# severities = ["critical"]
# receiver = "on-call"
# repeat_interval_min = 15  # until acknowledged; default: the policy's [notifications]; 0: never
# escalate_after_min = 30
# escalate_to = "manager-mail"
# continue = true
#
# [[notify.route]]
# name = "everything to the manager"
# receiver = "manager-mail"
# group_wait_s = 30  # a burst of one clinic's alerts becomes one mail
# quiet_hours = { from = "20:00", to = "07:00", time_zone = "Europe/Berlin" }  # holds warnings, never critical
)toml";
}

}  // namespace sterifleet::app
