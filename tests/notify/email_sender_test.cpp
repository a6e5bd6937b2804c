// The email sender against a real SMTP server (aiosmtpd): STARTTLS and AUTH, a refused login, a server
// without STARTTLS with and without TLS required, and an untrusted certificate.
#include "sterifleet/notify/email_sender.hpp"

#include <gtest/gtest.h>

#include "smtp_server.hpp"
#include "sterifleet/testing/mosquitto.hpp"  // free_port

namespace sterifleet::notify {
namespace {

using testing::SmtpServer;
using testing::SmtpServerOptions;

constexpr const char* password = "s3cret-Passw0rd";

SmtpServerOptions secured() {
  return {.starttls = true, .require_starttls = true, .user = "sterifleet", .password = password};
}

EmailReceiver receiver_for(const SmtpServer& server) {
  EmailReceiver r;
  r.smtp_url = server.url();
  r.from = "Sterifleet <alerts@clinic.example>";
  r.to = {"manager@clinic.example", "lead@clinic.example"};
  r.ca_file = server.ca_file().string();
  r.timeout = std::chrono::seconds{10};
  return r;
}

EmailReceiver with_login(EmailReceiver r, std::string secret = password) {
  r.username = "sterifleet";
  r.password = std::move(secret);
  return r;
}

Delivery delivery() {
  Notice n;
  n.id = "ntf_smtp_1";
  n.receiver = "clinic-managers";
  n.created_at = *protocol::parse_timestamp("2026-11-24T09:15:03.000Z");
  n.alert = {{"id", "a1"},
             {"clinic", "C01"},
             {"rule", "device.used_without_reprocessing"},
             {"severity", "critical"},
             {"device", "C01-PEN-02"},
             {"summary", "session S-0042 started on C01-PEN-02 without a valid reprocessing"}};
  n.advice = "Take the pen out of use.";
  return make_delivery({n});
}

TEST(EmailSender, StartTlsAndAuth_DeliversToEveryRecipient) {
  SmtpServer server(secured());
  EmailSender sender(with_login(receiver_for(server)));
  const auto result = sender.send(delivery());
  EXPECT_EQ(result.outcome, SendResult::Outcome::delivered) << result.answer << "\n" << server.log();
  EXPECT_EQ(result.status, 250) << result.answer;
  const auto mails = server.received();
  ASSERT_EQ(mails.size(), 1u) << server.log();
  EXPECT_EQ(mails[0].mail_from, "alerts@clinic.example");
  EXPECT_EQ(mails[0].rcpt_tos, (std::vector<std::string>{"manager@clinic.example", "lead@clinic.example"}));
  EXPECT_TRUE(mails[0].tls);
  EXPECT_TRUE(mails[0].authenticated);
  EXPECT_NE(mails[0].data.find("Subject: [sterifleet] CRITICAL at C01: device.used_without_reprocessing on C01-PEN-02"),
            std::string::npos)
      << mails[0].data;
  EXPECT_NE(mails[0].data.find("Message-ID: <" + delivery().id + "@sterifleet>"), std::string::npos);
}

TEST(EmailSender, WrongPassword_RetriesWithTheRefusalAndSendsNothing) {
  SmtpServer server(secured());
  EmailSender sender(with_login(receiver_for(server), "not-the-password"));
  const auto result = sender.send(delivery());
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_EQ(result.status, 535) << result.answer;
  EXPECT_NE(result.answer.find("refused authentication"), std::string::npos) << result.answer;
  EXPECT_NE(result.answer.find("535"), std::string::npos) << result.answer;
  EXPECT_EQ(result.answer.find("not-the-password"), std::string::npos) << result.answer;
  EXPECT_TRUE(server.received().empty());
}

TEST(EmailSender, PasswordInTheAnswerIsHidden_EvenOneThatOccursInTheMask) {
  SmtpServer server(secured());
  // "r" is in the answer's words and in "[password]" itself: the masking must neither leak nor loop.
  EmailSender sender(with_login(receiver_for(server), "r"));
  auto answer = sender.send(delivery()).answer;
  EXPECT_NE(answer.find("[password]"), std::string::npos) << answer;
  for (auto at = answer.find("[password]"); at != std::string::npos; at = answer.find("[password]")) {
    answer.erase(at, std::string_view("[password]").size());
  }
  EXPECT_EQ(answer.find('r'), std::string::npos) << answer;
}

TEST(EmailSender, NoStartTlsWhileTlsRequired_RetriesAndSendsNothingInClear) {
  SmtpServer server;
  EmailSender sender(with_login(receiver_for(server)));
  const auto result = sender.send(delivery());
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_NE(result.answer.find("TLS is required"), std::string::npos) << result.answer;
  EXPECT_NE(result.answer.find("nothing was sent"), std::string::npos) << result.answer;
  EXPECT_EQ(result.answer.find(password), std::string::npos) << result.answer;
  EXPECT_TRUE(server.received().empty());
}

TEST(EmailSender, NoStartTlsWithTlsOptional_Delivers) {
  SmtpServer server;
  EmailReceiver settings = receiver_for(server);
  settings.require_tls = false;
  EmailSender sender(settings);
  const auto result = sender.send(delivery());
  EXPECT_EQ(result.outcome, SendResult::Outcome::delivered) << result.answer << "\n" << server.log();
  const auto mails = server.received();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_FALSE(mails[0].tls);
}

TEST(EmailSender, UntrustedCertificate_RetriesAndSendsNothing) {
  SmtpServer server(secured());
  EmailReceiver settings = with_login(receiver_for(server));
  settings.ca_file.clear();  // the system's trust store does not know the test's self-signed certificate
  EmailSender sender(settings);
  const auto result = sender.send(delivery());
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_FALSE(result.answer.empty());
  EXPECT_EQ(result.answer.find(password), std::string::npos) << result.answer;
  EXPECT_TRUE(server.received().empty());
}

TEST(EmailSender, NobodyListening_RetriesWithoutAReplyCode) {
  EmailReceiver settings;
  settings.smtp_url = "smtp://127.0.0.1:" + std::to_string(testing::free_port());
  settings.from = "alerts@clinic.example";
  settings.to = {"manager@clinic.example"};
  EmailSender sender(settings);
  const auto result = sender.send(delivery());
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.answer.empty());
}

}  // namespace
}  // namespace sterifleet::notify
