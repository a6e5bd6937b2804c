#include <gtest/gtest.h>

#include "sterifleet/notify/email_sender.hpp"

namespace sterifleet::notify {
namespace {

Timestamp at(const char* text) { return *protocol::parse_timestamp(text); }

EmailReceiver receiver() {
  EmailReceiver r;
  r.smtp_url = "smtp://127.0.0.1:2525";
  r.from = "Sterifleet <alerts@clinic.example>";
  r.to = {"manager@clinic.example", "Lead <lead@clinic.example>"};
  return r;
}

Notice pen_notice(std::string id, std::string severity = "critical") {
  Notice n;
  n.id = std::move(id);
  n.kind = NoticeKind::firing;
  n.receiver = "clinic-managers";
  n.created_at = at("2026-11-24T09:15:03.000Z");
  n.alert = {{"id", "a1b2c3d4e5f60718"},
             {"clinic", "C01"},
             {"rule", "device.used_without_reprocessing"},
             {"severity", severity},
             {"subject", "C01-PEN-02"},
             {"device", "C01-PEN-02"},
             {"state", "open"},
             {"trigger", "C01-PEN-02/17/1042"},
             {"opened_at", "2026-11-24T09:15:02.120Z"},
             {"occurrences", 1},
             {"summary", "session S-0042 started on C01-PEN-02 after its last session without a valid reprocessing"},
             {"cleared_at", nullptr},
             {"clearance", ""},
             {"ack", nullptr},
             {"resolution", nullptr}};
  n.alert_url = "https://sterifleet.example/#/alerts/a1b2c3d4e5f60718";
  n.advice = "Take the pen out of use, reprocess it, and review the patient of session S-0042.";
  return n;
}

Notice depth_notice(std::string id) {
  Notice n = pen_notice(std::move(id), "warning");
  n.alert["rule"] = "session.depth_exceeds_policy";
  n.alert["subject"] = "C01-PEN-02/S-0043";
  n.alert["summary"] = "depth 2.50 mm exceeds the 1.50 mm limit for face in session S-0043";
  return n;
}

std::string headers_of(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }
std::string body_of(const std::string& message) { return message.substr(message.find("\r\n\r\n") + 4); }

std::string header(const std::string& message, const std::string& name) {
  const auto headers = headers_of(message);
  const auto start = headers.find("\r\n" + name + ": ");
  const auto from = start == std::string::npos ? (headers.starts_with(name + ": ") ? 0 : std::string::npos) : start + 2;
  if (from == std::string::npos) return {};
  const auto value = from + name.size() + 2;
  return headers.substr(value, headers.find("\r\n", value) - value);
}

TEST(EmailMessage, OneNoticeNamesSeverityClinicRuleAndDeviceInTheSubject) {
  const auto message = email_message(make_delivery({pen_notice("ntf_1")}), receiver(), at("2026-11-24T09:15:04Z"));
  EXPECT_EQ(header(message, "Subject"), "[sterifleet] CRITICAL at C01: device.used_without_reprocessing on C01-PEN-02");
  EXPECT_EQ(header(message, "Date"), "Tue, 24 Nov 2026 09:15:04 +0000");
  EXPECT_EQ(header(message, "From"), "Sterifleet <alerts@clinic.example>");
  EXPECT_EQ(header(message, "To"), "manager@clinic.example, lead@clinic.example");
  EXPECT_EQ(header(message, "MIME-Version"), "1.0");
  EXPECT_EQ(header(message, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(header(message, "Content-Transfer-Encoding"), "8bit");
}

TEST(EmailMessage, BodyTellsWhatHappenedWhereWhatToDoAndWhereToAct) {
  const auto body =
      body_of(email_message(make_delivery({pen_notice("ntf_1")}), receiver(), at("2026-11-24T09:15:04Z")));
  EXPECT_NE(body.find("Used without reprocessing"), std::string::npos) << body;
  EXPECT_NE(body.find("session S-0042 started on C01-PEN-02"), std::string::npos) << body;
  EXPECT_NE(body.find("Device:        C01-PEN-02"), std::string::npos) << body;
  EXPECT_NE(body.find("Take the pen out of use"), std::string::npos) << body;
  EXPECT_NE(body.find("https://sterifleet.example/#/alerts/a1b2c3d4e5f60718"), std::string::npos) << body;
  EXPECT_NE(body.find("2026-11-24 09:15:02 UTC"), std::string::npos) << body;
  EXPECT_NE(body.find("a1b2c3d4e5f60718"), std::string::npos) << body;
  EXPECT_NE(body.find("ntf_1"), std::string::npos) << body;
  EXPECT_NE(body.find("receiver \"clinic-managers\""), std::string::npos) << body;
}

TEST(EmailMessage, SessionRuleNamesTheAffectedPatientSession) {
  const auto body =
      body_of(email_message(make_delivery({depth_notice("ntf_2")}), receiver(), at("2026-11-24T09:15:04Z")));
  EXPECT_NE(body.find("Session:       S-0043 (the patient session affected)"), std::string::npos) << body;
}

TEST(EmailMessage, MessageIdIsTheDeliveryIdSoRetriesAreTheSameMail) {
  const auto delivery = make_delivery({pen_notice("ntf_1")});
  const auto first = email_message(delivery, receiver(), at("2026-11-24T09:15:04Z"));
  const auto retry = email_message(delivery, receiver(), at("2026-11-24T09:20:00Z"));
  EXPECT_EQ(header(first, "Message-ID"), "<" + delivery.id + "@sterifleet>");
  EXPECT_EQ(header(first, "Message-ID"), header(retry, "Message-ID"));
}

TEST(EmailMessage, KindPrefixesTheSubject) {
  const std::vector<std::pair<NoticeKind, std::string>> table{
      {NoticeKind::repeat, "[sterifleet] REPEAT CRITICAL"},
      {NoticeKind::escalation, "[sterifleet] ESCALATED CRITICAL"},
      {NoticeKind::resolved, "[sterifleet] RESOLVED CRITICAL"},
      {NoticeKind::withdrawn, "[sterifleet] WITHDRAWN CRITICAL"},
      {NoticeKind::test, "[sterifleet] TEST CRITICAL"},
  };
  for (const auto& [kind, prefix] : table) {
    Notice n = pen_notice("ntf_1");
    n.kind = kind;
    const auto subject = header(email_message(make_delivery({n}), receiver(), at("2026-11-24T09:15:04Z")), "Subject");
    EXPECT_TRUE(subject.starts_with(prefix)) << subject;
  }
}

TEST(EmailMessage, CheckpointNoticeCarriesTheLineToSave) {
  Notice n;
  n.id = "ntf_cp";
  n.kind = NoticeKind::checkpoint;
  n.receiver = "auditor-mail";
  n.created_at = at("2026-11-24T09:15:03.000Z");
  // As long as a real one: a word no wrapping may break.
  const std::string line = R"({"at":"2026-11-24T09:15:03.000Z","first":")" + std::string(64, 'a') + R"(","head":")" +
                           std::string(64, 'b') + R"(","key":")" + std::string(44, 'K') + R"(","seq":42,"sig":")" +
                           std::string(88, 'S') + R"(","v":1})";
  n.alert = {{"rule", "sterifleet.audit_checkpoint"},
             {"severity", "info"},
             {"summary", "audit checkpoint of record 42"},
             {"checkpoint_line", line}};
  const auto message = email_message(make_delivery({n}), receiver(), at("2026-11-24T09:15:04Z"));
  EXPECT_EQ(header(message, "Subject"), "[sterifleet] AUDIT audit checkpoint of record 42");
  EXPECT_NE(body_of(message).find("sterifleet audit verify --checkpoint."), std::string::npos) << body_of(message);
  EXPECT_NE(body_of(message).find("\r\n" + line + "\r\n"), std::string::npos) << "whole, on a line of its own";
}

TEST(EmailMessage, TestNoticeWithoutAlertSaysSo) {
  Notice n;
  n.id = "ntf_test";
  n.kind = NoticeKind::test;
  n.receiver = "clinic-managers";
  const auto message = email_message(make_delivery({n}), receiver(), at("2026-11-24T09:15:04Z"));
  EXPECT_EQ(header(message, "Subject"), "[sterifleet] TEST message for receiver clinic-managers");
  EXPECT_NE(body_of(message).find("no alert is behind it"), std::string::npos);
}

TEST(EmailMessage, SeveralNoticesAreOneMailWithTheCriticalFirst) {
  const auto delivery = make_delivery({depth_notice("ntf_w"), pen_notice("ntf_c1"), pen_notice("ntf_c2")});
  const auto message = email_message(delivery, receiver(), at("2026-11-24T09:15:04Z"));
  EXPECT_EQ(header(message, "Subject"), "[sterifleet] 3 alerts at C01 (2 critical)");
  const auto body = body_of(message);
  EXPECT_NE(body.find("---- 3 of 3 ----"), std::string::npos) << body;
  EXPECT_LT(body.find("ntf_c1"), body.find("ntf_w"));
  EXPECT_LT(body.find("ntf_c2"), body.find("ntf_w"));
}

TEST(EmailMessage, LineBreaksInAlertDataNeverReachAHeader) {
  Notice n = pen_notice("ntf_1");
  n.alert["clinic"] = "C01\r\nBcc: victim@example.com";
  n.alert["device"] = "PEN\nX-Injected: yes";
  n.alert["rule"] = "rule\rSubject: fake";
  const auto message = email_message(make_delivery({n}), receiver(), at("2026-11-24T09:15:04Z"));
  const auto headers = headers_of(message);
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos) << headers;
  EXPECT_EQ(headers.find("\r\nX-Injected:"), std::string::npos) << headers;
  EXPECT_EQ(headers.find("\r\nSubject: fake"), std::string::npos) << headers;
  // Every line of the whole message ends in CRLF: no bare CR or LF anywhere.
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n') {
      EXPECT_TRUE(i > 0 && message[i - 1] == '\r') << "bare LF at " << i;
    }
    if (message[i] == '\r') {
      EXPECT_TRUE(i + 1 < message.size() && message[i + 1] == '\n') << "bare CR at " << i;
    }
  }
}

TEST(EmailMessage, ConfiguredAddressesCannotAddHeadersEither) {
  EmailReceiver r = receiver();
  r.from = "alerts@clinic.example\r\nBcc: victim@example.com";
  r.to = {"manager@clinic.example\nX-Injected: yes"};
  const auto headers = headers_of(email_message(make_delivery({pen_notice("ntf_1")}), r, at("2026-11-24T09:15:04Z")));
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos) << headers;
  EXPECT_EQ(headers.find("\r\nX-Injected:"), std::string::npos) << headers;
}

TEST(EmailMessage, EveryLineStaysUnderTheSmtpLimit) {
  Notice n = pen_notice("ntf_1");
  n.alert["summary"] = std::string(5000, 'x') + " " + std::string(3000, 'y');
  n.alert_url = "https://sterifleet.example/#/alerts/" + std::string(2000, 'z');
  EmailReceiver r = receiver();
  for (int i = 0; i < 100; ++i) r.to.push_back("someone" + std::to_string(i) + "@clinic.example");
  const auto message = email_message(make_delivery({n}), r, at("2026-11-24T09:15:04Z"));
  std::size_t start = 0;
  for (auto end = message.find("\r\n"); end != std::string::npos; end = message.find("\r\n", start)) {
    EXPECT_LT(end - start, 998u) << message.substr(start, 60);
    start = end + 2;
  }
}

TEST(EmailSenderSettings, UnusableSettingsAreRefusedAtStart) {
  EmailReceiver bad_url = receiver();
  bad_url.smtp_url = "http://127.0.0.1";
  EXPECT_THROW(EmailSender{bad_url}, std::invalid_argument);
  EmailReceiver no_recipient = receiver();
  no_recipient.to.clear();
  EXPECT_THROW(EmailSender{no_recipient}, std::invalid_argument);
  EmailReceiver injected = receiver();
  injected.to = {"a@b\r\nRCPT TO:<c@d>"};
  EXPECT_THROW(EmailSender{injected}, std::invalid_argument);
  EXPECT_NO_THROW(EmailSender{receiver()});
}

}  // namespace
}  // namespace sterifleet::notify
