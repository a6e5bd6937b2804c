#include "reprocessing.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "device.hpp"
#include "pen.hpp"

namespace sterifleet::sim {

namespace {

using protocol::Method;

Ms load_duration(World& world, Method method) {
  switch (method) {
    case Method::steam_prevac:
      return world.jitter(minutes{32}, minutes{40});
    case Method::steam_gravity:
      return world.jitter(minutes{55}, minutes{65});
    default:
      return world.jitter(minutes{90}, minutes{100});
  }
}

Ms longest_load(Method method) {
  return method == Method::steam_prevac ? minutes{40} : method == Method::steam_gravity ? minutes{65} : minutes{100};
}

Timestamp horizon(const World& world, const Clinic& clinic) {
  return clinic.closing ? clinic.next_open + hours{3} : world.now + hours{3};
}

/// Shelf life: a clean, unused pen whose sterility would lapse before the horizon is reprocessed again.
bool needs_refresh(const World& world, const Clinic& clinic, const PenState& pen) {
  if (world.config.shelf_life.count() == 0 || pen.let_expire || !pen.last_valid) return false;
  if (pen.last_session_start && *pen.last_session_start > pen.last_valid->ts) return false;
  return pen.last_valid->ts + world.config.shelf_life < horizon(world, clinic);
}

bool urgent(const World& world, const Clinic& clinic, const PenState& pen) {
  return pen.needs_initial || pen.recalled || needs_refresh(world, clinic, pen);
}

std::vector<std::size_t> pens_to_load(World& world, Clinic& clinic) {
  std::vector<std::size_t> out;
  for (const auto index : clinic.pens) {
    const auto& pen = *world.devices[index].pen;
    if (pen.activity != PenState::Activity::idle) continue;
    if (needs_reprocessing(pen) || needs_refresh(world, clinic, pen)) out.push_back(index);
  }
  std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) {
    const auto& pa = *world.devices[a].pen;
    const auto& pb = *world.devices[b].pen;
    const bool ua = urgent(world, clinic, pa);
    const bool ub = urgent(world, clinic, pb);
    if (ua != ub) return ua;
    return pa.waiting_since < pb.waiting_since;
  });
  return out;
}

bool can_load(const World& world, const Device& device) {
  const auto& ster = *device.sterilizer;
  if (!device.powered || device.dropped || device.shutdown_pending || ster.busy || world.ending) return false;
  const auto today = world.today();
  if (ster.method == Method::steam_prevac && ster.bd_passed != today && ster.test_skipped != today) return false;
  // Never let a cycle finish on the next UTC day: it would be that day's first, before its Bowie-Dick test.
  return world.now + longest_load(ster.method) < midnight(today) + hours{23} + minutes{30};
}

protocol::CycleComplete cycle_body(World& world, const Device& device, std::optional<Rule> injection) {
  protocol::CycleComplete cycle;
  cycle.method = device.sterilizer->method;
  cycle.wrapped = true;
  auto& rng = world.rng;
  switch (cycle.method) {
    case Method::steam_prevac:  // 134 °C, 4 min (CDC: 132 °C, 4 min wrapped)
      cycle.temperature = protocol::Celsius{round1(134.0 + rng.uniform_real(0.0, 0.8))};
      cycle.exposure = seconds{240 + rng.uniform_int(0, 60)};
      cycle.pressure = protocol::Kilopascals{round1(304.0 + rng.uniform_real(0.0, 6.0))};
      break;
    case Method::steam_gravity:  // 121 °C, 30 min wrapped
      cycle.temperature = protocol::Celsius{round1(121.0 + rng.uniform_real(0.0, 0.9))};
      cycle.exposure = seconds{1800 + rng.uniform_int(0, 120)};
      cycle.pressure = protocol::Kilopascals{round1(205.0 + rng.uniform_real(0.0, 5.0))};
      break;
    default:  // dry heat 170 °C, 60 min
      cycle.temperature = protocol::Celsius{round1(170.0 + rng.uniform_real(0.0, 2.0))};
      cycle.exposure = seconds{3600 + rng.uniform_int(0, 300)};
  }
  if (injection == Rule::cycle_indicator_failed) cycle.chemical_indicator = protocol::PassFail::fail;
  if (injection == Rule::cycle_parameters_insufficient) {
    if (rng.chance(0.25)) {  // an alcohol wipe-down entered as a chemical cycle: never high-level disinfection
      cycle.method = Method::chemical;
      cycle.wrapped = false;
      cycle.temperature = protocol::Celsius{22.0};
      cycle.exposure = seconds{600};
      cycle.pressure.reset();
      cycle.chemical = protocol::ChemicalExposure{protocol::AgentId{"isopropyl_alcohol"}, protocol::Percent{70.0}};
    } else if (cycle.method == Method::steam_prevac) {
      cycle.exposure = seconds{180};  // interrupted cycle
    } else if (cycle.method == Method::steam_gravity) {
      cycle.exposure = seconds{1500};
    } else {
      cycle.exposure = seconds{2700};
    }
  }
  return cycle;
}

std::string subject_of(const Device& device, const std::string& cycle) { return device.id.str() + "/" + cycle; }

void recall(World& world, Clinic& clinic, std::size_t sterilizer, Timestamp positive_cycle) {
  for (const auto index : clinic.pens) {
    auto& pen = *world.devices[index].pen;
    if (pen.last_valid && pen.last_valid->sterilizer == sterilizer && pen.last_valid->ts <= positive_cycle) {
      pen.recalled = true;
      pen.waiting_since = world.now;
    }
  }
}

void read_bi(World& world, std::size_t index, PendingBi bi) {
  Device& device = world.devices[index];
  if (!device.powered || device.dropped) {
    world.at(world.now + minutes{15}, [&world, index, bi] { read_bi(world, index, bi); });
    return;
  }
  const auto result = bi.positive ? protocol::BiReading::positive : protocol::BiReading::negative;
  send(world, device, protocol::BiResult{protocol::CycleId{bi.cycle}, result});
  if (bi.positive) {
    world.violations.record(Rule::cycle_bi_positive, device.clinic.str(), device.id.str(), subject_of(device, bi.cycle),
                            world.now);
    recall(world, world.clinics[device.clinic_index], index, bi.cycle_ts);
  }
}

void bowie_dick(World& world, std::size_t index, bool may_fail) {
  Device& device = world.devices[index];
  auto& ster = *device.sterilizer;
  if (!device.powered) return;
  if (device.dropped) {
    world.at(device.drop_until + seconds{30}, [&world, index, may_fail] { bowie_dick(world, index, may_fail); });
    return;
  }
  if (may_fail && world.violations.want_once(Rule::daily_test_failed, device.id.str(), world.opportunity(device))) {
    send(world, device, protocol::BowieDickTest{protocol::PassFail::fail});
    world.violations.record(Rule::daily_test_failed, device.clinic.str(), device.id.str(), device.id.str(), world.now);
    // Re-test before the first load.
    world.at(world.now + world.jitter(minutes{20}, minutes{30}), [&world, index] { bowie_dick(world, index, false); });
    return;
  }
  send(world, device, protocol::BowieDickTest{protocol::PassFail::pass});
  ster.bd_passed = world.today();
  ster.busy = false;
}

struct Load {
  std::size_t sterilizer = 0;
  std::string cycle;
  std::vector<std::size_t> pens;
  bool bi = false;
  bool bi_positive = false;
  bool first_without_test = false;
  std::optional<Rule> injection;
};

void release_expiry(World& world, std::size_t index) {
  auto& pen = *world.devices[index].pen;
  pen.let_expire = false;
  pen.waiting_since = world.now;
}

void mark_reprocessed(World& world, Device& pen_device, const Load& load) {
  auto& pen = *pen_device.pen;
  pen.last_valid = Reprocessing{world.now, load.sterilizer, load.cycle};
  pen.recalled = false;
  pen.needs_initial = false;
  pen.skip_reprocessing = false;
  pen.unavailable_until = std::max(pen.unavailable_until, world.now + world.jitter(minutes{5}, minutes{15}));
  if (world.config.shelf_life.count() > 0 &&
      world.violations.want_once(Rule::sterility_expired, pen_device.id.str(), world.opportunity(pen_device))) {
    pen.let_expire = true;  // stays on the shelf past its shelf life, then goes back to the sterilizer
    const auto deadline = world.now + world.config.shelf_life;
    world.clinics[pen_device.clinic_index].pending_expiry.push_back({pen_device.index, world.now, deadline});
    const auto index = pen_device.index;
    world.at(deadline + minutes{10}, [&world, index] { release_expiry(world, index); });
  }
}

void complete_load(World& world, const Load& load) {
  Device& device = world.devices[load.sterilizer];
  auto body = cycle_body(world, device, load.injection);
  body.cycle = protocol::CycleId{load.cycle};
  body.biological_indicator = load.bi;
  for (const auto index : load.pens) body.load.push_back(world.devices[index].id);
  const auto& operators = world.clinics[device.clinic_index].operators;
  body.operator_id = operators[world.rng.index(operators.size())].id;
  send(world, device, body);
  if (load.injection) {
    world.violations.record(*load.injection, device.clinic.str(), device.id.str(), subject_of(device, load.cycle),
                            world.now);
  }
  for (const auto index : load.pens) {
    Device& pen_device = world.devices[index];
    update_battery(world, *pen_device.pen);
    pen_device.pen->activity = PenState::Activity::idle;
    if (load.injection) {
      pen_device.pen->waiting_since = Timestamp{};  // first in the next load
    } else {
      mark_reprocessed(world, pen_device, load);
    }
  }
  auto& ster = *device.sterilizer;
  ster.busy = false;
  if (load.bi) {
    const PendingBi bi{load.cycle, world.now, load.bi_positive};
    const auto index = load.sterilizer;
    world.at(world.now + hours{24} + world.jitter(Ms{0}, minutes{30}),
             [&world, index, bi] { read_bi(world, index, bi); });
  }
  if (load.first_without_test) {
    world.violations.record(Rule::daily_test_missing, device.clinic.str(), device.id.str(), device.id.str(), world.now);
    ster.busy = true;  // the clinic notices and runs the test now
    const auto index = load.sterilizer;
    world.at(world.now + world.jitter(minutes{20}, minutes{28}), [&world, index] { bowie_dick(world, index, false); });
  }
}

void start_load(World& world, Device& device, std::vector<std::size_t> pens) {
  auto& ster = *device.sterilizer;
  const auto today = world.today();
  Load load;
  load.sterilizer = device.index;
  load.cycle = fmt::format("CYC-{}-{:04}", device.boot, ++ster.cycles);
  load.pens = std::move(pens);
  load.first_without_test = ster.method == Method::steam_prevac && ster.loaded != today && ster.test_skipped == today;
  ster.loaded = today;
  const auto opportunity = world.opportunity(device);
  if (ster.bi_loaded != today) {  // the day's first load carries the biological indicator
    load.bi = true;
    ster.bi_loaded = today;
    load.bi_positive = world.violations.want(Rule::cycle_bi_positive, opportunity);
  } else if (world.violations.want(Rule::cycle_parameters_insufficient, opportunity)) {
    load.injection = Rule::cycle_parameters_insufficient;
  } else if (world.violations.want(Rule::cycle_indicator_failed, opportunity)) {
    load.injection = Rule::cycle_indicator_failed;
  }
  for (const auto index : load.pens) {
    auto& pen = *world.devices[index].pen;
    update_battery(world, pen);
    pen.activity = PenState::Activity::in_load;
  }
  ster.busy = true;
  world.at(world.now + load_duration(world, ster.method), [&world, load] { complete_load(world, load); });
}

}  // namespace

bool needs_reprocessing(const PenState& pen) {
  if (pen.needs_initial || pen.recalled) return true;
  if (!pen.last_session_end || pen.skip_reprocessing) return false;
  return !pen.last_valid || pen.last_valid->ts <= *pen.last_session_end;
}

void power_up_sterilizer(World& world, Device& device) {
  power_up(world, device);
  send_birth(world, device);
  auto& ster = *device.sterilizer;
  ster.busy = false;
  if (ster.method != Method::steam_prevac) return;
  if (world.violations.want_once(Rule::daily_test_missing, device.id.str(), world.opportunity(device))) {
    ster.test_skipped = world.today();  // forgotten this morning
    return;
  }
  ster.busy = true;  // the test runs in the empty chamber
  const auto index = device.index;
  world.at(world.now + world.jitter(minutes{18}, minutes{28}), [&world, index] { bowie_dick(world, index, true); });
}

void run_loads(World& world, Clinic& clinic) {
  for (const auto index : clinic.sterilizers) {
    Device& device = world.devices[index];
    if (!can_load(world, device)) continue;
    auto pens = pens_to_load(world, clinic);
    if (pens.empty()) return;
    const auto& first = *world.devices[pens.front()].pen;
    // Batch pens, but do not let one wait long: a pen in the sterilizer is a pen nobody can use.
    const auto batch = std::clamp<std::size_t>(clinic.pens.size() / 2, 2, 4);
    const bool due = pens.size() >= batch || clinic.closing || urgent(world, clinic, first) ||
                     world.now - first.waiting_since >= minutes{30};
    if (!due) return;
    if (pens.size() > device.sterilizer->capacity) pens.resize(device.sterilizer->capacity);
    start_load(world, device, std::move(pens));
  }
}

bool loads_pending(World& world, Clinic& clinic) {
  if (pens_to_load(world, clinic).empty()) return false;
  return std::any_of(clinic.sterilizers.begin(), clinic.sterilizers.end(), [&](std::size_t index) {
    const Device& device = world.devices[index];
    const auto& ster = *device.sterilizer;
    // Busy, dropped or still testing counts as "could still take it": the day is not over yet.
    return device.powered && (ster.busy || device.dropped || can_load(world, device));
  });
}

}  // namespace sterifleet::sim
