// Authentication and the role and clinic matrix, over the real server and driven by the OpenAPI
// description: every operation it lists is called by every role with a token for every clinic and with
// one for "north" only, and answers the status the table below derives from the description (its
// x-roles and x-clinic-scope) and the route's reach; a north token never sees the south clinic's data
// (lists leave it out, its records answer 404, writes naming them answer 404).
#include <set>

#include "harness.hpp"
#include "sterifleet/crypto/sha256.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;
using verb = bhttp::verb;
using namespace std::chrono_literals;

const std::vector<Role> all_roles{Role::viewer, Role::manager, Role::auditor, Role::admin};

// The populated day's north traffic, south traffic of the same kinds, and a message whose topic names
// no valid clinic (its quarantine row has none: only tokens for every clinic see it). Every south record
// and that row contain "south", so a north answer must not.
HarnessOptions matrix_options() {
  return tweaked(true, [](HttpOptions& options) {
    options.notify.test = [](const std::string&, const std::string&) {
      return TestNotification{true, 200, "HTTP 200: ok"};
    };
  });
}

void add_south_traffic(Harness& harness) {
  using protocol::DeviceKind;
  harness.send("south", "STER-9", birth(DeviceKind::sterilizer, "Lisa 500"), at_minute(300));
  harness.send("south", "STER-9", bowie_dick(true), at_minute(301));
  harness.send("south", "STER-9", steam_cycle("SCYC-1", {"PEN-9"}), at_minute(310));
  harness.send("south", "PEN-9", session_start("S91", "C91"), at_minute(320));
  harness.send("south", "PEN-9", session_end("S91"), at_minute(330));
  harness.send("south", "PEN-9", session_start("S92", "C91"), at_minute(340));  // reused: alerts, a lock
  harness.send("south", "PEN-9", session_end("S92"), at_minute(350));
  harness.send("south", "STER-9", bi_result("SCYC-1", true), at_minute(360));
  harness.raw("sterifleet/v1/south/PEN-9/event", "{not json", at_minute(361));
  harness.raw("sterifleet/v1/south!/PEN-8/event", "{}", at_minute(362));
  harness.set_clock(at_minute(400));
}

struct Attempt {
  std::string target;
  json body;  ///< null: no body
};

/// Makes fresh records for calls that change them, so that every call's answer is a first call's.
class Fixture {
 public:
  explicit Fixture(Harness& harness) : harness_(harness) {}

  /// An open alert of `clinic` raised for the occasion (a device that never said hello: device.unknown).
  std::string fresh_alert(const std::string& clinic) {
    const auto device = "U-" + clinic + "-" + std::to_string(++counter_);
    harness_.send(clinic, device, bowie_dick(true), at_minute(400));
    const auto alerts = json_of(harness_.get("/api/v1/alerts?state=open&device=" + device, Role::admin))["items"];
    EXPECT_EQ(alerts.size(), 1u) << device;
    return alerts.empty() ? std::string("none") : alerts[0]["id"].get<std::string>();
  }
  std::string fresh_token() {
    const auto name = "doomed-" + std::to_string(++counter_);
    harness_.make_token(name, Role::viewer, {});
    const auto tokens = json_of(harness_.get("/api/v1/tokens", Role::admin))["items"];
    for (const auto& token : tokens) {
      if (token["name"] == name) return token["id"];
    }
    ADD_FAILURE() << name << " was not made";
    return "none";
  }
  std::string disabled_receiver() {
    const auto name = "hook-" + std::to_string(++counter_);
    harness_.store().disable_receiver(name, kDay, "HTTP 410: gone");
    return name;
  }
  std::string fresh_name() { return "kim-" + std::to_string(++counter_); }
  std::string alert_of(const std::string& clinic) {
    const auto alerts =
        json_of(harness_.get("/api/v1/alerts?rule=cartridge.reused&clinic=" + clinic, Role::admin))["items"];
    return alerts.empty() ? std::string("none") : alerts[0]["id"].get<std::string>();
  }
  std::string quarantined_of(const std::string& clinic) {
    const auto rows = json_of(harness_.get("/api/v1/quarantine?limit=1&clinic=" + clinic, Role::admin))["items"];
    return rows.empty() ? std::string("0") : rows[0]["id"].dump();
  }

 private:
  Harness& harness_;
  int counter_ = 0;
};

/// One operation of the description: how to call it for a record of a clinic.
struct Case {
  std::function<Attempt(Fixture&, const std::string& clinic)> make;
  /// The target names one clinic's record (or the body does): another clinic's answers 404.
  bool clinic_bound = false;
};

json soak(const std::string& clinic, const std::string& cycle) {
  return {{"clinic", clinic},
          {"cycle",
           {{"cycle", cycle},
            {"method", "chemical"},
            {"wrapped", false},
            {"temp_c", 22},
            {"exposure_s", 1500},
            {"load", {clinic == "north" ? "PEN-2" : "PEN-9"}},
            {"ci", "pass"},
            {"operator", "op-mia"},
            {"agent", "glutaraldehyde"},
            {"concentration_pct", 2.4}}}};
}

Attempt plain(std::string target) { return {std::move(target), nullptr}; }

std::string pen_of(const std::string& clinic) { return clinic == "north" ? "PEN-1" : "PEN-9"; }
std::string cycle_of(const std::string& clinic) { return clinic == "north" ? "STER-1/CYC-1" : "STER-9/SCYC-1"; }

// Keyed by "<method> <path>" as the description writes them; TheTableCoversTheDescription holds the
// keys equal to the description's operations.
const std::map<std::string, Case>& cases() {
  const auto fixed = [](std::string target) {
    return Case{[target](Fixture&, const std::string&) { return plain(target); }, false};
  };
  static const std::map<std::string, Case> all{
      {"get /healthz", fixed("/healthz")},
      {"get /readyz", fixed("/readyz")},
      {"get /metrics", fixed("/metrics")},
      {"get /api/v1/openapi.json", fixed("/api/v1/openapi.json")},
      {"get /api/v1/clinics", fixed("/api/v1/clinics")},
      {"get /api/v1/devices", fixed("/api/v1/devices")},
      {"get /api/v1/devices/{id}",
       {[](Fixture&, const std::string& clinic) { return plain("/api/v1/devices/" + pen_of(clinic)); }, true}},
      {"post /api/v1/devices/{id}/maintenance",
       {[](Fixture&, const std::string& clinic) {
          return Attempt{"/api/v1/devices/" + pen_of(clinic) + "/maintenance",
                         {{"from", "2026-11-25T08:00:00Z"}, {"to", "2026-11-25T10:00:00Z"}, {"reason", "service"}}};
        },
        true}},
      {"get /api/v1/alerts", fixed("/api/v1/alerts")},
      {"get /api/v1/alerts/{id}",
       {[](Fixture& f, const std::string& clinic) { return plain("/api/v1/alerts/" + f.alert_of(clinic)); }, true}},
      {"post /api/v1/alerts/{id}/ack",
       {[](Fixture& f, const std::string& clinic) {
          return Attempt{"/api/v1/alerts/" + f.fresh_alert(clinic) + "/ack", json{{"comment", "seen"}}};
        },
        true}},
      {"post /api/v1/alerts/{id}/resolve",
       {[](Fixture& f, const std::string& clinic) {
          return Attempt{"/api/v1/alerts/" + f.fresh_alert(clinic) + "/resolve", json{{"reason", "checked"}}};
        },
        true}},
      {"get /api/v1/alerts/{id}/notifications",
       {[](Fixture& f, const std::string& clinic) {
          return plain("/api/v1/alerts/" + f.alert_of(clinic) + "/notifications");
        },
        true}},
      {"get /api/v1/sessions", fixed("/api/v1/sessions")},
      {"get /api/v1/cycles", fixed("/api/v1/cycles")},
      {"get /api/v1/cycles/{sterilizer}/{cycle}",
       {[](Fixture&, const std::string& clinic) { return plain("/api/v1/cycles/" + cycle_of(clinic)); }, true}},
      {"post /api/v1/reprocessing",
       {[](Fixture& f, const std::string& clinic) {
          return Attempt{"/api/v1/reprocessing", soak(clinic, f.fresh_name())};
        },
        true}},
      {"get /api/v1/recalls/{sterilizer}/{cycle}",
       {[](Fixture&, const std::string& clinic) { return plain("/api/v1/recalls/" + cycle_of(clinic)); }, true}},
      {"get /api/v1/audit", fixed("/api/v1/audit")},
      {"get /api/v1/audit/verify", fixed("/api/v1/audit/verify")},
      {"get /api/v1/quarantine", fixed("/api/v1/quarantine")},
      {"get /api/v1/quarantine/{id}",
       {[](Fixture& f, const std::string& clinic) { return plain("/api/v1/quarantine/" + f.quarantined_of(clinic)); },
        true}},
      {"get /api/v1/quarantine/counts", fixed("/api/v1/quarantine/counts")},
      {"get /api/v1/commands", fixed("/api/v1/commands")},
      {"get /api/v1/stats/compliance", fixed("/api/v1/stats/compliance")},
      {"get /api/v1/reports/compliance",
       {[](Fixture&, const std::string& clinic) { return plain("/api/v1/reports/compliance?clinic=" + clinic); },
        true}},
      {"post /api/v1/reports/verify",
       {[](Fixture&, const std::string&) {
          return Attempt{"/api/v1/reports/verify", json("not a report")};
        },
        false}},
      {"get /api/v1/notifications", fixed("/api/v1/notifications")},
      {"post /api/v1/notify/test",
       {[](Fixture&, const std::string&) {
          return Attempt{"/api/v1/notify/test", json{{"receiver", "desk"}}};
        },
        false}},
      {"post /api/v1/notify/receivers/{name}/enable",
       {[](Fixture& f, const std::string&) {
          return plain("/api/v1/notify/receivers/" + f.disabled_receiver() + "/enable");
        },
        false}},
      {"post /api/v1/tokens",
       {[](Fixture& f, const std::string&) {
          return Attempt{"/api/v1/tokens", json{{"name", f.fresh_name()}, {"role", "viewer"}}};
        },
        false}},
      {"get /api/v1/tokens", fixed("/api/v1/tokens")},
      {"delete /api/v1/tokens/{id}",
       {[](Fixture& f, const std::string&) { return plain("/api/v1/tokens/" + f.fresh_token()); }, false}},
      {"get /api/v1/whoami", fixed("/api/v1/whoami")},
      {"get /api/v1/stream", fixed("/api/v1/stream")},
  };
  return all;
}

struct Operation {
  std::string key;  ///< "<method> <path>"
  verb method;
  std::string path;
  const json* spec;
};

std::vector<Operation> operations() {
  std::vector<Operation> out;
  for (const auto& [path, item] : spec().document()["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      out.push_back({method + " " + path,
                     bhttp::string_to_verb(std::string(method == "delete" ? "DELETE"
                                                       : method == "post" ? "POST"
                                                                          : "GET")),
                     path, &operation});
    }
  }
  return out;
}

/// What the description says a caller gets: 401 without a token, 403 for a role not in x-roles or a
/// clinic-scoped token on an operation for all clinics, else its success status.
int expected_status(const Operation& op, std::optional<Role> role, bool north_only) {
  const auto& roles = (*op.spec).value("x-roles", json::array());
  const bool public_route = (*op.spec)["security"].empty();
  if (public_route) return 200;
  if (!role) return 401;
  const bool role_allowed = std::find(roles.begin(), roles.end(), std::string(to_string(*role))) != roles.end();
  if (!role_allowed) return 403;
  if (north_only && (*op.spec)["x-clinic-scope"] == "all-clinics") return 403;
  for (const auto& [status, response] : (*op.spec)["responses"].items()) {
    if (status.starts_with("2")) return std::stoi(status);
  }
  return 0;
}

std::string body_of(const Attempt& a) { return a.body.is_null() ? std::string() : a.body.dump(); }

// The stream never ends, so it is read as a raw header.
int stream_status(std::uint16_t port, const std::string& token) {
  Client client(port);
  client.write_raw("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n" +
                   (token.empty() ? std::string() : "Authorization: Bearer " + token + "\r\n") + "\r\n");
  const auto head = client.read_until("\r\n\r\n", 5s);
  return std::stoi(head.substr(9, 3));
}

TEST(Auth, TheTableCoversTheDescription) {
  std::set<std::string> described, tabled;
  for (const auto& op : operations()) described.insert(op.key);
  for (const auto& [key, c] : cases()) tabled.insert(key);
  EXPECT_EQ(described, tabled);
}

// The table test: every operation x (no token, every role x {every clinic, north only}).
TEST(Auth, RoleAndClinicMatrix_EveryOperationAnswersAsDescribed) {
  Harness harness(matrix_options());
  add_south_traffic(harness);
  Fixture fixture(harness);
  for (const auto& op : operations()) {
    const auto& c = cases().at(op.key);
    std::vector<std::pair<std::optional<Role>, bool>> callers{{std::nullopt, false}};
    for (const auto role : all_roles) {
      callers.emplace_back(role, false);
      callers.emplace_back(role, true);
    }
    for (const auto& [role, north_only] : callers) {
      const std::string token = !role ? "" : north_only ? harness.north_token(*role) : harness.token(*role);
      const std::string who = !role ? "no token" : std::string(to_string(*role)) + (north_only ? " (north)" : "");
      const int expected = expected_status(op, role, north_only);
      const auto attempt = c.make(fixture, "north");
      if (op.path == "/api/v1/stream") {
        EXPECT_EQ(stream_status(harness.port(), token), expected) << op.key << " as " << who;
        continue;
      }
      const auto response = harness.call(op.method, attempt.target, token, body_of(attempt));
      EXPECT_EQ(response.result_int(), expected) << op.key << " as " << who << ": " << response.body();
      if (expected == 403 && role) {
        EXPECT_EQ(error_code(response), "forbidden") << op.key << " as " << who;
      }
      if (expected == 401) {
        EXPECT_EQ(response[bhttp::field::www_authenticate], R"(Bearer realm="sterifleet")") << op.key;
      }
      // What a north token is shown holds nothing of the south clinic.
      if (north_only && response.result_int() < 300 && !(*op.spec)["security"].empty()) {
        EXPECT_EQ(response.body().find("south"), std::string::npos) << op.key << " as " << who << " shows south";
      }
    }
  }
}

// Per operation bound to a clinic's record: the south one, asked for by a north token whose role may,
// does not exist; and a token for every clinic does see it (so the 404 is about the clinic).
TEST(Auth, ClinicMatrix_ANorthTokenFindsNoSouthRecord) {
  Harness harness(matrix_options());
  add_south_traffic(harness);
  Fixture fixture(harness);
  int checked = 0;
  for (const auto& op : operations()) {
    const auto& c = cases().at(op.key);
    if (!c.clinic_bound) continue;
    for (const auto role : all_roles) {
      if (expected_status(op, role, true) >= 400) continue;
      const auto south = c.make(fixture, "south");
      const auto refused = harness.call(op.method, south.target, harness.north_token(role), body_of(south));
      EXPECT_EQ(refused.result_int(), 404)
          << op.key << " " << south.target << " as north " << to_string(role) << ": " << refused.body();
      EXPECT_EQ(error_code(refused), "not_found") << op.key;
      EXPECT_EQ(refused.body().find("\"clinic\""), std::string::npos) << op.key;
      const auto seen = c.make(fixture, "south");
      EXPECT_LT(harness.call(op.method, seen.target, harness.token(role), body_of(seen)).result_int(), 300)
          << op.key << " " << seen.target << " as " << to_string(role);
      ++checked;
    }
  }
  EXPECT_GE(checked, 20);
}

// The lists a north token reads are the lists of the north clinic, page by page: filtered in the
// query, so a page of one row still has a next page while north rows remain.
TEST(Auth, ClinicMatrix_ListsOfANorthTokenAreTheNorthClinicsPages) {
  Harness harness(matrix_options());
  add_south_traffic(harness);
  for (const std::string list : {"/api/v1/alerts", "/api/v1/sessions", "/api/v1/cycles", "/api/v1/quarantine",
                                 "/api/v1/commands", "/api/v1/audit"}) {
    std::vector<json> north_rows, all_rows, asked_for_north;
    for (auto* rows : {&north_rows, &all_rows, &asked_for_north}) {
      const auto token = rows == &north_rows ? harness.north_token(Role::admin) : harness.token(Role::admin);
      const std::string filter = rows == &asked_for_north ? "&clinic=north" : "";
      std::string after;
      do {
        const auto page = json_of(
            harness.call(verb::get, list + "?limit=1" + filter + (after.empty() ? "" : "&after=" + after), token));
        for (const auto& row : page["items"]) rows->push_back(row);
        after = page["next"].is_null() ? "" : page["next"].get<std::string>();
      } while (!after.empty());
    }
    std::vector<json> expected;
    for (const auto& row : all_rows) {
      if (row["clinic"] == "north") expected.push_back(row);
    }
    EXPECT_FALSE(expected.empty()) << list;
    EXPECT_LT(expected.size(), all_rows.size()) << list << ": the south clinic has rows too";
    EXPECT_EQ(north_rows, expected) << list;
    EXPECT_EQ(asked_for_north, expected) << list;
  }
  const auto stats = [&](const std::string& token, const std::string& query) {
    return json_of(harness.call(verb::get, "/api/v1/stats/compliance" + query, token))["totals"];
  };
  EXPECT_EQ(stats(harness.north_token(Role::viewer), ""), stats(harness.token(Role::viewer), "?clinic=north"));
  EXPECT_NE(stats(harness.token(Role::viewer), ""), stats(harness.token(Role::viewer), "?clinic=north"));
}

TEST(Auth, UnknownOrMalformedToken_Is401) {
  Harness harness;
  const auto unknown = harness.call(verb::get, "/api/v1/devices", "sft_00000000000000000000000000000000");
  EXPECT_EQ(unknown.result_int(), 401);
  EXPECT_EQ(error_message(unknown), "the token is unknown or revoked");
  EXPECT_NE(unknown[bhttp::field::www_authenticate].find(R"(error="invalid_token")"), std::string::npos);
  Client client(harness.port());
  const auto basic =
      client.request(verb::get, "/api/v1/devices", "", "", {{"Authorization", "Basic dmljOnNlY3JldA=="}});
  EXPECT_EQ(basic.result_int(), 401);
  EXPECT_EQ(error_message(basic), "the Authorization header must be \"Bearer <token>\"");
}

TEST(Auth, ForbiddenSaysWhy) {
  Harness harness;
  const auto role = harness.get("/api/v1/audit", Role::viewer);
  EXPECT_EQ(error_message(role), "this endpoint needs a token with role auditor or admin; this token is viewer");
  const auto clinics = harness.call(verb::get, "/api/v1/audit/verify", harness.north_token(Role::auditor));
  EXPECT_EQ(error_message(clinics),
            "this endpoint spans every clinic and needs a token for all of them; this token is for north");
}

TEST(Auth, RevokedToken_Is401) {
  Harness harness;
  const auto created = harness.post("/api/v1/tokens", Role::admin, {{"name", "temp"}, {"role", "viewer"}});
  ASSERT_EQ(created.result_int(), 201);
  const auto secret = json_of(created)["token"].get<std::string>();
  EXPECT_EQ(harness.call(verb::get, "/api/v1/devices", secret).result_int(), 200);
  const auto id = json_of(created)["id"].get<std::string>();
  EXPECT_EQ(harness.call(verb::delete_, "/api/v1/tokens/" + id, harness.token(Role::admin)).result_int(), 200);
  EXPECT_EQ(harness.call(verb::get, "/api/v1/devices", secret).result_int(), 401);
}

TEST(Auth, BootstrapToken_IsAdminUntilAnAdminTokenForEveryClinicExists) {
  Harness harness(fresh_install("first-key-1234"));
  EXPECT_EQ(harness.call(verb::get, "/api/v1/tokens", "wrong-key").result_int(), 401);
  ASSERT_EQ(harness.call(verb::get, "/api/v1/tokens", "first-key-1234").result_int(), 200);
  // An admin of one clinic cannot manage tokens: the bootstrap secret stays valid.
  const auto north = harness.call(verb::post, "/api/v1/tokens", "first-key-1234",
                                  json{{"name", "north-root"}, {"role", "admin"}, {"clinics", {"north"}}}.dump());
  ASSERT_EQ(north.result_int(), 201) << north.body();
  EXPECT_EQ(json_of(north)["clinics"], json({"north"}));
  ASSERT_EQ(harness.call(verb::get, "/api/v1/tokens", "first-key-1234").result_int(), 200);
  const auto created =
      harness.call(verb::post, "/api/v1/tokens", "first-key-1234", json{{"name", "root"}, {"role", "admin"}}.dump());
  ASSERT_EQ(created.result_int(), 201);
  const auto secret = json_of(created)["token"].get<std::string>();
  EXPECT_TRUE(secret.starts_with("sft_"));
  EXPECT_EQ(secret.size(), 36u);
  EXPECT_EQ(harness.call(verb::get, "/api/v1/tokens", secret).result_int(), 200);
  EXPECT_EQ(harness.call(verb::get, "/api/v1/tokens", "first-key-1234").result_int(), 401);
}

TEST(Auth, StoredTokens_AreOnlyHashes) {
  Harness harness(empty_fleet());
  const auto created = harness.post("/api/v1/tokens", Role::admin, {{"name", "kim"}, {"role", "auditor"}});
  const auto secret = json_of(created)["token"].get<std::string>();
  const auto record = harness.store().token_by_hash(crypto::sha256_hex(secret));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->name, "kim");
  EXPECT_FALSE(harness.store().token_by_hash(secret));
}

TEST(Auth, WritesCarryTheTokensIdentityIntoTheAuditTrail) {
  Harness harness;
  const auto open = json_of(harness.get("/api/v1/alerts?state=open&rule=cartridge.reused", Role::viewer))["items"];
  ASSERT_EQ(open.size(), 1u);
  const auto id = open[0]["id"].get<std::string>();
  ASSERT_EQ(harness.post("/api/v1/alerts/" + id + "/ack", Role::manager, {{"comment", "on it"}}).result_int(), 200);
  bool found = false;
  std::string after = "0";
  while (!found && !after.empty()) {
    const auto page = json_of(harness.get("/api/v1/audit?limit=1000&after=" + after, Role::auditor));
    for (const auto& record : page["items"]) {
      found = found || (record["actor"] == "token:mia" && record["entity"] == "alert:" + id);
    }
    after = page["next"].is_null() ? "" : page["next"].get<std::string>();
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sterifleet::http::testing
