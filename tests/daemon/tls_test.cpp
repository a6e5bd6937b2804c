// TLS end to end, with the certificates deploy/make-certs.sh makes: Mosquitto asks every client for a
// certificate of the CA and takes its common name as the account (as deploy/mosquitto does for
// devices), with the shipped ACL; the daemon connects over ssl:// with its own certificate and serves
// the API over HTTPS only; the simulator's devices each present their own certificate. A device cannot
// publish as another, whatever user name it claims; a certificate of another CA gets no connection, in
// either direction, nor does a revoked one.
#include <gtest/gtest.h>
#include <mqtt/exception.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "broker_traffic.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"
#include "sterifleet/testing/simulator.hpp"
#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string pen = "C01-PEN-01";
const std::string sterilizer = "C01-STER-01";
const std::string other_pen = "C01-PEN-02";

/// A device's broker account and certificate name: its clinic and its id (deploy/mosquitto/sterifleet.acl).
std::string account(const std::string& device) { return "C01/" + device; }

fs::path make_certs_script() { return fs::path(STERIFLEET_SOURCE_DIR) / "deploy/make-certs.sh"; }

/// Runs the shipped script: a CA in `dir`, server certificates for 127.0.0.1 (broker and API), the
/// daemon's client certificate and one per device of clinic C01 under devices/.
void make_certs(const fs::path& dir, const std::vector<std::string>& devices) {
  std::vector<std::string> argv{make_certs_script().string(), dir.string(), "127.0.0.1", "127.0.0.1"};
  for (const auto& device : devices) argv.push_back(account(device));
  const auto made = run_to_completion(argv, 60s);
  if (made.status != 0) throw std::runtime_error("make-certs.sh: " + made.output);
}

MosquittoOptions tls_broker(const fs::path& dir) {
  make_certs(dir, {pen, sterilizer, other_pen});
  fs::copy_file(fs::path(STERIFLEET_SOURCE_DIR) / "deploy/mosquitto/sterifleet.acl", dir / "sterifleet.acl");
  MosquittoOptions options;
  options.allow_anonymous = false;
  options.tls = MosquittoTls{dir / "ca.pem", dir / "broker.pem", dir / "broker.key", dir / "crl.pem"};
  options.extra_config = {"acl_file " + (dir / "sterifleet.acl").string()};
  return options;
}

DaemonOptions tls_daemon(const fs::path& certs, const std::string& broker_url) {
  const auto file = [&](const char* name) { return json((certs / name).string()).dump(); };
  DaemonOptions options{STERIFLEETD_PATH,
                        broker_url,
                        {{"mqtt.tls.ca_file", file("ca.pem")},
                         {"mqtt.tls.cert_file", file("daemon.pem")},
                         {"mqtt.tls.key_file", file("daemon.key")}}};
  options.https = DaemonHttps{certs / "api.pem", certs / "api.key", certs / "ca.pem"};
  return options;
}

/// The TLS identity of a device made by make_certs.
MqttTls device_tls(const fs::path& certs, const std::string& device) {
  return {certs / "ca.pem", certs / "devices" / (device + ".pem"), certs / "devices" / (device + ".key")};
}

std::string topic(const std::string& device, const std::string& channel) {
  return "sterifleet/v1/C01/" + device + "/" + channel;
}

long long stored_messages_of(const Daemon& daemon, const std::string& device) {
  return sqlite_integer(daemon.db(), "SELECT count(*) FROM messages WHERE device = '" + device + "'");
}

class TlsEndToEnd : public ::testing::Test {
 protected:
  TempDir certs_{"sterifleet-tls"};
  Mosquitto broker_{tls_broker(certs_.path())};
  Daemon daemon_{tls_daemon(certs_.path(), broker_.url())};
};

TEST_F(TlsEndToEnd, DevicesWithTheirOwnCertificates_ReachTheDaemonOverTls_AndTheApiAnswersOverHttpsOnly) {
  // A simulated morning of one pen and one sterilizer, each presenting its own certificate.
  Simulator sim(STERIFLEET_SIM_PATH, broker_.url(), {"--clinics",     "1",
                                                     "--pens",        "1",
                                                     "--sterilizers", "1",
                                                     "--days",        "0.5",
                                                     "--speed",       "0",
                                                     "--start",       utc_days_ago(1),
                                                     "--cafile",      (certs_.path() / "ca.pem").string(),
                                                     "--cert-dir",    (certs_.path() / "devices").string(),
                                                     "--sent-log",    "{dir}/sent.log",
                                                     "--log-level",   "warn"});
  ASSERT_EQ(sim.finish(120s), 0) << sim.logs();
  const auto sent = read_sent_log(sim.file("sent.log"));
  ASSERT_GT(sent.size(), 50U);
  const auto problems = wait_until_stored(daemon_.db(), sent, 30s);
  ASSERT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front() << daemon_.log();

  // Read back over HTTPS: both devices, and a compliant morning raises nothing.
  const auto devices = daemon_.get_json("/api/v1/devices").at("items");
  std::vector<std::string> ids;
  for (const auto& device : devices) ids.push_back(device.at("id").get<std::string>());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{pen, sterilizer}));
  EXPECT_TRUE(daemon_.all_items("/api/v1/alerts").empty());
  // Plain HTTP gets no answer from the HTTPS port.
  EXPECT_EQ(http_get(daemon_.port(), "/healthz").status, 0);
}

TEST_F(TlsEndToEnd, ADeviceCertificate_PublishesOnlyAsItsDeviceInItsClinic_WhateverUserNameItClaims) {
  // What the daemon's account can read, next to the daemon itself.
  const MqttTls daemon_tls{certs_.path() / "ca.pem", certs_.path() / "daemon.pem", certs_.path() / "daemon.key"};
  MqttRecorder observer(broker_.url(), "sterifleet/v1/#", "tls-observer", {}, daemon_tls);
  // The pen's certificate, claiming the other pen's account: the broker takes the certificate's name.
  MqttRecorder forger(broker_.url(), topic(pen, "cmd"), pen, {other_pen, "any"}, device_tls(certs_.path(), pen));
  forger.publish(topic(other_pen, "birth"), birth(other_pen));
  forger.publish(topic(other_pen, "telemetry"), telemetry(other_pen, 2));
  // Its own device id under another clinic: the account names the clinic too.
  const std::string other_clinic = "sterifleet/v1/C02/" + pen + "/telemetry";
  forger.publish(other_clinic, telemetry(pen, 4));
  // On its own topic, a payload naming the other pen: the daemon's identity check, not the broker's.
  forger.publish(topic(pen, "telemetry"), telemetry(other_pen, 3));
  // The broker keeps one client's messages in order: once the pen's own birth has arrived, the denied
  // ones would have arrived before it.
  forger.publish(topic(pen, "birth"), birth(pen));
  ASSERT_TRUE(observer.wait_for([](const auto& all) { return has_topic(all, topic(pen, "birth")); }, 10s));
  EXPECT_FALSE(has_topic(observer.messages(), topic(other_pen, "birth")));
  EXPECT_FALSE(has_topic(observer.messages(), topic(other_pen, "telemetry")));
  EXPECT_FALSE(has_topic(observer.messages(), other_clinic));

  for (auto deadline = std::chrono::steady_clock::now() + 10s; stored_messages_of(daemon_, pen) < 1;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon_.log();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(stored_messages_of(daemon_, other_pen), 0);
  EXPECT_EQ(daemon_.get("/api/v1/devices/" + other_pen).status, 404);
  // The mismatched payload is quarantined under the pen whose topic carried it.
  const auto quarantine = daemon_.get_json("/api/v1/quarantine/counts");
  EXPECT_EQ(quarantine.at("by_reason").value("identity_mismatch", 0), 1) << quarantine.dump();
}

TEST_F(TlsEndToEnd, NoCertificate_OrOneOfAnotherCa_GetsNoConnection) {
  TempDir rogue("sterifleet-rogue-ca");
  make_certs(rogue.path(), {other_pen});
  // Trusts the real broker, presents a certificate named like a real device but signed by another CA.
  const MqttTls forged{certs_.path() / "ca.pem", rogue.path() / "devices" / (other_pen + ".pem"),
                       rogue.path() / "devices" / (other_pen + ".key")};
  EXPECT_THROW(MqttRecorder(broker_.url(), topic(other_pen, "cmd"), other_pen, {}, forged), mqtt::exception);
  const MqttTls anonymous{certs_.path() / "ca.pem", {}, {}};
  EXPECT_THROW(MqttRecorder(broker_.url(), topic(other_pen, "cmd"), other_pen, {}, anonymous), mqtt::exception);
  // A user name and password are no way in either.
  EXPECT_THROW(MqttRecorder(broker_.url(), topic(other_pen, "cmd"), other_pen, {other_pen, "guess"}, anonymous),
               mqtt::exception);
}

TEST_F(TlsEndToEnd, ARevokedDeviceCertificate_GetsNoConnectionOnceTheBrokerRestarts_TheOthersStillDo) {
  // The other pen was stolen with its certificate and key: revoked, and the broker restarted.
  TempDir stolen("sterifleet-stolen");
  const auto own = device_tls(certs_.path(), other_pen);
  const MqttTls thief{own.ca_file, stolen.path() / "pen.pem", stolen.path() / "pen.key"};
  fs::copy_file(own.cert_file, thief.cert_file);
  fs::copy_file(own.key_file, thief.key_file);
  MqttRecorder until_revoked(broker_.url(), topic(other_pen, "cmd"), other_pen, {}, thief);
  const auto revoked =
      run_to_completion({make_certs_script().string(), "-r", certs_.path().string(), account(other_pen)});
  ASSERT_EQ(revoked.status, 0) << revoked.output;
  broker_.restart();
  // A device retries as a broker comes back (its TLS listener can refuse the first handshakes on a busy
  // machine); the pen that kept its certificate gets in first, so the thief's refusal is the CRL's doing.
  std::unique_ptr<MqttRecorder> still_in;
  for (int attempt = 1; !still_in; ++attempt) {
    try {
      still_in = std::make_unique<MqttRecorder>(broker_.url(), topic(pen, "cmd"), pen, MqttLogin{},
                                                device_tls(certs_.path(), pen));
    } catch (const mqtt::exception&) {
      if (attempt == 5) throw;
      std::this_thread::sleep_for(200ms);
    }
  }
  EXPECT_THROW(MqttRecorder(broker_.url(), topic(other_pen, "cmd"), other_pen, {}, thief), mqtt::exception);
  EXPECT_TRUE(daemon_.wait_ready(10s)) << "the daemon reconnects with its own certificate:\n" << daemon_.log();
}

// A TLS failure must leave the daemon running and retrying: Paho C++ 1.2.0's TLS error handler crashed it.
TEST(TlsDaemon, ABrokerCertificateOfAnotherCa_GetsNoConnection_AndTheDaemonKeepsRetrying) {
  TempDir certs("sterifleet-tls");
  TempDir rogue("sterifleet-rogue-ca");
  make_certs(certs.path(), {});
  make_certs(rogue.path(), {});
  MosquittoOptions broker_options;
  broker_options.allow_anonymous = false;
  broker_options.tls =
      MosquittoTls{certs.path() / "ca.pem", rogue.path() / "broker.pem", rogue.path() / "broker.key", {}};
  Mosquitto broker(broker_options);
  auto options = tls_daemon(certs.path(), broker.url());
  options.ready_timeout = 3s;
  try {
    Daemon daemon(options);
    ADD_FAILURE() << "ready with a broker it cannot verify:\n" << daemon.log();
  } catch (const std::runtime_error& e) {
    const std::string log = e.what();
    std::size_t attempts = 0;
    for (auto at = log.find("cannot connect to ssl://"); at != std::string::npos;
         at = log.find("cannot connect to ssl://", at + 1))
      ++attempts;
    EXPECT_GE(attempts, 2U) << log;
  }
}

TEST(MakeCerts, RefusesADeviceNamedLikeTheDaemonsAccountOrAnIdOffThePattern_AndKeepsWhatItMadeBefore) {
  TempDir dir("sterifleet-certs");
  const auto script = make_certs_script().string();
  // A device certificate without its clinic (named sterifleetd, it would get the daemon's rights in the ACL).
  const auto daemon_named = run_to_completion({script, dir.path().string(), "127.0.0.1", "127.0.0.1", "sterifleetd"});
  EXPECT_EQ(daemon_named.status, 2);
  EXPECT_NE(daemon_named.output.find("'sterifleetd' is not CLINIC/DEVICE"), std::string::npos) << daemon_named.output;
  // A '+', '#' or another '/' in a name would be a topic wildcard or level in the ACL's %u.
  for (const std::string name : {"C01/#", "C01/PEN/1", "+/C01-PEN-01"}) {
    const auto refused = run_to_completion({script, dir.path().string(), "127.0.0.1", "127.0.0.1", account(pen), name});
    EXPECT_EQ(refused.status, 2);
    EXPECT_NE(refused.output.find("'" + name + "' is not CLINIC/DEVICE"), std::string::npos) << refused.output;
  }
  EXPECT_FALSE(fs::exists(dir.path() / "ca.pem")) << "nothing is made when an argument is refused";

  make_certs(dir.path(), {pen});
  const auto first = read_file(dir.path() / "devices" / (pen + ".pem"));
  make_certs(dir.path(), {pen, other_pen});
  EXPECT_EQ(read_file(dir.path() / "devices" / (pen + ".pem")), first);
  EXPECT_TRUE(fs::exists(dir.path() / "devices" / (other_pen + ".pem")));
  const auto unknown =
      run_to_completion({script, "-r", dir.path().string(), account(other_pen), account("C01-PEN-09")});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.output.find("C01-PEN-09 has no certificate"), std::string::npos) << unknown.output;
  EXPECT_TRUE(fs::exists(dir.path() / "devices" / (other_pen + ".pem"))) << "nothing is revoked when one id is unknown";
  EXPECT_EQ(fs::status(dir.path() / "ca.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace
}  // namespace sterifleet::testing
