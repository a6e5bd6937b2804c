// Forgetting settled history so memory stays bounded by the retention horizon, not by uptime.
#include <algorithm>

#include "engine_impl.hpp"

namespace sterifleet::engine {

namespace {

std::uint64_t cartridge_hash(const protocol::CartridgeId& id) { return fnv1a(id.str()); }

// When the pen stopped being in session `i`: its end, or the next start if it was interrupted.
std::optional<Timestamp> boundary(const DeviceRecord& pen, std::size_t i) {
  if (pen.sessions[i].ended) return pen.sessions[i].ended;
  if (i + 1 < pen.sessions.size()) return pen.sessions[i + 1].started;
  return std::nullopt;
}

}  // namespace

void Engine::Impl::compact(Timestamp cut) {
  Run run{{}, cut};
  // In device order, not the hash map's, so that an engine restored from a snapshot (same devices,
  // another map order) compacts to the same state: re-deriving a pen queues its shelf-life deadline,
  // and deadlines at the same instant are kept in the order they were queued.
  std::vector<DeviceRecord*> in_order;
  in_order.reserve(devices.size());
  for (auto& [id, dev] : devices) in_order.push_back(&dev);
  std::sort(in_order.begin(), in_order.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  for (DeviceRecord* dev : in_order) {
    compact_pen(*dev, cut, run);
    fold_steps_before(*dev, cut);
  }
  compact_cycles(cut);
  for (auto& [id, c] : clinics) compact_cartridges(c, id, cut);
  std::erase_if(orphan_ends, [&](const auto& entry) {
    if (entry.second.ts >= cut) return false;
    // A use of the pen before the horizon, kept as the sessions compacted away are: by their last end.
    DeviceRecord* pen = find_device(DeviceId{entry.first.substr(0, entry.first.find('/'))});
    if (pen == nullptr) return true;
    if (!pen->sessions.empty() && pen->sessions.front().started <= entry.second.ts) return false;
    if (!pen->compacted_last_end || *pen->compacted_last_end < entry.second.ts) {
      pen->compacted_last_end = entry.second.ts;
    }
    return true;
  });
  for (auto& [key, results] : orphan_bis) {
    std::erase_if(results, [&](const auto& bi) { return bi.second.ts < cut; });
  }
  std::erase_if(orphan_bis, [](const auto& entry) { return entry.second.empty(); });
  alerts.compact(cut);
}

void Engine::Impl::compact_pen(DeviceRecord& pen, Timestamp cut, Run& run) {
  if (!pen.is_pen() || pen.sessions.empty()) return;
  // An episode still open may need the sessions that opened it.
  if (alerts.device_has_current(pen.id, RuleId::used_without_reprocessing) ||
      alerts.device_has_current(pen.id, RuleId::sterility_expired)) {
    return;
  }
  std::size_t finished = 0;
  while (finished < pen.sessions.size()) {
    const auto end = boundary(pen, finished);
    if (!end || *end >= cut) break;
    ++finished;
  }
  if (finished == 0) return;
  const Timestamp last_end = *boundary(pen, finished - 1);
  pen.compacted_last_end = last_end;
  pen.compacted_before = finished < pen.sessions.size() ? pen.sessions[finished].started : cut;
  pen.sessions.erase(pen.sessions.begin(), pen.sessions.begin() + static_cast<std::ptrdiff_t>(finished));
  pen.session_index.clear();
  for (std::size_t i = 0; i < pen.sessions.size(); ++i) pen.session_index[pen.sessions[i].id] = i;
  // Reprocessing before the last forgotten session's end cannot clear anything that follows.
  std::erase_if(pen.reprocessings, [&](const ReprocessingFact& f) { return f.ts <= last_end; });
  std::erase_if(pen.cartridge_changes, [&](const CartridgeChange& c) { return c.ts < cut; });
  rederive_pen(pen, run, "compaction");
}

void Engine::Impl::compact_cycles(Timestamp cut) {
  for (auto& [id, dev] : devices) {
    std::erase_if(dev.cycles, [&](const std::string& key) {
      const CycleRecord& c = cycles.at(key);
      const bool awaiting_bi = c.cycle.biological_indicator && !c.bi;
      if (c.ts >= cut || awaiting_bi) return false;
      for (const RuleId rule :
           {RuleId::cycle_parameters_insufficient, RuleId::cycle_indicator_failed, RuleId::cycle_bi_positive}) {
        if (alerts.any_active(c.clinic, rule, key)) return false;
      }
      cycles.erase(key);
      return true;
    });
  }
  std::erase_if(cycles, [&](const auto& entry) { return entry.second.sterilizer.empty() && entry.second.ts < cut; });
}

void Engine::Impl::compact_cartridges(ClinicRecord& clinic_record, const ClinicId& clinic_id, Timestamp cut) {
  const auto today = protocol::utc_date(cut);
  std::erase_if(clinic_record.retired_cartridges, [&](const auto& entry) { return entry.second.expires < today; });
  std::erase_if(clinic_record.cartridges, [&](const auto& entry) {
    const CartridgeRecord& c = entry.second;
    if (c.uses.empty() || c.uses.back().ts >= cut) return false;
    for (const RuleId rule : {RuleId::cartridge_reused, RuleId::cartridge_expired, RuleId::cartridge_overused}) {
      if (alerts.any_active(clinic_id, rule, entry.first.str())) return false;
    }
    if (c.spec.expires >= today) {
      clinic_record.retired_cartridges[cartridge_hash(entry.first)] = {c.uses.front().ts, c.spec.expires};
    }
    return true;
  });
}

// The registry entry for a cartridge, with a stand-in for its use before the horizon if it was retired.
CartridgeRecord& Engine::Impl::cartridge_record(const ClinicId& clinic_id, const protocol::Cartridge& spec) {
  ClinicRecord& c = clinic(clinic_id);
  auto [it, inserted] = c.cartridges.try_emplace(spec.id, CartridgeRecord{clinic_id, spec, {}});
  if (inserted) {
    if (const auto retired = c.retired_cartridges.find(cartridge_hash(spec.id));
        retired != c.retired_cartridges.end()) {
      it->second.uses.push_back(CartridgeUse{retired->second.first_use, DeviceId{"(before the retention horizon)"},
                                             protocol::SessionId{"(compacted)"}, "retired:" + spec.id.str()});
      c.retired_cartridges.erase(retired);
    }
  }
  return it->second;
}

void Engine::compact(Timestamp cut) {
  impl_->all_changed = true;
  impl_->compact(cut);
}

}  // namespace sterifleet::engine
