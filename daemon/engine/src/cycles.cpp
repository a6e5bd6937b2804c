// Sterilizers: cycles and what they mean for the items in their loads, biological indicators and
// recalls, daily air-removal tests.
#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "engine_impl.hpp"

namespace sterifleet::engine {

namespace {

using protocol::format_timestamp;

nlohmann::json state_json(const CycleRecord& c) { return {{"state", to_string(c.state())}}; }

}  // namespace

bool Engine::Impl::fact_sufficient(const CycleRecord& cycle, const DeviceRecord& item) const {
  return cycle.assessment.valid_for(policy.reprocessing.level_for(item.model));
}

void Engine::Impl::on_cycle(DeviceRecord& sterilizer, const protocol::CycleComplete& cycle,
                            const protocol::Envelope& env, Run& run) {
  const std::string key = cycle_key(sterilizer.id, cycle.cycle);
  if (const auto existing = cycles.find(key); existing != cycles.end()) {
    run.out.refusal = Refusal{RefusalCode::duplicate_cycle,
                              "cycle " + key + " was already reported by message " + existing->second.message};
    return;
  }
  if (cycle.method == protocol::Method::steam_prevac && !cycle.load.empty()) {
    StepFact load{StepFact::Kind::prevac_load, env.ts, env.boot, env.seq};
    load.label = cycle.cycle.str();
    add_step(sterilizer, std::move(load), run);
  }
  CycleRecord record;
  record.clinic = sterilizer.clinic;
  record.sterilizer = sterilizer.id;
  record.key = key;
  record.message = message_key(env);
  record.ts = env.ts;
  record.cycle = cycle;
  record.assessment = assess_cycle(cycle, policy.reprocessing);
  record.entered_by = "device:" + sterilizer.id.str();
  const auto at = std::upper_bound(sterilizer.cycles.begin(), sterilizer.cycles.end(), env.ts,
                                   [this](Timestamp t, const std::string& k) { return t < cycles.at(k).ts; });
  sterilizer.cycles.insert(at, key);
  record_cycle(std::move(record), run);
  if (auto orphans = orphan_bis.extract(key)) {
    for (const auto& [bi, bi_env] : orphans.mapped()) on_bi(sterilizer, bi, bi_env, run);
  }
}

// Shared by sterilizer cycles and manual entries: the items of the load get a reprocessing fact.
void Engine::Impl::record_cycle(CycleRecord record, Run& run) {
  const std::string key = record.key;
  auto& stored = cycles.emplace(key, std::move(record)).first->second;
  audit(run, stored.clinic, stored.ts, stored.entered_by, "cycle:" + key, "completed", nullptr,
        {{"state", to_string(stored.state())},
         {"method", protocol::to_string(stored.cycle.method)},
         {"temp_c", stored.cycle.temperature.value},
         {"exposure_s", stored.cycle.exposure.count()},
         {"reasons", stored.assessment.reasons}},
        stored.message);
  for (const auto& item_id : stored.cycle.load) {
    DeviceRecord& item = device(stored.clinic, item_id);
    ReprocessingFact fact{stored.ts, key, fact_sufficient(stored, item), stored.recalled_at};
    const auto at = std::upper_bound(item.reprocessings.begin(), item.reprocessings.end(), fact.ts,
                                     [](Timestamp t, const ReprocessingFact& f) { return t < f.ts; });
    item.reprocessings.insert(at, std::move(fact));
    rederive_pen(item, run, key);
    // Earlier failed cycles of this item may be cleared by this reprocessing.
    for (const auto& earlier : item.reprocessings) {
      if (!earlier.sufficient && earlier.ts < stored.ts && earlier.cycle_key != key) {
        if (auto it = cycles.find(earlier.cycle_key); it != cycles.end()) rederive_cycle(it->second, run);
      }
    }
  }
  rederive_cycle(stored, run);
  if (!stored.sterilizer.empty()) recompute_recalls(stored.sterilizer, run);
  run.out.cycles.push_back({stored});
}

void Engine::Impl::rederive_cycle(CycleRecord& cycle, Run& run) {
  std::vector<std::string> weak_for;  // models the method cannot reprocess
  std::vector<const DeviceRecord*> unprocessed;
  for (const auto& item_id : cycle.cycle.load) {
    const DeviceRecord* item = find_device(item_id);
    if (!item || fact_sufficient(cycle, *item)) continue;
    unprocessed.push_back(item);
    if (cycle.assessment.parameters_sufficient && cycle.assessment.high_level_only) {
      weak_for.push_back(item_id.str() + (item->model.empty() ? "" : " (" + item->model + ")"));
    }
  }
  // Cleared once every item it failed to reprocess has had a valid reprocessing since.
  std::optional<Timestamp> cleared = cycle.ts;
  std::string clearance = "every item of the load has been reprocessed since";
  for (const DeviceRecord* item : unprocessed) {
    std::optional<Timestamp> redone;
    for (const auto& fact : item->reprocessings) {
      if (fact.ts > cycle.ts && fact.sufficient) {
        redone = fact.ts;
        break;
      }
    }
    if (!redone) {
      cleared.reset();
      break;
    }
    cleared = std::max(*cleared, *redone);
  }
  if (cycle.cycle.load.empty()) clearance = "the load was empty";

  auto failure = [&](bool failed, std::string summary) {
    std::vector<Episode> episodes;
    if (failed) {
      // A manual entry has no sterilizer: its alert belongs to the first item of its load.
      const DeviceId owner =
          !cycle.sterilizer.empty() || cycle.cycle.load.empty() ? cycle.sterilizer : cycle.cycle.load.front();
      episodes.push_back(
          Episode{cycle.message, owner, cycle.ts, 1, std::move(summary), cleared, cleared ? clearance : std::string{}});
    }
    return episodes;
  };
  std::string reasons;
  for (const auto& reason : cycle.assessment.reasons) {
    if (reason != "chemical indicator failed") reasons += (reasons.empty() ? "" : "; ") + reason;
  }
  if (!weak_for.empty()) {
    std::string items;
    for (const auto& w : weak_for) items += (items.empty() ? "" : ", ") + w;
    reasons += (reasons.empty() ? "" : "; ") + std::string("high-level disinfection does not sterilize ") + items;
  }
  const auto ctx = context(run);
  alerts.reconcile(cycle.clinic, RuleId::cycle_parameters_insufficient, cycle.key,
                   failure(!cycle.assessment.parameters_sufficient || !weak_for.empty(),
                           "cycle " + cycle.key + " did not reprocess its load: " + reasons),
                   ctx);
  alerts.reconcile(cycle.clinic, RuleId::cycle_indicator_failed, cycle.key,
                   failure(!cycle.assessment.indicator_passed,
                           "chemical indicator of cycle " + cycle.key + " failed: its load is not reprocessed"),
                   ctx);
}

void Engine::Impl::on_bi(DeviceRecord& sterilizer, const protocol::BiResult& bi, const protocol::Envelope& env,
                         Run& run) {
  const std::string key = cycle_key(sterilizer.id, bi.cycle);
  const auto found = cycles.find(key);
  if (found == cycles.end()) {
    orphan_bis[key].emplace_back(bi, env);  // its cycle.complete will come by replay
    return;
  }
  CycleRecord& cycle = found->second;
  if (cycle.bi && cycle.bi->result == bi.result) return;  // the same reading again
  const auto before = state_json(cycle);
  cycle.bi = BiRecord{env.ts, bi.result, message_key(env)};
  audit(run, cycle.clinic, env.ts, "device:" + sterilizer.id.str(), "cycle:" + key, "biological_indicator", before,
        {{"state", to_string(cycle.state())}, {"bi", protocol::to_string(bi.result)}}, message_key(env));
  std::vector<Episode> episodes;
  if (bi.result == protocol::BiReading::positive) {
    episodes.push_back(Episode{message_key(env),
                               sterilizer.id,
                               env.ts,
                               1,
                               "biological indicator of cycle " + key +
                                   " read positive: the load was not sterile; recall its items and the sessions "
                                   "that used them",
                               std::nullopt,
                               {}});
  }
  alerts.reconcile(cycle.clinic, RuleId::cycle_bi_positive, key, std::move(episodes), context(run));
  recompute_recalls(sterilizer.id, run);
  run.out.cycles.push_back({cycle});
}

// A positive BI recalls its cycle and every earlier cycle of the sterilizer since the last cycle whose
// BI read negative. Recomputed from all the sterilizer's results, so the order they came in is moot.
void Engine::Impl::recompute_recalls(const DeviceId& sterilizer_id, Run& run) {
  DeviceRecord* sterilizer = find_device(sterilizer_id);
  if (!sterilizer) return;
  std::unordered_map<std::string, std::pair<Timestamp, std::string>> recalled;
  std::vector<std::string> since_negative;
  for (const auto& key : sterilizer->cycles) {
    const CycleRecord& c = cycles.at(key);
    since_negative.push_back(key);
    if (!c.bi) continue;
    if (c.bi->result == protocol::BiReading::negative) {
      since_negative.clear();
      continue;
    }
    for (const auto& k : since_negative) {
      auto [it, inserted] = recalled.try_emplace(k, c.bi->ts, key);
      if (!inserted && c.bi->ts < it->second.first) it->second = {c.bi->ts, key};
    }
  }
  for (const auto& key : sterilizer->cycles) {
    CycleRecord& c = cycles.at(key);
    const auto it = recalled.find(key);
    const std::optional<Timestamp> at = it == recalled.end() ? std::nullopt : std::optional{it->second.first};
    if (c.recalled_at == at) continue;
    const auto before = state_json(c);
    c.recalled_at = at;
    c.recalled_by = it == recalled.end() ? std::string{} : it->second.second;
    audit(run, c.clinic, at.value_or(run.now), "engine", "cycle:" + key, at ? "recalled" : "recall_withdrawn", before,
          {{"state", to_string(c.state())}, {"recalled_by", c.recalled_by}}, c.recalled_by);
    run.out.cycles.push_back({c});
    for (const auto& item_id : c.cycle.load) {
      DeviceRecord* item = find_device(item_id);
      if (!item) continue;
      for (auto& fact : item->reprocessings) {
        if (fact.cycle_key == key) fact.recalled_at = at;
      }
      rederive_pen(*item, run, "recall of " + c.recalled_by);
    }
  }
}

void Engine::Impl::on_bowie_dick(DeviceRecord& sterilizer, const protocol::BowieDickTest& test,
                                 const protocol::Envelope& env, Run& run) {
  const std::string subject = sterilizer.id.str();
  audit(run, sterilizer.clinic, env.ts, "device:" + subject, "device:" + subject, "bowie_dick", nullptr,
        {{"result", protocol::to_string(test.result)}}, message_key(env));
  StepFact fact{StepFact::Kind::bowie_dick, env.ts, env.boot, env.seq};
  fact.passed = test.result == protocol::PassFail::pass;
  add_step(sterilizer, std::move(fact), run);
}

std::optional<Recall> Engine::Impl::recall(const std::string& key) const {
  const auto positive = cycles.find(key);
  if (positive == cycles.end() || !positive->second.bi ||
      positive->second.bi->result != protocol::BiReading::positive) {
    return std::nullopt;
  }
  Recall out;
  out.cycle_key = key;
  out.bi_read_at = positive->second.bi->ts;
  std::set<DeviceId> devices_seen;
  for (const auto& [k, c] : cycles) {
    if (c.recalled_by != key) continue;
    out.cycles.push_back(k);
  }
  // By time, then key: not the hash map's order, which differs in an engine restored from a snapshot.
  std::sort(out.cycles.begin(), out.cycles.end(), [this](const auto& a, const auto& b) {
    return std::tie(cycles.at(a).ts, a) < std::tie(cycles.at(b).ts, b);
  });
  for (const auto& k : out.cycles) {
    for (const auto& item_id : cycles.at(k).cycle.load) {
      if (devices_seen.insert(item_id).second) out.devices.push_back(item_id);
    }
  }
  // Newest cycle first: a session reached through several recalled cycles is named after the first one
  // that reaches it, the recalled cycle that last reprocessed its pen before it (as the store-side trace,
  // daemon/report/src/recall_trace.cpp, names it). An older cycle's window reaches no session past a newer
  // one's: the pen's next valid reprocessing after the older cycle is after the newer one too.
  std::set<std::pair<DeviceId, SessionId>> counted;
  for (auto k = out.cycles.rbegin(); k != out.cycles.rend(); ++k) {
    const CycleRecord& c = cycles.at(*k);
    for (const auto& item_id : c.cycle.load) {
      const auto it = devices.find(item_id);
      if (it == devices.end()) continue;
      const DeviceRecord& item = it->second;
      // Sessions after this cycle and before the item's next valid reprocessing by an unrecalled cycle.
      std::optional<Timestamp> next_valid;
      for (const auto& fact : item.reprocessings) {
        if (fact.ts > c.ts && fact.sufficient && !fact.recalled_at) {
          next_valid = fact.ts;
          break;
        }
      }
      for (const auto& session : item.sessions) {
        if (session.started <= c.ts || (next_valid && session.started >= *next_valid)) continue;
        if (!counted.emplace(item.id, session.id).second) continue;
        out.sessions.push_back({item.id, session.id, session.started, session.start.operator_id, session.start.patient,
                                session.patient_drift, *k});
      }
    }
  }
  // By start time, then pen and session: the same order in an engine restored from a snapshot.
  std::sort(out.sessions.begin(), out.sessions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.started, a.pen, a.session) < std::tie(b.started, b.pen, b.session);
  });
  return out;
}

}  // namespace sterifleet::engine
