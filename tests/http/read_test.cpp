// The read endpoints over a populated server: what they answer, their filters, pagination, and the
// precise 400 for each bad parameter.
#include <thread>

#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;

class Reads : public ::testing::Test {
 protected:
  Harness harness;

  json get_ok(const std::string& target, Role role = Role::viewer) {
    const auto response = harness.get(target, role);
    EXPECT_EQ(response.result_int(), 200) << target << ": " << response.body();
    return json_of(response);
  }
  std::string bad(const std::string& target, Role role = Role::viewer) {
    const auto response = harness.get(target, role);
    EXPECT_EQ(response.result_int(), 400) << target << ": " << response.body();
    EXPECT_EQ(error_code(response), "bad_request") << target;
    return error_message(response);
  }
  std::vector<std::string> ids(const json& items, const char* field = "id") {
    std::vector<std::string> out;
    for (const auto& item : items) out.push_back(item[field]);
    return out;
  }
};

TEST_F(Reads, Clinics_CountDevicesAndOpenAlerts) {
  const auto clinics = get_ok("/api/v1/clinics")["items"];
  ASSERT_EQ(clinics.size(), 2u);
  EXPECT_EQ(clinics[0]["id"], "north");
  EXPECT_EQ(clinics[0]["devices"], 3);
  EXPECT_EQ(clinics[0]["pens"], 2);
  EXPECT_EQ(clinics[0]["sterilizers"], 1);
  EXPECT_GE(clinics[0]["open_alerts"].get<int>(), 3);
  EXPECT_EQ(clinics[1]["id"], "south");
  EXPECT_EQ(clinics[1]["open_alerts"], 0);
  EXPECT_EQ(bad("/api/v1/clinics?x=1"), "x: unknown parameter; this endpoint takes none");
}

TEST_F(Reads, Devices_FilterByClinicKindAndState) {
  EXPECT_EQ(ids(get_ok("/api/v1/devices")["items"]), (std::vector<std::string>{"PEN-1", "PEN-2", "STER-1", "PEN-9"}));
  EXPECT_EQ(ids(get_ok("/api/v1/devices?clinic=north&kind=pen")["items"]),
            (std::vector<std::string>{"PEN-1", "PEN-2"}));
  EXPECT_EQ(ids(get_ok("/api/v1/devices?kind=sterilizer")["items"]), std::vector<std::string>{"STER-1"});
  // PEN-2 by the event it sent that could not be judged (device.event_rejected).
  EXPECT_EQ(ids(get_ok("/api/v1/devices?state=locked")["items"]), (std::vector<std::string>{"PEN-1", "PEN-2"}));
  EXPECT_EQ(bad("/api/v1/devices?kind=laser"), "kind: must be one of pen, roller, sterilizer");
  EXPECT_EQ(bad("/api/v1/devices?state=broken"),
            "state: must be one of ready, in_use, needs_reprocessing, locked, offline, off");
  EXPECT_EQ(bad("/api/v1/devices?clinic=no%20spaces"), "clinic: must be 1 to 64 letters, digits, '_', '.' or '-'");
  EXPECT_EQ(bad("/api/v1/devices?clinic=a&clinic=b"), "clinic: given more than once");
  EXPECT_EQ(bad("/api/v1/devices?klinic=north"), "klinic: unknown parameter; expected one of clinic, kind, state");
}

// Fleet-wide reads come from the published view and one device's detail from the engine, while messages
// are judged and stored on another thread (under ThreadSanitizer in CI): every answer is whole, and
// once the messages are in, the listing and the counts show every device they brought.
TEST_F(Reads, Devices_ReadWhileMessagesAreJudged) {
  constexpr int kNewPens = 40;
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<int> answers{0};
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, token = harness.token(Role::viewer)] {
      Client client(harness.port());
      const std::vector<std::string> targets{"/api/v1/devices", "/api/v1/clinics", "/api/v1/devices/PEN-1"};
      for (std::size_t i = 0; !done; ++i) {
        const auto response = client.get(targets[i % targets.size()], token);
        EXPECT_EQ(response.result_int(), 200) << response.body();
        EXPECT_FALSE(json::parse(response.body(), nullptr, false).is_discarded());
        ++answers;
      }
    });
  }
  for (int i = 0; i < kNewPens; ++i) {
    const std::string pen = "PEN-" + std::to_string(100 + i);
    harness.send("south", pen, birth(protocol::DeviceKind::pen, "MN-2"), at_minute(600 + i));
  }
  while (answers < 20) std::this_thread::yield();
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(get_ok("/api/v1/devices?clinic=south")["items"].size(), 1u + kNewPens);
  const auto clinics = get_ok("/api/v1/clinics")["items"];
  EXPECT_EQ(clinics[1]["id"], "south");
  EXPECT_EQ(clinics[1]["pens"], 1 + kNewPens);
}

TEST_F(Reads, Device_HasDetailAndAPagedHistory) {
  const auto device = get_ok("/api/v1/devices/PEN-1?limit=2");
  EXPECT_EQ(device["id"], "PEN-1");
  EXPECT_EQ(device["sessions"].size(), 2u);
  EXPECT_EQ(device["history"]["items"].size(), 2u);
  EXPECT_EQ(device["history"]["items"][0]["type"], "session.end");  // newest first
  const auto next = device["history"]["next"].get<std::string>();
  const auto rest = get_ok("/api/v1/devices/PEN-1?limit=1000&after=" + next)["history"];
  EXPECT_EQ(rest["items"].size(), 3u);  // birth, start S1, end S1
  EXPECT_TRUE(rest["next"].is_null());
  const auto missing = harness.get("/api/v1/devices/PEN-404", Role::viewer);
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(error_message(missing), "no device PEN-404");
  EXPECT_EQ(bad("/api/v1/devices/PEN-1?limit=0"), "limit: must be an integer from 1 to 1000");
  EXPECT_EQ(bad("/api/v1/devices/PEN-1?after=zz"), "after: not a cursor this store wrote: \"zz\"");
}

TEST_F(Reads, Alerts_FilterAndPaginate) {
  const auto all = get_ok("/api/v1/alerts?limit=1000")["items"];
  ASSERT_GE(all.size(), 3u);
  std::vector<std::string> walked;
  std::string target = "/api/v1/alerts?limit=1";
  while (true) {
    const auto page = get_ok(target);
    ASSERT_LE(page["items"].size(), 1u);
    for (const auto& alert : page["items"]) walked.push_back(alert["id"]);
    if (page["next"].is_null()) break;
    target = "/api/v1/alerts?limit=1&after=" + page["next"].get<std::string>();
  }
  EXPECT_EQ(walked, ids(all));
  const auto reused = get_ok("/api/v1/alerts?rule=cartridge.reused&clinic=north&device=PEN-1&state=open")["items"];
  ASSERT_EQ(reused.size(), 1u);
  EXPECT_EQ(reused[0]["severity"], "critical");
  EXPECT_TRUE(get_ok("/api/v1/alerts?clinic=south")["items"].empty());
  EXPECT_EQ(get_ok("/api/v1/alerts?from=2026-11-24T09:29:00Z&to=2026-11-24T09:31:00Z")["items"].size(), 2u);
  EXPECT_EQ(bad("/api/v1/alerts?state=closed"), "state: must be one of open, acknowledged, resolved, withdrawn");
  EXPECT_NE(bad("/api/v1/alerts?rule=cartridge.lost").find("rule: must be one of device.used_without_reprocessing"),
            std::string::npos);
  EXPECT_EQ(bad("/api/v1/alerts?from=yesterday"), "from: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z");
  EXPECT_EQ(bad("/api/v1/alerts?from=2026-11-24T10:00:00Z&to=2026-11-24T09:00:00Z"), "to: must be later than from");
  EXPECT_EQ(bad("/api/v1/alerts?limit=1001"), "limit: must be an integer from 1 to 1000");
  EXPECT_EQ(bad("/api/v1/alerts?limit=ten"), "limit: must be an integer from 1 to 1000");
  EXPECT_EQ(bad("/api/v1/alerts?after=%7Bcursor%7D"), "after: not a cursor from a previous page's \"next\"");
}

TEST_F(Reads, Alert_ById) {
  const auto first = get_ok("/api/v1/alerts?limit=1")["items"][0];
  const auto alert = get_ok("/api/v1/alerts/" + first["id"].get<std::string>());
  EXPECT_EQ(alert, first);
  EXPECT_EQ(harness.get("/api/v1/alerts/ffff", Role::viewer).result_int(), 404);
  EXPECT_EQ(bad("/api/v1/alerts/" + first["id"].get<std::string>() + "?verbose=1"),
            "verbose: unknown parameter; this endpoint takes none");
}

TEST_F(Reads, Sessions_InStartOrderWithCompliance) {
  const auto sessions = get_ok("/api/v1/sessions?clinic=north")["items"];
  ASSERT_EQ(sessions.size(), 3u);
  EXPECT_EQ(ids(sessions, "session"), (std::vector<std::string>{"S1", "S2", "S3"}));
  EXPECT_TRUE(sessions[0]["compliant"].get<bool>());
  EXPECT_FALSE(sessions[1]["compliant"].get<bool>());
  EXPECT_EQ(get_ok("/api/v1/sessions?device=PEN-2")["items"].size(), 1u);
  const auto page = get_ok("/api/v1/sessions?limit=2");
  EXPECT_EQ(page["items"].size(), 2u);
  const auto rest = get_ok("/api/v1/sessions?limit=2&after=" + page["next"].get<std::string>());
  EXPECT_EQ(ids(rest["items"], "session"), std::vector<std::string>{"S3"});
  EXPECT_EQ(get_ok("/api/v1/sessions?from=2026-11-24T09:15:00Z&to=2026-11-24T10:00:00Z")["items"].size(), 1u);
  EXPECT_EQ(bad("/api/v1/sessions?to=2026-11-24"), "to: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z");
  EXPECT_EQ(bad("/api/v1/sessions?pen=PEN-1"),
            "pen: unknown parameter; expected one of clinic, device, from, to, limit, after");
}

// A patient reference off the policy's pattern (a date of birth) reaches managers, auditors and admins as
// sent, with its flag; a viewer gets null in the sessions list, the device's sessions and raw history,
// and the recall. References on the pattern are shown to everyone.
TEST_F(Reads, PatientReferencesOffThePattern_AreWithheldFromViewersOnly) {
  auto start = session_start("S4", "C4");
  std::get<protocol::SessionStart>(start).patient = protocol::PatientRef{"1985-03-02"};
  ASSERT_EQ(harness.send("north", "PEN-2", start, at_minute(260)).disposition, fleet::Fleet::Disposition::stored);
  const auto by_session = [](const json& sessions, const std::string& id) {
    for (const auto& s : sessions) {
      if (s["session"] == id) return s;
    }
    return json();
  };
  for (const auto role : {Role::viewer, Role::manager, Role::auditor, Role::admin}) {
    const bool viewer = role == Role::viewer;
    const json expected = viewer ? json(nullptr) : json("1985-03-02");
    const auto listed = get_ok("/api/v1/sessions?device=PEN-2", role)["items"];
    EXPECT_EQ(by_session(listed, "S4")["patient"], expected) << to_string(role);
    EXPECT_EQ(by_session(listed, "S4")["patient_drift"], true);
    EXPECT_EQ(by_session(listed, "S3")["patient"], "pt-S3") << to_string(role);
    EXPECT_EQ(by_session(listed, "S3")["patient_drift"], false);

    const auto device = get_ok("/api/v1/devices/PEN-2", role);
    EXPECT_EQ(by_session(device["sessions"], "S4")["patient"], expected) << to_string(role);
    EXPECT_EQ(device["history"].dump().find("1985-03-02") == std::string::npos, viewer) << to_string(role);
    EXPECT_NE(device["history"].dump().find("pt-S3"), std::string::npos) << to_string(role);

    const auto recall = get_ok("/api/v1/recalls/STER-1/CYC-1", role);
    EXPECT_EQ(by_session(recall["sessions"], "S4")["patient"], expected) << to_string(role);
    EXPECT_EQ(by_session(recall["sessions"], "S4")["patient_drift"], true);
  }
}

TEST_F(Reads, Cycles_ListAndOneWithValidityAndReasons) {
  const auto cycles = get_ok("/api/v1/cycles?device=STER-1")["items"];
  ASSERT_EQ(cycles.size(), 1u);
  const auto cycle = get_ok("/api/v1/cycles/STER-1/CYC-1");
  EXPECT_EQ(cycle["key"], "STER-1/CYC-1");
  EXPECT_EQ(cycle["state"], "recalled");
  EXPECT_FALSE(cycle["valid"].get<bool>());
  EXPECT_TRUE(cycle["reasons"].is_array());
  const auto missing = harness.get("/api/v1/cycles/STER-1/CYC-9", Role::viewer);
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(error_message(missing), "no cycle STER-1/CYC-9");
  EXPECT_EQ(bad("/api/v1/cycles?limit=-1"), "limit: must be an integer from 1 to 1000");
}

TEST_F(Reads, Recall_ListsTheSessionsSinceThePositiveCycle) {
  const auto recall = get_ok("/api/v1/recalls/STER-1/CYC-1");
  EXPECT_EQ(recall["cycle"], "STER-1/CYC-1");
  EXPECT_EQ(recall["devices"], json({"PEN-1", "PEN-2"}));
  EXPECT_EQ(recall["sessions"].size(), 3u);
  const auto none = harness.get("/api/v1/recalls/STER-1/CYC-2", Role::viewer);
  EXPECT_EQ(none.result_int(), 404);
  EXPECT_EQ(error_message(none), "no positive biological indicator for cycle STER-1/CYC-2");
  EXPECT_EQ(bad("/api/v1/recalls/STER-1/CYC-1?depth=2"), "depth: unknown parameter; expected one of format");
}

TEST_F(Reads, Audit_PagesBySeqAndVerifies) {
  const auto first = get_ok("/api/v1/audit?limit=2", Role::auditor);
  ASSERT_EQ(first["items"].size(), 2u);
  EXPECT_EQ(first["items"][0]["seq"], 1);
  EXPECT_EQ(first["next"], "2");
  const auto second = get_ok("/api/v1/audit?limit=2&after=2", Role::auditor);
  EXPECT_EQ(second["items"][0]["seq"], 3);
  EXPECT_EQ(second["items"][0]["prev_hash"], first["items"][1]["hash"]);
  const auto verified = get_ok("/api/v1/audit/verify", Role::auditor);
  EXPECT_TRUE(verified["intact"].get<bool>());
  EXPECT_TRUE(verified["first_bad"].is_null());
  EXPECT_GT(verified["records"].get<int>(), 5);
  EXPECT_EQ(verified["head"]["seq"], verified["records"]);
  const auto north = get_ok("/api/v1/audit?clinic=north&limit=1000", Role::auditor)["items"];
  ASSERT_FALSE(north.empty());
  for (const auto& record : north) EXPECT_EQ(record["clinic"], "north") << record["entity"];
  EXPECT_TRUE(get_ok("/api/v1/audit?clinic=elsewhere", Role::auditor)["items"].empty());
  EXPECT_EQ(bad("/api/v1/audit?clinic=no%20spaces", Role::auditor),
            "clinic: must be 1 to 64 letters, digits, '_', '.' or '-'");
  EXPECT_EQ(bad("/api/v1/audit?after=-3", Role::auditor), "after: must be an integer from 0 to 9223372036854775807");
  EXPECT_EQ(bad("/api/v1/audit/verify?deep=1", Role::auditor), "deep: unknown parameter; this endpoint takes none");
}

// Who did what to which record when: each filter alone narrows the whole trail to its records, and they
// combine; the period is the records' time.
TEST_F(Reads, Audit_FiltersByActorActionEntityAndPeriod) {
  const auto all = get_ok("/api/v1/audit?limit=1000", Role::auditor)["items"];
  ASSERT_GT(all.size(), 3u);
  const auto& sample = all[all.size() / 2];
  const auto matching = [&](const std::string& field) {
    std::vector<std::int64_t> seqs;
    for (const auto& r : all) {
      if (r[field] == sample[field]) seqs.push_back(r["seq"].get<std::int64_t>());
    }
    return seqs;
  };
  const auto listed = [&](const std::string& query) {
    const auto page = get_ok("/api/v1/audit?limit=1000&" + query, Role::auditor);
    std::vector<std::int64_t> seqs;
    for (const auto& r : page["items"]) seqs.push_back(r["seq"].get<std::int64_t>());
    return seqs;
  };
  for (const std::string field : {"actor", "action", "entity"}) {
    SCOPED_TRACE(field);
    EXPECT_EQ(listed(field + "=" + sample[field].get<std::string>()), matching(field));
  }
  EXPECT_TRUE(listed("actor=nobody").empty());
  const auto at = sample["at"].get<std::string>();
  std::vector<std::int64_t> from_sample, before_sample;
  for (const auto& r : all) (r["at"].get<std::string>() >= at ? from_sample : before_sample).push_back(r["seq"]);
  EXPECT_EQ(listed("from=" + at), from_sample);
  EXPECT_EQ(listed("to=" + at), before_sample);
  std::vector<std::int64_t> both;
  for (const auto seq : matching("action")) {
    if (std::find(from_sample.begin(), from_sample.end(), seq) != from_sample.end()) both.push_back(seq);
  }
  EXPECT_EQ(listed("action=" + sample["action"].get<std::string>() + "&from=" + at), both);
  EXPECT_EQ(bad("/api/v1/audit?from=yesterday", Role::auditor),
            "from: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z");
  EXPECT_EQ(bad("/api/v1/audit?who=ann", Role::auditor),
            "who: unknown parameter; expected one of clinic, actor, action, entity, from, to, after, limit");
}

TEST_F(Reads, Quarantine_KeepsTheRawPayloadAndCounts) {
  const auto items = get_ok("/api/v1/quarantine", Role::auditor)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["payload"], "{not json");
  EXPECT_EQ(items[0]["reason"], "malformed_json");
  EXPECT_TRUE(get_ok("/api/v1/quarantine?from=2026-11-24T12:11:00Z", Role::auditor)["items"].empty());
  const auto counts = get_ok("/api/v1/quarantine/counts", Role::auditor);
  EXPECT_EQ(counts["total"], 1);
  EXPECT_EQ(counts["by_reason"]["malformed_json"], 1);
  EXPECT_EQ(bad("/api/v1/quarantine?from=2026-13-01T00:00:00Z", Role::auditor),
            "from: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z");
}

// The quarantined event's alert names it; the auditor reads it by that id.
TEST_F(Reads, Quarantined_TheMessageAnEventRejectedAlertNames) {
  const auto alerts = get_ok("/api/v1/alerts?rule=device.event_rejected")["items"];
  ASSERT_EQ(alerts.size(), 1u);
  const auto trigger = alerts[0]["trigger"].get<std::string>();
  ASSERT_TRUE(trigger.starts_with("quarantine:")) << trigger;
  const auto row = get_ok("/api/v1/quarantine/" + trigger.substr(11), Role::auditor);
  EXPECT_EQ(row["payload"], "{not json");
  EXPECT_EQ(row["device"], "PEN-2");
  EXPECT_EQ(harness.get("/api/v1/quarantine/999", Role::auditor).result_int(), 404);
  EXPECT_EQ(harness.get("/api/v1/quarantine/x1", Role::auditor).result_int(), 404);
}

TEST_F(Reads, Commands_ShowTheLockSentToTheReusedPen) {
  const auto items = get_ok("/api/v1/commands?device=PEN-1", Role::auditor)["items"];
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items.back()["topic"], "sterifleet/v1/north/PEN-1/cmd");
  EXPECT_NE(items.back()["payload"].get<std::string>().find("lock"), std::string::npos);
  EXPECT_EQ(bad("/api/v1/commands?device=PEN/1", Role::auditor),
            "device: must be 1 to 64 letters, digits, '_', '.' or '-'");
}

TEST_F(Reads, ComplianceStats_PerUtcDay) {
  const auto stats = get_ok("/api/v1/stats/compliance?clinic=north&from=2026-11-23T00:00:00Z&to=2026-11-25T00:00:00Z");
  ASSERT_EQ(stats["days"].size(), 2u);
  EXPECT_EQ(stats["days"][0],
            json({{"day", "2026-11-23"}, {"sessions", 0}, {"compliant_sessions", 0}, {"alerts_opened", 0}}));
  EXPECT_EQ(stats["days"][1]["day"], "2026-11-24");
  EXPECT_EQ(stats["days"][1]["sessions"], 3);
  EXPECT_EQ(stats["days"][1]["compliant_sessions"], 2);  // S1 and S3; S2 reused a cartridge
  EXPECT_GE(stats["days"][1]["alerts_opened"].get<int>(), 3);
  EXPECT_EQ(stats["totals"]["sessions"], 3);
  const auto recent = get_ok("/api/v1/stats/compliance");  // the last 30 days by default
  EXPECT_EQ(recent["days"].size(), 30u);
  EXPECT_EQ(recent["days"].back()["day"], "2026-11-24");
  EXPECT_EQ(bad("/api/v1/stats/compliance?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"),
            "to: the period may span at most 366 days");
  EXPECT_EQ(bad("/api/v1/stats/compliance?clinic=north&format=csv"),
            "format: unknown parameter; expected one of clinic, from, to");
}

TEST_F(Reads, Tokens_ListedWithoutSecrets) {
  const auto tokens = get_ok("/api/v1/tokens", Role::admin)["items"];
  ASSERT_EQ(tokens.size(), 8u);  // a token per role for every clinic, and one for "north"
  for (const auto& token : tokens) {
    EXPECT_FALSE(token.contains("token"));
    EXPECT_EQ(token["clinics"], token["name"].get<std::string>().ends_with("-north") ? json({"north"}) : json());
  }
}

TEST_F(Reads, UnknownApiPath_Is401ThenNotFound) {
  EXPECT_EQ(harness.call(bhttp::verb::get, "/api/v1/nothing", "").result_int(), 401);
  const auto response = harness.get("/api/v1/nothing", Role::viewer);
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(error_message(response), "no such endpoint: /api/v1/nothing");
  const auto wrong = harness.call(bhttp::verb::put, "/api/v1/alerts", harness.token(Role::admin));
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[bhttp::field::allow], "GET");
}

}  // namespace
}  // namespace sterifleet::http::testing
