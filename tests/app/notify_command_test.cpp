// `sterifleet notify test` and `notify list` from a daemon configuration file, against a real HTTP
// listener: the receiver's answer printed, exit 0 when it took the notice, 1 when not, 2 for a
// configuration mistake; list shows targets without secrets.
#include "notify_command.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "http_receiver.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::app {
namespace {

using sterifleet::testing::HttpReceiver;
using sterifleet::testing::ScriptedReply;

class NotifyCommand : public ::testing::Test {
 protected:
  /// A daemon configuration with one webhook receiver, "desk", posting to `url`.
  std::string config(const std::string& url) {
    const auto secret = dir_.path() / "webhook.secret";
    std::ofstream(secret) << "s3cret-of-the-desk\n";
    const auto path = dir_.path() / "sterifleetd.toml";
    std::ofstream(path) << "[[notify.receiver]]\nname = \"desk\"\ntype = \"webhook\"\nurl = \"" << url
                        << "\"\nsecret_file = \"" << secret.string() << "\"\ntimeout_s = 2\n\n"
                        << "[[notify.route]]\nname = \"all\"\nreceiver = \"desk\"\n";
    return path.string();
  }

  int test(const std::string& config_path, const std::string& receiver) {
    out_.str("");
    err_.str("");
    return notify_test(config_path, receiver, "cli:ops", out_, err_);
  }

  std::ostringstream out_;
  std::ostringstream err_;
  sterifleet::testing::TempDir dir_{"sterifleet-notify-command"};
};

TEST_F(NotifyCommand, Delivered_PrintsTheAnswerAndExits0) {
  HttpReceiver receiver({ScriptedReply{200, {}, "thanks"}});
  EXPECT_EQ(test(config(receiver.url("/hook")), "desk"), 0) << err_.str();
  EXPECT_EQ(out_.str().rfind("desk: delivered (status 200)", 0), 0u) << out_.str();
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.target, "/hook");
  EXPECT_TRUE(request.header("webhook-signature").has_value());
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_NE(body.dump().find("cli:ops"), std::string::npos) << request.body;
}

TEST_F(NotifyCommand, Refused_PrintsTheAnswerAndExits1) {
  HttpReceiver receiver({ScriptedReply{503, {}, "down for maintenance"}});
  EXPECT_EQ(test(config(receiver.url("/hook")), "desk"), 1);
  EXPECT_EQ(out_.str().rfind("desk: not delivered (status 503)", 0), 0u) << out_.str();
}

TEST_F(NotifyCommand, UnknownReceiver_NamesTheConfiguredOnesAndExits2) {
  HttpReceiver receiver;
  const auto path = config(receiver.url("/hook"));
  EXPECT_EQ(test(path, "pager"), 2);
  EXPECT_EQ(err_.str(), "no receiver named \"pager\" in " + path + " (configured: desk)\n");
  EXPECT_TRUE(receiver.requests().empty());
  EXPECT_EQ(test((dir_.path() / "missing.toml").string(), "desk"), 2);
  EXPECT_FALSE(err_.str().empty());
}

TEST_F(NotifyCommand, List_ShowsReceiversWithoutSecretsAndRoutes) {
  const auto path = config("https://ops:hunter2@hooks.clinic.example/in?token=abc#x");
  EXPECT_EQ(notify_list(path, out_, err_), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "receivers:\n  desk webhook https://hooks.clinic.example/in\nroutes:\n"
            "  all -> desk (clinics: any, continue: no)\n");
  EXPECT_EQ(out_.str().find("s3cret"), std::string::npos);
}

TEST(UrlWithoutSecrets, DropsUserInformationQueryAndFragment) {
  EXPECT_EQ(url_without_secrets("smtp://mail.example:587"), "smtp://mail.example:587");
  EXPECT_EQ(url_without_secrets("smtps://user:pw@mail.example:465"), "smtps://mail.example:465");
  EXPECT_EQ(url_without_secrets("http://127.0.0.1:9093/"), "http://127.0.0.1:9093/");
  EXPECT_EQ(url_without_secrets("https://h.example/a/b?key=1"), "https://h.example/a/b");
  EXPECT_EQ(url_without_secrets("https://h.example?key=1"), "https://h.example");
}

}  // namespace
}  // namespace sterifleet::app
