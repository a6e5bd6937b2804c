// The email a clinic manager reads: what happened, on which device and session, what to do, and where
// to act on it. Words for the rules are the dashboard's (dashboards/web/src/format.ts), so the mail and
// the screen it links to name things alike.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "mail_text.hpp"
#include "sterifleet/notify/email_sender.hpp"

namespace sterifleet::notify {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, std::string_view>, 21> rule_words{{
    {"device.used_without_reprocessing", "Used without reprocessing"},
    {"cartridge.reused", "Cartridge reused"},
    {"cartridge.expired", "Expired cartridge"},
    {"cartridge.overused", "Cartridge overused"},
    {"cycle.parameters_insufficient", "Cycle below minimum"},
    {"cycle.indicator_failed", "Chemical indicator failed"},
    {"cycle.bi_positive", "Biological indicator positive"},
    {"device.sterility_expired", "Sterility expired"},
    {"sterilizer.daily_test_missing", "Daily air-removal test missing"},
    {"sterilizer.daily_test_failed", "Daily air-removal test failed"},
    {"device.offline", "Device offline"},
    {"device.battery_low", "Battery low"},
    {"device.service_due", "Service due"},
    {"session.depth_exceeds_policy", "Needle depth above policy"},
    {"device.unknown", "Unknown device"},
    {"device.identity_mismatch", "Identity mismatch"},
    {"device.sequence_gap", "Messages missing"},
    {"device.event_rejected", "Event could not be judged"},
    {"device.protocol_drift", "Off-spec field"},
    {"delivery.failed", "Alert not delivered"},
    {"device.clinic_mismatch", "Device on another clinic's topic"},
}};

/// A member of the alert, null when absent: a test notice's alert may be null altogether.
json member(const json& alert, const char* key) {
  if (!alert.is_object()) return nullptr;
  const auto found = alert.find(key);
  return found == alert.end() ? json(nullptr) : *found;
}

std::string text(const json& alert, const char* key) {
  const json value = member(alert, key);
  return value.is_string() ? value.get<std::string>() : std::string{};
}

std::string rule_in_words(const std::string& rule) {
  for (const auto& [id, words] : rule_words) {
    if (id == rule) return std::string(words);
  }
  return rule;
}

int severity_rank(const Notice& notice) {
  const auto severity = text(notice.alert, "severity");
  return severity == "critical" ? 0 : severity == "warning" ? 1 : severity == "info" ? 2 : 3;
}

std::string upper(std::string text) {
  for (auto& c : text) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return text;
}

/// The subject's prefix for a notice kind; a first firing needs none.
std::string_view kind_prefix(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::firing:
      return "";
    case NoticeKind::repeat:
      return "REPEAT ";
    case NoticeKind::escalation:
      return "ESCALATED ";
    case NoticeKind::resolved:
      return "RESOLVED ";
    case NoticeKind::withdrawn:
      return "WITHDRAWN ";
    case NoticeKind::test:
      return "TEST ";
    case NoticeKind::checkpoint:
      return "AUDIT ";
  }
  return "";
}

/// "2026-11-24T09:15:02.120Z" -> "2026-11-24 09:15:02 UTC"; other text as it is.
std::string readable_time(const std::string& stamp) {
  const auto ts = protocol::parse_timestamp(stamp);
  if (!ts) return stamp;
  const auto day = std::chrono::floor<std::chrono::days>(*ts);
  const std::chrono::hh_mm_ss time{std::chrono::floor<std::chrono::seconds>(*ts - day)};
  return fmt::format("{} {:02}:{:02}:{:02} UTC", protocol::format_date(std::chrono::year_month_day{day}),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

/// RFC 5322 date-time, always in UTC: "Tue, 24 Nov 2026 09:15:02 +0000".
std::string rfc5322_date(Timestamp now) {
  static constexpr std::array<const char*, 7> weekdays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = std::chrono::floor<std::chrono::days>(now);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{std::chrono::floor<std::chrono::seconds>(now - day)};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", weekdays[std::chrono::weekday{day}.c_encoding()],
                     static_cast<unsigned>(date.day()), months[static_cast<unsigned>(date.month()) - 1],
                     static_cast<int>(date.year()), time.hours().count(), time.minutes().count(),
                     time.seconds().count());
}

std::string one_subject(const Notice& notice) {
  const auto& alert = notice.alert;
  std::string subject = std::string(kind_prefix(notice.kind));
  const auto severity = upper(text(alert, "severity"));
  const auto clinic = text(alert, "clinic");
  const auto rule = text(alert, "rule");
  const auto device = text(alert, "device");
  if (notice.kind == NoticeKind::test && rule.empty()) return subject + "message for receiver " + notice.receiver;
  if (notice.kind == NoticeKind::checkpoint) return subject + text(alert, "summary");
  subject += severity.empty() ? "ALERT" : severity;
  if (!clinic.empty()) subject += " at " + clinic;
  if (!rule.empty()) subject += ": " + rule;
  if (!device.empty()) subject += " on " + device;
  return subject;
}

std::string several_subject(const Delivery& delivery) {
  const auto& notices = delivery.notices;
  const auto kind = notices.front().kind;
  const bool one_kind = std::all_of(notices.begin(), notices.end(), [&](const Notice& n) { return n.kind == kind; });
  const auto critical =
      std::count_if(notices.begin(), notices.end(), [](const Notice& n) { return severity_rank(n) == 0; });
  std::string subject = fmt::format("{}{} alerts", one_kind ? kind_prefix(kind) : "", notices.size());
  if (!delivery.clinic.empty()) subject += " at " + delivery.clinic;
  if (critical > 0) subject += fmt::format(" ({} critical)", critical);
  return subject;
}

std::string subject_line(const Delivery& delivery) {
  if (delivery.notices.empty()) return "[sterifleet] no alerts";
  return "[sterifleet] " +
         (delivery.notices.size() == 1 ? one_subject(delivery.notices.front()) : several_subject(delivery));
}

/// The first sentence of a notice: why this mail, now.
std::string opening(const Notice& notice) {
  const auto& alert = notice.alert;
  switch (notice.kind) {
    case NoticeKind::firing:
      return "A new alert opened.";
    case NoticeKind::repeat:
      return fmt::format("Reminder {}: this alert is still open and nobody has acknowledged it.", notice.repeat);
    case NoticeKind::escalation:
      return "Escalated to you: nobody acknowledged this alert in time.";
    case NoticeKind::resolved:
      if (const auto r = member(alert, "resolution"); r.is_object()) {
        return "Resolved by " + text(r, "by") + ": " + text(r, "reason");
      }
      return "Resolved: the condition cleared.";
    case NoticeKind::withdrawn:
      return "Withdrawn: later data showed the condition never held. It does not count as a violation.";
    case NoticeKind::test:
      return "A test message from sterifleet: no alert is behind it. If you can read this, alert emails reach you.";
    case NoticeKind::checkpoint:
      return "The daemon's signed audit checkpoint. Keep this message: the line below, saved to a file, lets an "
             "auditor prove a copy of the database with sterifleet audit verify --checkpoint.\n" +
             text(alert, "checkpoint_line");
  }
  return {};
}

/// What the alert is about when that is more than its device: a session, cartridge or cycle.
void subject_fields(mail::Body& body, const json& alert) {
  const auto subject = text(alert, "subject");
  const auto device = text(alert, "device");
  const auto rule = text(alert, "rule");
  if (subject.empty() || subject == device) return;
  const bool own = !device.empty() && subject.starts_with(device + "/");
  const std::string id = own ? subject.substr(device.size() + 1) : subject;
  if (rule.starts_with("session.")) {
    body.field("Session", id + " (the patient session affected)");
  } else if (rule.starts_with("cartridge.")) {
    body.field("Cartridge", id);
  } else if (rule.starts_with("cycle.")) {
    body.field("Cycle", id);
  } else {
    body.field("Concerns", id);
  }
}

void history_fields(mail::Body& body, const json& alert) {
  const auto opened = text(alert, "opened_at");
  if (!opened.empty()) {
    const auto occurrences = member(alert, "occurrences");
    const auto count = occurrences.is_number_integer() ? occurrences.get<long long>() : 1;
    body.field("Opened", readable_time(opened) + (count > 1 ? fmt::format(" ({} occurrences)", count) : ""));
  }
  if (const auto ack = member(alert, "ack"); ack.is_object()) {
    const auto comment = text(ack, "comment");
    body.field("Acknowledged", "by " + text(ack, "by") + " at " + readable_time(text(ack, "at")) +
                                   (comment.empty() ? "" : ": " + comment));
  }
  if (const auto cleared = text(alert, "cleared_at"); !cleared.empty()) {
    body.field("Cleared", readable_time(cleared) + ": " + text(alert, "clearance"));
  }
}

void notice_body(mail::Body& body, const Notice& notice) {
  const auto& alert = notice.alert;
  const auto severity = text(alert, "severity");
  const auto rule = text(alert, "rule");
  if (!rule.empty()) {
    body.paragraph(upper(severity.empty() ? std::string("alert") : severity) + ": " + rule_in_words(rule));
  }
  body.paragraph(opening(notice));
  body.blank();
  if (const auto summary = text(alert, "summary"); !summary.empty()) body.field("What happened", summary);
  if (!rule.empty()) body.field("Rule", rule_in_words(rule) + " (" + rule + ")");
  if (const auto device = text(alert, "device"); !device.empty()) body.field("Device", device);
  subject_fields(body, alert);
  if (const auto trigger = text(alert, "trigger"); !trigger.empty()) body.field("Triggered by", trigger);
  history_fields(body, alert);
  if (!notice.advice.empty()) body.field("What to do", notice.advice);
  if (!notice.alert_url.empty()) body.field("Dashboard", notice.alert_url);
  if (const auto id = notice.alert_id(); !id.empty()) body.field("Alert id", id);
  body.field("Notice id", notice.id);
}

std::string body_text(const Delivery& delivery, const EmailReceiver& receiver) {
  std::vector<const Notice*> notices;
  for (const auto& n : delivery.notices) notices.push_back(&n);
  // The most severe first: a critical alert is never hidden below a list of warnings.
  std::stable_sort(notices.begin(), notices.end(),
                   [](const Notice* a, const Notice* b) { return severity_rank(*a) < severity_rank(*b); });
  mail::Body body;
  if (notices.size() > 1) {
    body.paragraph(several_subject(delivery) + ". The most severe come first.");
    body.blank();
  }
  for (std::size_t i = 0; i < notices.size(); ++i) {
    if (notices.size() > 1) body.paragraph(fmt::format("---- {} of {} ----", i + 1, notices.size()));
    notice_body(body, *notices[i]);
    body.blank();
  }
  body.raw("-- ");
  std::string to;
  for (const auto& address : receiver.to) to += (to.empty() ? "" : ", ") + mail::address_of(address);
  body.paragraph("You receive this mail because the sterifleet receiver \"" + delivery.receiver +
                 "\" sends the alerts" + (delivery.clinic.empty() ? std::string() : " of clinic " + delivery.clinic) +
                 " to " + to + ". Acknowledge an alert on the dashboard to stop its reminders.");
  return body.text();
}

/// An id usable left of the '@' of a Message-ID (RFC 5322 dot-atom text).
std::string message_id_part(const std::string& id) {
  std::string out;
  for (const char c : id.substr(0, 200)) {
    const bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    out += plain ? c : '_';
  }
  return out.empty() ? "delivery" : out;
}

/// "To:" with its addresses folded onto continuation lines, so many recipients stay under the line limit.
std::string to_header(const EmailReceiver& receiver) {
  std::string header = "To: ";
  std::size_t line = header.size();
  for (std::size_t i = 0; i < receiver.to.size(); ++i) {
    const auto address = mail::header_text(mail::address_of(receiver.to[i]), 320);
    if (i > 0 && line + address.size() + 2 > mail::wrap_column) {
      header += ",\r\n ";
      line = 1;
    } else if (i > 0) {
      header += ", ";
      line += 2;
    }
    header += address;
    line += address.size();
  }
  return header + "\r\n";
}

}  // namespace

std::string email_message(const Delivery& delivery, const EmailReceiver& receiver, Timestamp now) {
  std::string message;
  message += "Date: " + rfc5322_date(now) + "\r\n";
  message += "From: " + mail::header_text(receiver.from, 400) + "\r\n";
  message += to_header(receiver);
  message += "Subject: " + mail::header_text(subject_line(delivery)) + "\r\n";
  // Derived from the delivery's id, which stays the same while its notices are retried: a mail that did
  // arrive before a timeout is recognised as the same message by clients that thread or de-duplicate.
  message += "Message-ID: <" + message_id_part(delivery.id) + "@sterifleet>\r\n";
  // RFC 3834: tells auto-responders (out of office) not to answer an alert mail.
  message += "Auto-Submitted: auto-generated\r\n";
  message += "MIME-Version: 1.0\r\n";
  message += "Content-Type: text/plain; charset=utf-8\r\n";
  message += "Content-Transfer-Encoding: 8bit\r\n";
  message += "\r\n";
  message += body_text(delivery, receiver);
  return message;
}

}  // namespace sterifleet::notify
