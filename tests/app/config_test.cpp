// sterifleetd's configuration: the documented file is the key table, every key is read from a file and
// from --set as the table types it, and each mistake is named with where it is and what was meant.
#include "config.hpp"

#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "notify_config.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::app {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string error_of(const std::function<void()>& load) {
  try {
    load();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

class ConfigFile : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const auto path = dir_.path() / "sterifleetd.toml";
    std::ofstream(path) << text;
    return path.string();
  }
  testing::TempDir dir_{"sterifleet-config"};
};

const std::filesystem::path kExample = std::filesystem::path(STERIFLEET_SOURCE_DIR) / "deploy" / "sterifleetd.toml";

TEST(ExampleFile, IsTheKeyTable) {
  EXPECT_EQ(read_file(kExample), example_config())
      << "deploy/sterifleetd.toml is written from the key table: sterifleetd --print-default-config > "
         "deploy/sterifleetd.toml";
}

// Checked on the file itself, not on the generator: the file's optional tables turned on ("#key" lines
// uncommented), every key of the table is there at its default and nothing else is.
TEST_F(ConfigFile, ExampleFile_HoldsEveryKeyAtItsDefaultAndNothingElse) {
  std::string all_on;
  std::istringstream lines(read_file(kExample));
  for (std::string line; std::getline(lines, line);) {
    all_on += (line.size() > 1 && line[0] == '#' && line[1] != ' ' ? line.substr(1) : line) + "\n";
  }
  const toml::table file = toml::parse(all_on);
  const Config defaults;
  std::size_t keys_in_file = 0;
  std::function<void(const toml::table&, const std::string&)> walk = [&](const toml::table& table,
                                                                         const std::string& prefix) {
    for (const auto& [name, node] : table) {
      const std::string path = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
      const ConfigKey* key = find_config_key(path);
      if (const auto* sub = node.as_table(); sub && !key) {  // a key's value may be a table too (cluster.pins)
        walk(*sub, path);
        continue;
      }
      ++keys_in_file;
      ASSERT_NE(key, nullptr) << path << " is in the file, not in the key table";
      std::ostringstream value;
      value << toml::toml_formatter(node, toml::format_flags::none);
      EXPECT_EQ(value.str(), to_toml(key->get(defaults))) << path;
    }
  };
  walk(file, "");
  EXPECT_EQ(keys_in_file, config_keys().size()) << "a key of the table is missing from the file";
  // [cluster], turned on with the rest, needs a PostgreSQL store.
  EXPECT_NO_THROW(load_config(write(all_on), {"store.url=postgresql://db.clinic.example/sterifleet"}));
}

TEST(ConfigKeys, DurationsAreInTheUnitTheirNameSays) {
  const std::map<std::string_view, std::string_view> suffix{
      {"milliseconds", "_ms"}, {"seconds", "_s"}, {"minutes", "_minutes"}, {"hours", "_hours"}};
  for (const auto& key : config_keys()) {
    if (key.unit.empty()) continue;
    EXPECT_TRUE(key.name.ends_with(suffix.at(key.unit))) << key.name << " is in " << key.unit;
  }
}

TEST(ConfigKeys, HelpListsEveryKeyWithItsDefault) {
  const std::string help = config_help();
  for (const auto& key : config_keys()) {
    EXPECT_NE(help.find("  " + std::string(key.name) + " ("), std::string::npos) << key.name;
  }
  EXPECT_NE(help.find("  engine.tick_ms (integer, milliseconds) default 1000\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  mqtt.url (string) default \"tcp://localhost:1883\"\n"), std::string::npos) << help;
}

TEST(LoadConfig, NothingGiven_GivesTheDefaultsOfEachPart) {
  const Config config = load_config(std::nullopt, {});
  EXPECT_EQ(config.mqtt.url, ingest::MqttOptions{}.url);
  EXPECT_EQ(config.sqlite.synchronous, store::SqliteOptions{}.synchronous);
  EXPECT_EQ(config.http.listen, http::HttpOptions{}.listen);
  EXPECT_EQ(config.fleet.retention, fleet::FleetOptions{}.retention);
  EXPECT_FALSE(config.mqtt.tls);
}

TEST_F(ConfigFile, SetOverridesTheFile_AndEachValueTakesItsKeysType) {
  const auto file = write("[mqtt]\nurl = \"tcp://file:1883\"\nversion = 5\n[engine]\ntick_ms = 250\n");
  const Config config = load_config(
      file, {"mqtt.url=tcp://set:1883", "mqtt.password=1234", "engine.retention_hours=720", "store.synchronous=FULL"});
  EXPECT_EQ(config.mqtt.url, "tcp://set:1883");
  EXPECT_EQ(config.mqtt.password, "1234");
  EXPECT_EQ(config.mqtt.version, 5);
  EXPECT_EQ(config.tick, std::chrono::milliseconds(250));
  EXPECT_EQ(config.fleet.retention, std::chrono::hours(720));
  EXPECT_EQ(config.sqlite.synchronous, "FULL");
}

TEST_F(ConfigFile, TlsTable_TurnsTlsOnEvenEmpty) {
  EXPECT_TRUE(load_config(write("[mqtt.tls]\n"), {}).mqtt.tls);
  const Config config = load_config(write("[mqtt.tls]\nca_file = \"ca.pem\"\n"), {});
  ASSERT_TRUE(config.mqtt.tls);
  EXPECT_EQ(config.mqtt.tls->ca_file, "ca.pem");
  EXPECT_TRUE(config.mqtt.tls->verify);
}

TEST(LoadConfig, TlsKeyOnTheCommandLine_TurnsTlsOn) {
  const Config config = load_config(std::nullopt, {"mqtt.tls.verify=false"});
  ASSERT_TRUE(config.mqtt.tls);
  EXPECT_FALSE(config.mqtt.tls->verify);
}

TEST_F(ConfigFile, UnknownKey_NamesFileLineAndTheNearestKey) {
  const auto file = write("[mqtt]\nurl = \"tcp://x:1883\"\nclientid = \"d\"\n");
  EXPECT_EQ(error_of([&] { load_config(file, {}); }),
            file + ":3: unknown key mqtt.clientid (did you mean mqtt.client_id?)");
  const auto moved = write("[store]\nlisten = \"127.0.0.1:1\"\n");
  EXPECT_EQ(error_of([&] { load_config(moved, {}); }),
            moved + ":2: unknown key store.listen (did you mean http.listen?)");
  const auto table = write("[mqtt.tsl]\n");
  EXPECT_EQ(error_of([&] { load_config(table, {}); }),
            table + ":1: unknown table [mqtt.tsl] (did you mean [mqtt.tls]?)");
  const auto far = write("colour = \"blue\"\n");
  EXPECT_EQ(error_of([&] { load_config(far, {}); }), far + ":1: unknown key colour");
}

TEST(LoadConfig, UnknownKeyOnTheCommandLine_NamesTheArgumentAndTheNearestKey) {
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"engine.tick=5"}); }),
            "--set engine.tick=5: unknown key engine.tick (did you mean engine.tick_ms?)");
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"mqtt.url"}); }), "--set expects section.key=value, got mqtt.url");
}

TEST_F(ConfigFile, WrongTypeOrValue_NamesTheKeyAndWhatItTakes) {
  const auto file = write("[mqtt]\nversion = \"5\"\n");
  EXPECT_EQ(error_of([&] { load_config(file, {}); }), file + ":2: mqtt.version must be an integer");
  const auto version = write("[mqtt]\nversion = 3\n");
  EXPECT_EQ(error_of([&] { load_config(version, {}); }), version + ":2: mqtt.version must be one of 4, 5 (got 3)");
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"log.format=xml"}); }),
            "--set log.format=xml: log.format must be one of \"text\", \"json\" (got \"xml\")");
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"engine.retention_hours=-1"}); }),
            "--set engine.retention_hours=-1: engine.retention_hours must be at least 0 (got -1)");
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"engine.tick_ms=0"}); }),
            "--set engine.tick_ms=0: engine.tick_ms must be at least 1 (got 0)");
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"mqtt.version=9999999999"}); }),
            "--set mqtt.version=9999999999: mqtt.version must be one of 4, 5 (got 9999999999)");
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"mqtt.tls.verify=yes"}); }),
            "--set mqtt.tls.verify=yes: mqtt.tls.verify must be true or false");
}

TEST(LoadConfig, NoClusterTable_NoCluster_SqliteStore) {
  const Config config = load_config(std::nullopt, {});
  EXPECT_FALSE(config.cluster);
  EXPECT_EQ(config.store_url, "");
}

TEST_F(ConfigFile, ClusterTable_TakesListsAndTables_AndDefaultsTheRest) {
  const auto file = write(
      "[store]\nurl = \"postgresql://sterifleet@db.clinic.example:5433/sterifleet?sslmode=verify-full\"\n"
      "[cluster]\nshards = 64\nclinics = [\"north\", \"south\"]\npins = { north = 3, \"berlin.mitte\" = 63 }\n");
  const Config config = load_config(file, {});
  ASSERT_TRUE(config.cluster);
  EXPECT_EQ(config.store_url, "postgresql://sterifleet@db.clinic.example:5433/sterifleet?sslmode=verify-full");
  EXPECT_EQ(config.cluster->shards, 64);
  EXPECT_EQ(config.cluster->clinics, (std::vector<std::string>{"north", "south"}));
  EXPECT_EQ(config.cluster->pins, (std::map<std::string, std::int64_t>{{"north", 3}, {"berlin.mitte", 63}}));
  EXPECT_EQ(config.cluster->lease_ttl, std::chrono::seconds(10));
  EXPECT_EQ(config.cluster->renew_interval, std::chrono::seconds(2));
  EXPECT_EQ(config.cluster->lease_margin, std::chrono::seconds(2));
  const auto map = config.cluster->shard_map();
  EXPECT_EQ(map.shards(), 64);
  EXPECT_EQ(map.shard_of(protocol::ClinicId{"berlin.mitte"}), 63);
}

TEST(LoadConfig, ClusterDaemonId_DefaultsToHostAndPid) {
  const Config config = load_config(std::nullopt, {"store.url=postgresql://db/sterifleet", "cluster.shards=8"});
  ASSERT_TRUE(config.cluster) << "a --set of a [cluster] key turns the cluster on";
  std::array<char, 256> host{};
  ASSERT_EQ(gethostname(host.data(), host.size() - 1), 0);
  EXPECT_EQ(config.cluster->daemon_id, std::string(host.data()) + "-" + std::to_string(getpid()));
  EXPECT_EQ(
      load_config(std::nullopt, {"store.url=postgresql://db/sterifleet", "cluster.daemon_id=d-1"}).cluster->daemon_id,
      "d-1");
}

TEST(LoadConfig, ClusterListsAndTablesOnTheCommandLine) {
  const Config config = load_config(std::nullopt, {"store.url=postgres://db/sterifleet", "cluster.clinics=north,south",
                                                   "cluster.pins=north=3,south=4"});
  ASSERT_TRUE(config.cluster);
  EXPECT_EQ(config.cluster->clinics, (std::vector<std::string>{"north", "south"}));
  EXPECT_EQ(config.cluster->pins, (std::map<std::string, std::int64_t>{{"north", 3}, {"south", 4}}));
  EXPECT_EQ(load_config(std::nullopt, {"store.url=postgres://db/s", "cluster.clinics="}).cluster->clinics,
            std::vector<std::string>{});
  EXPECT_NE(error_of([] { load_config(std::nullopt, {"cluster.pins=north=3,north=4"}); }).find("must be a table"),
            std::string::npos);
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"cluster.pins=north:3"}); }),
            "--set cluster.pins=north:3: cluster.pins must be a table of integers (name=number, comma-separated: "
            "north=3,south=4)");
}

TEST_F(ConfigFile, ClusterWithoutPostgres_IsRefusedSayingWhy) {
  EXPECT_EQ(error_of([&] { load_config(write("[cluster]\n"), {}); }),
            "[cluster] needs a PostgreSQL store.url: the daemons of a cluster share one store and hold their "
            "shards' leases in it, and the SQLite file store.db belongs to one process");
}

TEST_F(ConfigFile, ClusterMistakes_AreRefusedNamingTheKeys) {
  const std::string pg = "[store]\nurl = \"postgresql://db/sterifleet\"\n[cluster]\n";
  const auto error_with = [&](const std::string& lines) {
    const auto file = write(pg + lines);
    const auto error = error_of([&] { load_config(file, {}); });
    return error.starts_with(file + ":") ? error.substr(file.size() + 1) : error;
  };
  EXPECT_EQ(error_with("shards = 0\n"), "4: cluster.shards must be at least 1 (got 0)");
  EXPECT_EQ(error_with("shards = 1025\n"), "4: cluster.shards must be at most 1024 (got 1025)");
  EXPECT_EQ(error_with("pins = { north = \"3\" }\n"), "4: cluster.pins must be a table of integers");
  EXPECT_EQ(error_with("pins = { north = -1 }\n"), "4: cluster.pins.north must be at least 0 (got -1)");
  EXPECT_EQ(error_with("shards = 8\npins = { north = 8 }\n"),
            "cluster.pins: clinic \"north\" is pinned to shard 8, outside 0..7 of 8 shards");
  EXPECT_EQ(error_with("pins = { \"north/#\" = 1 }\n"),
            "cluster.pins: clinic \"north/#\" is not an id ([A-Za-z0-9_.-]{1,64}), so it cannot be a level of its "
            "topics");
  EXPECT_EQ(error_with("clinics = [\"north\", 3]\n"), "4: cluster.clinics must be a list of strings");
  EXPECT_EQ(error_with("clinics = [\"north\", \"+\"]\n"),
            "cluster.clinics: clinic \"+\" is not an id ([A-Za-z0-9_.-]{1,64}), so it cannot be a level of its topics");
  EXPECT_EQ(error_with("clinics = [\"north\", \"north\"]\n"), "cluster.clinics names \"north\" twice");
  EXPECT_EQ(error_with("daemon_id = \"daemon one\"\n"),
            "cluster.daemon_id must be 1 to 128 of A-Z a-z 0-9 _ . - (got \"daemon one\")");
  EXPECT_EQ(error_with("lease_margin_s = 0\n"), "4: cluster.lease_margin_s must be at least 1 (got 0)");
  EXPECT_EQ(error_with("lease_ttl_s = 4\n"),
            "cluster.renew_interval_s (2) must be less than cluster.lease_ttl_s - cluster.lease_margin_s (4 - 2 = 2): "
            "a daemon stops working on a shard that long after sending a renewal, so the next one must go first");
  EXPECT_EQ(error_with("lease_ttl_s = 5\n"), "no error");
}

TEST(LoadConfig, StoreUrl_IsEmptyOrAPostgresUriLibpqAccepts_AndErrorsNeverShowItsPassword) {
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"store.url=postgresql://"}); }), "no error")
      << "libpq's defaults: local socket, the user's name";
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"store.url=mysql://u:hunter2@db/sterifleet"}); }),
            "store.url must be empty (the SQLite file store.db) or a PostgreSQL URI starting with postgresql://");
  EXPECT_EQ(error_of([] { load_config(std::nullopt, {"store.url=postgresql://u:hunter2@db/sterifleet?colour=blue"}); }),
            "store.url is not a URI libpq accepts: invalid URI query parameter: \"colour\"");
  const auto error = error_of(
      [] { load_config(std::nullopt, {"store.url=postgresql://u:hunter2@[::1/sterifleet?password=s3cr%zz"}); });
  EXPECT_TRUE(error.starts_with("store.url is not a URI libpq accepts: ")) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  EXPECT_EQ(error.find("s3cr"), std::string::npos) << error;
  EXPECT_NE(error_of([] { load_config(std::nullopt, {"store.url=postgresql://u:*@[::1/sterifleet"}); }), "no error")
      << "a password that the mask itself contains";
}

// Several daemons on one $share group would split a pen's messages between them: a file that still asks
// for it stops the start, saying why and what to use instead.
TEST_F(ConfigFile, SharedGroup_IsRefusedSayingWhyAndWhatToUseInstead) {
  const auto file = write("[mqtt]\nurl = \"tcp://x:1883\"\nshared_group = \"sterifleet\"\n");
  const auto error = error_of([&] { load_config(file, {}); });
  EXPECT_TRUE(error.starts_with(file + ":3: mqtt.shared_group is refused: ")) << error;
  EXPECT_NE(error.find("in rotation, message by message"), std::string::npos) << error;
  EXPECT_NE(error.find("[cluster] table and a PostgreSQL store.url"), std::string::npos) << error;
  EXPECT_TRUE(error_of([] {
                load_config(std::nullopt, {"mqtt.shared_group="});
              }).starts_with("--set mqtt.shared_group=: mqtt.shared_group is refused: "));
}

// [notify]: the documented example, uncommented, is a working configuration; each mistake is refused
// with its line, and the secrets read from files never reach a message.
class NotifyConfigFile : public ConfigFile {
 protected:
  void SetUp() override {
    std::ofstream(webhook_secret_) << kWebhookSecret << "\n";
    std::ofstream(smtp_password_) << kSmtpPassword << "\n";
  }

  /// The example from its "# [notify]" on uncommented, its secret files pointed at temp files.
  std::string example() const {
    std::string text;
    bool in_table = false;
    std::istringstream lines{std::string(notify_config_example())};
    for (std::string line; std::getline(lines, line);) {
      in_table = in_table || line == "# [notify]";
      if (in_table && line.starts_with("#")) line = line.substr(line.starts_with("# ") ? 2 : 1);
      text += line + "\n";
    }
    return replaced(replaced(text, "/etc/sterifleet/webhook.secret", webhook_secret_.string()),
                    "/etc/sterifleet/smtp.password", smtp_password_.string());
  }

  static std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  /// The 1-based line of the first line holding `needle`.
  static int line_of(const std::string& text, const std::string& needle) {
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(text.find(needle)), '\n'));
  }

  /// The error of loading `text`; checks that it names the file and holds no secret.
  std::string error_loading(const std::string& text) {
    const auto file = write(text);
    const auto error = error_of([&] { load_config(file, {}); });
    EXPECT_EQ(error.find(kWebhookSecret), std::string::npos) << error;
    EXPECT_EQ(error.find(kSmtpPassword), std::string::npos) << error;
    return error;
  }

  static constexpr const char* kWebhookSecret = "whsec_c2VjcmV0LW9mLXRoZS13ZWJob29r";
  static constexpr const char* kSmtpPassword = "hunter2-smtp";
  std::filesystem::path webhook_secret_ = dir_.path() / "webhook.secret";
  std::filesystem::path smtp_password_ = dir_.path() / "smtp.password";
};

TEST_F(NotifyConfigFile, Example_ParsesIntoThreeReceiversAndTwoRoutes) {
  const auto config = load_config(write(example()), {}).notify;
  EXPECT_EQ(config.dashboard_url, "https://sterifleet.clinic.example");
  EXPECT_EQ(config.dead_after, std::chrono::hours(24));
  ASSERT_EQ(config.receivers.size(), 3u);
  const auto& webhook = std::get<notify::WebhookReceiver>(config.receivers[0].settings);
  EXPECT_EQ(config.receivers[0].name, "on-call");
  EXPECT_EQ(webhook.url, "https://hooks.clinic.example/sterifleet");
  EXPECT_EQ(webhook.secret, kWebhookSecret);
  const auto& email = std::get<notify::EmailReceiver>(config.receivers[1].settings);
  EXPECT_EQ(config.receivers[1].name, "manager-mail");
  EXPECT_EQ(email.smtp_url, "smtp://mail.clinic.example:587");
  EXPECT_EQ(email.from, "sterifleet@clinic.example");
  EXPECT_EQ(email.to, std::vector<std::string>{"manager@clinic.example"});
  EXPECT_EQ(email.username, "sterifleet");
  EXPECT_EQ(email.password, kSmtpPassword);
  EXPECT_TRUE(email.require_tls);
  EXPECT_EQ(std::get<notify::AlertmanagerReceiver>(config.receivers[2].settings).url, "http://127.0.0.1:9093");
  ASSERT_EQ(config.routes.size(), 2u);
  const auto& critical = config.routes[0];
  EXPECT_EQ(critical.name, "critical");
  EXPECT_EQ(critical.severities, std::vector{engine::Severity::critical});
  EXPECT_EQ(critical.receiver, "on-call");
  EXPECT_EQ(critical.repeat_interval, std::chrono::minutes(15));
  EXPECT_EQ(critical.escalate_after, std::chrono::minutes(30));
  EXPECT_EQ(critical.escalate_to, "manager-mail");
  EXPECT_TRUE(critical.continue_matching);
  const auto& everything = config.routes[1];
  EXPECT_EQ(everything.name, "everything to the manager");
  EXPECT_EQ(everything.receiver, "manager-mail");
  EXPECT_EQ(everything.group_wait, std::chrono::seconds(30));
  EXPECT_TRUE(everything.quiet_hours.has_value());
  EXPECT_FALSE(everything.continue_matching);
}

TEST_F(NotifyConfigFile, RouteToAnUndefinedReceiver_IsRefusedNamingIt) {
  const auto error = error_loading(replaced(example(), "receiver = \"manager-mail\"", "receiver = \"night-desk\""));
  EXPECT_NE(error.find("route \"everything to the manager\" sends to receiver \"night-desk\", which is not defined"),
            std::string::npos)
      << error;
}

TEST_F(NotifyConfigFile, BadQuietHoursAndUnknownTimeZone_AreRefusedWithTheirLine) {
  const auto late = replaced(example(), "from = \"20:00\"", "from = \"25:00\"");
  const auto file = dir_.path() / "sterifleetd.toml";
  const auto where = file.string() + ":" + std::to_string(line_of(late, "quiet_hours")) + ":";
  auto error = error_loading(late);
  EXPECT_TRUE(error.starts_with(where)) << error;
  EXPECT_NE(error.find("\"25:00\""), std::string::npos) << error;
  error = error_loading(replaced(example(), "Europe/Berlin", "Mars/Olympus_Mons"));
  EXPECT_TRUE(error.starts_with(where)) << error;
  EXPECT_NE(error.find("time_zone"), std::string::npos) << error;
}

TEST_F(NotifyConfigFile, UnknownKeyInAReceiver_IsRefusedWithItsLine) {
  const auto text = replaced(example(), "username = \"sterifleet\"", "user_name = \"sterifleet\"");
  const auto error = error_loading(text);
  const auto file = dir_.path() / "sterifleetd.toml";
  EXPECT_TRUE(error.starts_with(file.string() + ":" + std::to_string(line_of(text, "user_name")) + ":")) << error;
  EXPECT_NE(error.find("unknown key"), std::string::npos) << error;
  EXPECT_NE(error.find("user_name"), std::string::npos) << error;
}

TEST_F(NotifyConfigFile, EmailPasswordWithoutRequiredTls_IsRefusedUnlessTheUrlIsSmtps) {
  const auto clear = replaced(example(), "username = \"sterifleet\"", "username = \"sterifleet\"\nrequire_tls = false");
  const auto error = error_loading(clear);
  EXPECT_NE(error.find("require_tls = false with a password_file would let the password travel in clear"),
            std::string::npos)
      << error;
  const auto implicit_tls = replaced(clear, "smtp://mail.clinic.example:587", "smtps://mail.clinic.example:465");
  EXPECT_FALSE(
      std::get<notify::EmailReceiver>(load_config(write(implicit_tls), {}).notify.receivers[1].settings).require_tls);
}

TEST_F(NotifyConfigFile, WebhookWithoutSecretFile_IsRefused) {
  const auto text = replaced(example(), "secret_file = \"" + webhook_secret_.string() + "\"", "");
  const auto error = error_loading(text);
  EXPECT_NE(error.find("secret_file is required: webhooks are signed"), std::string::npos) << error;
}

TEST_F(NotifyConfigFile, SecretsNeverAppearInErrors) {
  // A mistake in each receiver holding a secret, after its secret was read.
  error_loading(replaced(example(), "to = [\"manager@clinic.example\"]", "to = []"));
  error_loading(
      replaced(example(), "url = \"https://hooks.clinic.example/sterifleet\"",
               "url = \"https://hooks.clinic.example/sterifleet\"\ncolour = \"" + std::string(kWebhookSecret) + "x\""));
  // The secret file itself unusable.
  std::ofstream(webhook_secret_, std::ios::trunc) << "\n";
  const auto error = error_loading(example());
  EXPECT_NE(error.find("is empty"), std::string::npos) << error;
}

}  // namespace
}  // namespace sterifleet::app
