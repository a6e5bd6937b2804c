#include "clinic.hpp"

#include <array>
#include <string>

#include "device.hpp"
#include "pen.hpp"
#include "reprocessing.hpp"
#include "session.hpp"

namespace sterifleet::sim {

namespace {

constexpr minutes tick_period{5};

struct FaultKind {
  const char* code;
  const char* detail;
};
constexpr std::array<FaultKind, 4> pen_faults{{{"E17", "motor current high at 110 Hz"},
                                               {"W02", "battery temperature high"},
                                               {"E09", "needle depth encoder glitch"},
                                               {"W05", "cartridge contact intermittent"}}};
constexpr std::array<FaultKind, 4> sterilizer_faults{{{"E05", "door seal pressure low"},
                                                      {"W11", "water reservoir low"},
                                                      {"W14", "printer out of paper"},
                                                      {"E21", "drying phase extended"}}};

void tick(World& world, std::size_t clinic_index);

void shutdown_device(World& world, std::size_t index) {
  Device& device = world.devices[index];
  if (!device.powered || world.ending) return;
  const bool busy_pen = device.pen && (device.pen->activity == PenState::Activity::reserved ||
                                       device.pen->activity == PenState::Activity::in_session);
  if (device.dropped || busy_pen) {  // come back (or finish) first
    const auto when = device.dropped ? device.drop_until + seconds{5} : world.now + minutes{5};
    world.at(when, [&world, index] { shutdown_device(world, index); });
    return;
  }
  shut_down(world, device);
}

void schedule_shutdown(World& world, Device& device, Ms lo, Ms hi) {
  if (!device.powered || device.shutdown_pending) return;
  device.shutdown_pending = true;
  const auto index = device.index;
  world.at(world.now + world.jitter(lo, hi), [&world, index] { shutdown_device(world, index); });
}

void reconnect_device(World& world, std::size_t index) {
  Device& device = world.devices[index];
  if (device.powered && device.dropped) reconnect(world, device);
}

/// A short, unexpected connection loss; or, when injected, one long enough for device.offline.
void connectivity_event(World& world, std::size_t index, bool short_drop) {
  Device& device = world.devices[index];
  const Clinic& clinic = world.clinics[device.clinic_index];
  if (!device.powered || device.dropped || device.shutdown_pending || !clinic.open || world.ending) return;
  if (device.sterilizer && device.sterilizer->busy) return;  // its cycle must not reach the daemon late
  const auto hb = std::chrono::duration_cast<Ms>(world.heartbeat_at(world.now));
  const double speed = world.speed_at(world.now);
  if (device.role == Role::pen &&
      world.violations.want_once(Rule::device_offline, device.id.str(), world.opportunity(device))) {
    // Silent for 2.5 heartbeats of wall time; 10 simulated minutes keep the others' telemetry frequent.
    const auto until = world.now + seconds{600} + world.jitter(Ms{0}, seconds{60});
    world.violations.record(Rule::device_offline, device.clinic.str(), device.id.str(), device.id.str(), world.now);
    drop(world, device, until, hb * 5 / 2);
    world.at(until, [&world, index] { reconnect_device(world, index); });
    return;
  }
  if (!short_drop) return;
  // Away well under the heartbeat in wall time: at most 0.4 heartbeat at the nominal speed.
  auto longest = seconds{90};
  if (speed > 0.0) {
    const auto bound = static_cast<std::int64_t>(0.4 * static_cast<double>(hb.count()) / 1000.0 * speed);
    longest = std::clamp(seconds{bound}, seconds{50}, seconds{90});
  }
  const auto until = world.now + world.jitter(seconds{50}, longest);
  drop(world, device, until, hb * 15 / 100);
  world.at(until, [&world, index] { reconnect_device(world, index); });
}

void fault_event(World& world, std::size_t index) {
  Device& device = world.devices[index];
  if (!device.powered) return;
  const auto& kinds = device.sterilizer ? sterilizer_faults : pen_faults;
  const auto& kind = kinds[world.rng.index(kinds.size())];
  send_fault(world, device, kind.code, kind.detail);
}

void identity_event(World& world, std::size_t index) {
  Device& device = world.devices[index];
  if (!device.powered) return;
  const auto opportunity = world.opportunity(device);
  auto& pen = *device.pen;
  if (world.violations.want_once(Rule::identity_mismatch, device.id.str(), opportunity)) pen.mismatch_next = true;
  if (world.violations.want_once(Rule::sequence_gap, device.id.str(), opportunity)) pen.withhold_next = true;
}

void power_up_device(World& world, std::size_t index) {
  Device& device = world.devices[index];
  if (device.powered || world.ending) return;
  world.clinics[device.clinic_index].day_active = true;
  if (device.sterilizer) {
    power_up_sterilizer(world, device);
  } else {
    power_up_pen(world, device, true);
  }
}

void power_up_spare(World& world, std::size_t index, bool announce) {
  Device& device = world.devices[index];
  if (device.powered || world.ending) return;
  power_up_pen(world, device, announce);
  if (!announce) {
    world.violations.record(Rule::device_unknown, device.clinic.str(), device.id.str(), device.id.str(), world.now);
  }
}

void open_clinic(World& world, std::size_t clinic_index) {
  Clinic& clinic = world.clinics[clinic_index];
  if (world.ending) return;
  clinic.day_active = true;
  clinic.open = true;
  clinic.closing = false;
  world.at(world.now + minutes{10}, [&world, clinic_index] { tick(world, clinic_index); });
}

Timestamp random_time(World& world, Timestamp from, Timestamp to) {
  if (to <= from) return from;
  return from + Ms{world.rng.uniform_int(0, (to - from).count())};
}

void schedule_extras(World& world, Clinic& clinic, Timestamp from, Timestamp to) {
  auto each = [&](std::size_t index) {
    const Device& device = world.devices[index];
    if (world.rng.chance(0.3)) world.at(random_time(world, from, to), [&world, index] { fault_event(world, index); });
    const bool short_drop = world.rng.chance(device.sterilizer ? 0.2 : 0.3);
    world.at(random_time(world, from, to),
             [&world, index, short_drop] { connectivity_event(world, index, short_drop); });
    if (device.role == Role::pen) {
      world.at(random_time(world, from, to), [&world, index] { identity_event(world, index); });
    }
  };
  for (const auto index : clinic.sterilizers) each(index);
  for (const auto index : clinic.pens) each(index);
}

void plan_day(World& world, std::size_t clinic_index, protocol::Date day) {
  Clinic& clinic = world.clinics[clinic_index];
  const auto midnight_today = midnight(day);
  const auto next_day = protocol::Date{std::chrono::sys_days{day} + std::chrono::days{1}};
  if (midnight(next_day) < world.end) {
    world.at(midnight(next_day) + minutes{1},
             [&world, clinic_index, next_day] { plan_day(world, clinic_index, next_day); });
  }
  auto open = midnight_today + hours{7} + minutes{30} + world.jitter(Ms{0}, minutes{20});
  auto last = midnight_today + hours{17} + minutes{45} + world.jitter(Ms{0}, minutes{30});
  last = std::min(last, world.end - hours{2});
  open = std::max(open, world.now + minutes{11});
  if (last - open < hours{1}) return;  // too little of this day is simulated
  clinic.last_session_by = last;
  clinic.next_open = midnight(next_day) + hours{7} + minutes{50};

  for (const auto index : clinic.sterilizers) {
    world.at(open - world.jitter(Ms{0}, minutes{10}), [&world, index] { power_up_device(world, index); });
  }
  for (const auto index : clinic.pens) {
    world.at(open + world.jitter(Ms{0}, minutes{15}), [&world, index] { power_up_device(world, index); });
  }
  const auto spare = clinic.spare;
  const auto spare_at = open + world.jitter(minutes{20}, minutes{60});
  if (clinic.spare_known) {
    world.at(spare_at, [&world, spare] { power_up_spare(world, spare, true); });
  } else if (world.violations.want_once(Rule::device_unknown, world.devices[spare].id.str(),
                                        world.opportunity(world.devices[spare]))) {
    clinic.spare_known = true;  // from tomorrow it announces itself
    world.at(spare_at, [&world, spare] { power_up_spare(world, spare, false); });
  }
  world.at(open, [&world, clinic_index] { open_clinic(world, clinic_index); });
  schedule_extras(world, clinic, open + hours{1}, last - hours{1});
}

void begin_closing(Clinic& clinic) {
  clinic.open = false;
  clinic.closing = true;
}

void finish_day_if_done(World& world, Clinic& clinic) {
  for (const auto index : clinic.pens) {
    if (world.devices[index].pen->activity != PenState::Activity::idle) return;
  }
  for (const auto index : clinic.sterilizers) {
    if (world.devices[index].sterilizer->busy) return;
  }
  if (loads_pending(world, clinic)) return;
  for (const auto index : clinic.sterilizers) schedule_shutdown(world, world.devices[index], minutes{5}, minutes{15});
  clinic.closing = false;
  clinic.day_active = false;
}

void tick(World& world, std::size_t clinic_index) {
  Clinic& clinic = world.clinics[clinic_index];
  if (!clinic.day_active || world.ending) return;
  if (clinic.open && world.now >= clinic.last_session_by) begin_closing(clinic);
  if (clinic.open) {
    for (std::size_t op = 0; op < clinic.operators.size(); ++op) {
      if (clinic.operators[op].busy || !world.rng.chance(0.7)) continue;  // a patient is waiting
      clinic.operators[op].busy = true;
      world.at(world.now + world.jitter(Ms{0}, minutes{4}),
               [&world, clinic_index, op] { begin_session(world, clinic_index, op); });
    }
  }
  run_loads(world, clinic);
  if (clinic.closing) {
    for (const auto index : clinic.pens) {
      const auto& pen = *world.devices[index].pen;
      if (pen.activity == PenState::Activity::idle || pen.activity == PenState::Activity::in_load) {
        schedule_shutdown(world, world.devices[index], Ms{0}, minutes{5});
      }
    }
    schedule_shutdown(world, world.devices[clinic.spare], Ms{0}, minutes{5});
    finish_day_if_done(world, clinic);
  }
  if (clinic.day_active) world.at(world.now + tick_period, [&world, clinic_index] { tick(world, clinic_index); });
}

void wind_down_device(World& world, std::size_t index) {
  Device& device = world.devices[index];
  if (!device.powered) return;
  if (device.dropped) reconnect(world, device);
  shut_down(world, device);
}

/// After the fast-forwarded period, time runs at speed 1: pens announce the longer heartbeat.
void announce_follow_heartbeat(World& world) {
  for (auto& device : world.devices) {
    if (device.powered && device.declared_heartbeat) send_birth(world, device);
  }
}

}  // namespace

void start_clinics(World& world) {
  for (std::size_t c = 0; c < world.clinics.size(); ++c) {
    const auto day = world.today();
    world.at(world.now, [&world, c, day] { plan_day(world, c, day); });
  }
  if (world.config.follow) {
    world.at(world.config.end, [&world] { announce_follow_heartbeat(world); });
  } else {
    world.at(world.end, [&world] { wind_down(world); });
  }
}

void wind_down(World& world) {
  if (world.ending) return;
  world.ending = true;
  world.events.clear();
  for (auto& device : world.devices) {
    if (!device.powered) continue;
    if (device.pen) abort_session(world, device);
    const auto index = device.index;
    if (device.dropped) {
      world.at(device.drop_until, [&world, index] { wind_down_device(world, index); });
    } else {
      wind_down_device(world, index);
    }
  }
}

}  // namespace sterifleet::sim
