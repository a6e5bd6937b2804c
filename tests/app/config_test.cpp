// sterifleetd's configuration: the documented file is the key table, every key is read from a file and
// from --set as the table types it, and each mistake is named with where it is and what was meant.
#include "config.hpp"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

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
      if (const auto* sub = node.as_table()) {
        walk(*sub, path);
        continue;
      }
      ++keys_in_file;
      const ConfigKey* key = find_config_key(path);
      ASSERT_NE(key, nullptr) << path << " is in the file, not in the key table";
      std::ostringstream value;
      value << toml::toml_formatter(node, toml::format_flags::none);
      EXPECT_EQ(value.str(), to_toml(key->get(defaults))) << path;
    }
  };
  walk(file, "");
  EXPECT_EQ(keys_in_file, config_keys().size()) << "a key of the table is missing from the file";
  EXPECT_NO_THROW(load_config(write(all_on), {}));
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

}  // namespace
}  // namespace sterifleet::app
