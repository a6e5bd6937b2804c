#include "store_fixtures.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/testing/postgres.hpp"

namespace sterifleet::store::testing {

using nlohmann::json;

std::string postgres_database(const std::string& place, bool& fresh) {
  static std::mutex mutex;
  static std::map<std::string, std::string> databases;  // place -> database name
  std::lock_guard lock(mutex);
  auto found = databases.find(place);
  fresh = found == databases.end();
  if (fresh) {
    const auto url = sterifleet::testing::shared_postgres().fresh_database("store");
    found = databases.emplace(place, url.substr(url.rfind('/') + 1)).first;
  }
  return found->second;
}

std::unique_ptr<Store> open_postgres_writer(const std::string& place) {
  auto& server = sterifleet::testing::shared_postgres();
  bool fresh = false;
  const auto database = postgres_database(place, fresh);
  auto store = open_postgresql(server.url(database), {.writer = test_shard_writer()});
  if (fresh) {
    // What daemon/cluster does before it writes: claim the shard (here for a day, so no test outlives it).
    server.query(database,
                 "INSERT INTO shard_leases (shard, owner, epoch, expires_at) VALUES (0, 'test', 1, now() + interval "
                 "'1 day')");
  }
  return store;
}

ShardWriter test_shard_writer() { return {0, 1, "test"}; }

std::vector<Backend> backends() {
  return {
      {"sqlite", [](const std::string& place) { return open_sqlite(place + ".db"); }},
      {"postgresql", open_postgres_writer},
  };
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "sterifleet-store-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Timestamp at(int minutes, int ms) {
  static const auto start = *protocol::parse_timestamp("2026-11-02T08:00:00Z");
  return start + std::chrono::minutes(minutes) + std::chrono::milliseconds(ms);
}

StoredMessage telemetry(const std::string& device, std::uint64_t seq, Timestamp received, const std::string& clinic) {
  StoredMessage m;
  m.received_at = received;
  m.topic =
      protocol::format_topic({protocol::ClinicId{clinic}, protocol::DeviceId{device}, protocol::Channel::telemetry});
  m.payload = json{
      {"v", 1},
      {"device", device},
      {"boot", 1},
      {"seq", seq},
      {"ts", protocol::format_timestamp(received)},
      {"type", "telemetry"},
      {"body",
       {{"battery_pct", 81.5},
        {"motor_runtime_s", 3600 + seq},
        {"motor_strokes", 120000 + seq},
        {"depth_mm", 1.0},
        {"speed_hz",
         100}}}}.dump();
  m.clinic = clinic;
  m.device = device;
  m.boot = 1;
  m.seq = seq;
  m.ts = received;
  m.type = "telemetry";
  return m;
}

StoredMessage status(const std::string& device, Timestamp received, const std::string& clinic) {
  StoredMessage m;
  m.received_at = received;
  m.topic = protocol::format_topic({protocol::ClinicId{clinic}, protocol::DeviceId{device}, protocol::Channel::status});
  m.payload = R"({"v":1,"boot":1,"online":true})";
  m.clinic = clinic;
  m.device = device;
  m.boot = 1;
  m.type = "status";
  return m;
}

QuarantinedMessage quarantined(const std::string& reason, Timestamp received, std::string payload,
                               const std::string& topic) {
  return {0, received, topic, std::move(payload), reason, "detail of " + reason};
}

Action action(const std::string& kind, Timestamp when, const std::string& actor) {
  return {when, actor, kind, json{{"kind", kind}, {"note", "ünïcode ✓"}}};
}

engine::AlertChange alert(const AlertSpec& spec) {
  engine::Alert a;
  a.clinic = protocol::ClinicId{spec.clinic};
  a.rule = spec.rule;
  a.subject = spec.device;
  a.id = engine::alert_id(a.clinic, a.rule, a.subject, spec.trigger);
  a.episode.trigger = spec.trigger;
  a.episode.device = protocol::DeviceId{spec.device};
  a.episode.opened_at = spec.opened;
  a.episode.summary = "battery at 12 %";
  engine::Transition transition = engine::Transition::opened;
  switch (spec.state) {
    case engine::AlertState::open:
      break;
    case engine::AlertState::acknowledged:
      a.ack = engine::Acknowledgement{"token:anna", spec.opened + std::chrono::minutes(1), "on it"};
      transition = engine::Transition::acknowledged;
      break;
    case engine::AlertState::resolved:
      a.episode.cleared_at = spec.opened + std::chrono::minutes(2);
      transition = engine::Transition::resolved;
      break;
    case engine::AlertState::withdrawn:
      a.withdrawn = true;
      transition = engine::Transition::withdrawn;
      break;
  }
  return {transition, a};
}

engine::SessionChange session(const std::string& clinic, const std::string& pen, const std::string& id,
                              Timestamp started, bool ended) {
  engine::SessionChange change;
  change.clinic = protocol::ClinicId{clinic};
  change.pen = protocol::DeviceId{pen};
  auto& s = change.session;
  s.id = protocol::SessionId{id};
  s.key = pen + "/1/" + id;
  s.started = started;
  s.start.session = s.id;
  s.start.cartridge = {protocol::CartridgeId{"CART-" + id},
                       protocol::LotId{"LOT-7"},
                       std::chrono::year{2027} / 1 / 31,
                       12,
                       50000,
                       std::nullopt};
  s.start.depth = {0.5};
  s.start.speed = {120};
  s.start.operator_id = protocol::OperatorId{"OP-1"};
  s.start.patient = protocol::PatientRef{"P-42"};
  s.clearance = "STER-01/CYC-1";
  if (ended) {
    s.ended = started + std::chrono::minutes(20);
    s.end = protocol::SessionEnd{s.id, 4000, std::chrono::seconds(1100)};
  }
  return change;
}

engine::CycleChange cycle(const std::string& clinic, const std::string& sterilizer, const std::string& id,
                          Timestamp ts) {
  engine::CycleRecord c;
  c.clinic = protocol::ClinicId{clinic};
  c.sterilizer = protocol::DeviceId{sterilizer};
  c.key = sterilizer + "/" + id;
  c.message = sterilizer + "/1/9";
  c.ts = ts;
  c.cycle.cycle = protocol::CycleId{id};
  c.cycle.method = protocol::Method::steam_prevac;
  c.cycle.wrapped = true;
  c.cycle.temperature = {134};
  c.cycle.exposure = std::chrono::seconds(240);
  c.cycle.pressure = protocol::Kilopascals{304};
  c.cycle.load = {protocol::DeviceId{"PEN-0001"}, protocol::DeviceId{"PEN-0002"}};
  c.cycle.operator_id = protocol::OperatorId{"OP-2"};
  return {c};
}

engine::AuditRecord audit(const std::string& entity, const std::string& action_name, Timestamp when, json after) {
  return {when, "device:PEN-0001", entity, action_name, json(nullptr), std::move(after), "PEN-0001/1/17"};
}

engine::AuditRecord record_of(const json& row) {
  return {*protocol::parse_timestamp(row.at("at").get<std::string>()),
          row.at("actor").get<std::string>(),
          row.at("entity").get<std::string>(),
          row.at("action").get<std::string>(),
          row.at("before"),
          row.at("after"),
          row.at("cause").get<std::string>(),
          row.at("clinic").is_null() ? "" : row.at("clinic").get<std::string>()};
}

IssuedCommand command(const std::string& id, const std::string& device, Timestamp issued, const std::string& clinic) {
  return {id,
          issued,
          clinic,
          device,
          protocol::format_topic({protocol::ClinicId{clinic}, protocol::DeviceId{device}, protocol::Channel::cmd}),
          json{{"id", id}, {"command", "lock"}}.dump()};
}

std::vector<json> all_pages(const std::function<Rows(const Page&)>& query, std::size_t limit) {
  std::vector<json> rows;
  Page page{limit, ""};
  for (int guard = 0; guard < 10000; ++guard) {
    auto result = query(page);
    EXPECT_LE(result.rows.size(), limit);
    for (auto& row : result.rows) rows.push_back(std::move(row));
    if (result.next.empty()) return rows;
    EXPECT_EQ(result.rows.size(), limit) << "a page before the last must be full";
    page.after = result.next;
  }
  ADD_FAILURE() << "pagination does not end";
  return rows;
}

}  // namespace sterifleet::store::testing
