#include "harness.hpp"

#include <random>

#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::http::testing {

namespace {

using nlohmann::json;

std::filesystem::path temp_dir() {
  std::random_device random;
  const auto dir = std::filesystem::temp_directory_path() / ("sterifleet-http-" + std::to_string(random()));
  std::filesystem::create_directories(dir);
  return dir;
}

std::string media_type(std::string_view content_type) {
  return std::string(content_type.substr(0, content_type.find(';')));
}

void expect_schema(const json& schema, const ClientResponse& response, const std::string& what) {
  const auto body = json::parse(response.body(), nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << what << ": not JSON: " << response.body();
  const auto problems = spec().validate(body, schema);
  EXPECT_TRUE(problems.empty()) << what << " does not match the spec: " << problems.front()
                                << "\nbody: " << response.body().substr(0, 2000);
}

}  // namespace

void RecordingSink::publish(const std::string& topic, const std::string&) {
  std::lock_guard lock(mutex_);
  topics_.push_back(topic);
}

std::vector<std::string> RecordingSink::topics() {
  std::lock_guard lock(mutex_);
  return topics_;
}

const SchemaValidator& spec() {
  static const SchemaValidator validator(json::parse(Api::openapi()));
  return validator;
}

void expect_conforms(const std::string& target, bhttp::verb method, const ClientResponse& response) {
  const auto pattern = spec().match_path(target.substr(0, target.find('?')));
  if (!pattern) return;  // the dashboard, or a path the API does not have
  std::string verb(bhttp::to_string(method));
  std::transform(verb.begin(), verb.end(), verb.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  const auto status = std::to_string(response.result_int());
  const std::string what = verb + " " + target + " -> " + status;
  const auto& item = spec().document()["paths"][*pattern];
  if (!item.contains(verb) || status == "500") {
    expect_schema(json{{"$ref", "#/components/schemas/Error"}}, response, what);
    return;
  }
  std::string content_type;
  const auto schema = spec().response_schema(*pattern, verb, status, &content_type);
  if (!schema) {
    ADD_FAILURE() << what << ": status not documented in the spec; body: " << response.body();
    return;
  }
  EXPECT_EQ(media_type(response[bhttp::field::content_type]), media_type(content_type)) << what;
  if (content_type == "application/json") expect_schema(*schema, response, what);
}

Harness::Harness(HarnessOptions options)
    : dir_(temp_dir()),
      store_(store::open_sqlite((dir_ / "sterifleet.db").string())),
      now_ms_(kDay.time_since_epoch().count()),
      work_(io_.get_executor()) {
  fleet_ = std::make_unique<fleet::Fleet>(engine::default_policy(), *store_, commands_, events_, metrics_,
                                          [this] { return Timestamp(std::chrono::milliseconds(now_ms_.load())); });
  fleet_->restore();
  if (options.tokens) {
    for (const auto role : {Role::viewer, Role::manager, Role::auditor, Role::admin}) {
      tokens_[role] = make_token(name(role), role, {});
      north_tokens_[role] = make_token(name(role) + "-north", role, store::ClinicScope({"north"}));
    }
  }
  if (options.populate) populate();
  HttpOptions http;
  http.listen = "127.0.0.1:0";
  http.clock = [this] { return Timestamp(std::chrono::milliseconds(now_ms_.load())); };
  http.fatal = [](const std::string& why) { FAIL() << "fatal: " << why; };
  if (options.tweak) options.tweak(http);
  server_ =
      std::make_unique<HttpServer>(io_, http, *fleet_, *store_, events_, metrics_, [this] { return ready_.load(); });
  server_->start();
  for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
}

Harness::~Harness() {
  client_.reset();
  server_->stop();
  work_.reset();
  io_.stop();
  for (auto& thread : threads_) thread.join();
  server_.reset();
  fleet_.reset();
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string Harness::make_token(const std::string& token_name, Role role, store::ClinicScope clinics) {
  auto issued = new_token(token_name, role, std::move(clinics), kDay);
  const auto created = fleet_->create_token(issued.stored, "token:harness", "test set-up");
  EXPECT_TRUE(created.ok()) << created.refusal->message;
  return issued.secret;
}

std::string Harness::name(Role role) {
  switch (role) {
    case Role::viewer:
      return "vic";
    case Role::manager:
      return "mia";
    case Role::auditor:
      return "ann";
    case Role::admin:
      return "ada";
  }
  return "";
}

ClientResponse Harness::call(bhttp::verb method, const std::string& target, const std::string& token,
                             const std::string& body) {
  if (!client_) client_ = std::make_unique<Client>(port());
  auto response = client_->request(method, target, token, body);
  expect_conforms(target, method, response);
  if (!response.keep_alive()) client_.reset();
  return response;
}

fleet::Fleet::Ingested Harness::send(const std::string& clinic, const std::string& device, protocol::Body body,
                                     Timestamp at) {
  const protocol::DeviceMessage message{
      protocol::ClinicId{clinic}, {protocol::DeviceId{device}, 1, ++seq_[device], at}, std::move(body)};
  return raw(protocol::topic_of(message), protocol::encode(message), at);
}

fleet::Fleet::Ingested Harness::raw(const std::string& topic, const std::string& payload, Timestamp at) {
  set_clock(at);
  return fleet_->ingest(topic, payload);
}

void Harness::populate() {
  using protocol::DeviceKind;
  auto stored = [](const fleet::Fleet::Ingested& result) {
    EXPECT_EQ(result.disposition, fleet::Fleet::Disposition::stored) << result.reason << ": " << result.detail;
  };
  stored(send("south", "PEN-9", birth(DeviceKind::pen, "Dermapen 4"), at_minute(0)));
  stored(send("north", "STER-1", birth(DeviceKind::sterilizer, "Lisa 500"), at_minute(0)));
  stored(send("north", "PEN-1", birth(DeviceKind::pen, "Dermapen 4"), at_minute(0)));
  stored(send("north", "PEN-2", birth(DeviceKind::pen, "Dermapen 4"), at_minute(0)));
  stored(send("north", "STER-1", bowie_dick(true), at_minute(1)));
  stored(send("north", "STER-1", steam_cycle("CYC-1", {"PEN-1", "PEN-2"}), at_minute(10)));
  stored(send("north", "PEN-1", session_start("S1", "C1"), at_minute(60)));
  stored(send("north", "PEN-1", session_end("S1"), at_minute(80)));
  // The same cartridge again, on a pen not reprocessed since: two critical alerts, and a lock.
  stored(send("north", "PEN-1", session_start("S2", "C1"), at_minute(90)));
  stored(send("north", "PEN-1", session_end("S2"), at_minute(110)));
  stored(send("north", "PEN-2", session_start("S3", "C3"), at_minute(120)));
  stored(send("north", "PEN-2", session_end("S3"), at_minute(140)));
  stored(send("north", "STER-1", bi_result("CYC-1", true), at_minute(240)));
  raw("sterifleet/v1/north/PEN-2/event", "{not json", at_minute(250));
  set_clock(at_minute(300));
}

protocol::Body birth(protocol::DeviceKind kind, const std::string& model) {
  return protocol::Birth{kind, model, "2.1.0", std::nullopt};
}

protocol::Body session_start(const std::string& session, const std::string& cartridge) {
  return protocol::SessionStart{
      protocol::SessionId{session},
      protocol::Cartridge{protocol::CartridgeId{cartridge}, protocol::LotId{"LOT-7"},
                          *protocol::parse_date("2027-06-30"), 12, 300000, std::chrono::seconds{3600}},
      protocol::Millimetres{1.0},
      protocol::Hertz{100},
      protocol::OperatorId{"op-anna"},
      protocol::PatientRef{"pt-" + session},
      protocol::TreatmentArea::cheek};
}

protocol::Body session_end(const std::string& session) {
  return protocol::SessionEnd{protocol::SessionId{session}, 1200, std::chrono::seconds{900}};
}

protocol::Body steam_cycle(const std::string& cycle, std::vector<std::string> load, bool bi) {
  protocol::CycleComplete c;
  c.cycle = protocol::CycleId{cycle};
  c.method = protocol::Method::steam_prevac;
  c.wrapped = true;
  c.temperature = protocol::Celsius{134};
  c.exposure = std::chrono::seconds{300};
  c.pressure = protocol::Kilopascals{304};
  for (auto& device : load) c.load.emplace_back(std::move(device));
  c.operator_id = protocol::OperatorId{"op-tom"};
  c.biological_indicator = bi;
  return c;
}

protocol::Body bi_result(const std::string& cycle, bool positive) {
  return protocol::BiResult{protocol::CycleId{cycle},
                            positive ? protocol::BiReading::positive : protocol::BiReading::negative};
}

protocol::Body bowie_dick(bool pass) {
  return protocol::BowieDickTest{pass ? protocol::PassFail::pass : protocol::PassFail::fail};
}

}  // namespace sterifleet::http::testing
