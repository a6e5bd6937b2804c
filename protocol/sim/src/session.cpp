#include "session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "device.hpp"
#include "pen.hpp"
#include "reprocessing.hpp"

namespace sterifleet::sim {

namespace {

using protocol::TreatmentArea;

struct AreaLimit {
  TreatmentArea area;
  double limit_mm;  ///< default policy limit (daemon/engine/README.md)
  int weight;
};

constexpr std::array<AreaLimit, 10> areas{{{TreatmentArea::cheek, 1.5, 6},
                                           {TreatmentArea::forehead, 0.5, 3},
                                           {TreatmentArea::periorbital, 0.5, 1},
                                           {TreatmentArea::nose, 0.5, 1},
                                           {TreatmentArea::perioral, 1.0, 2},
                                           {TreatmentArea::neck, 0.5, 2},
                                           {TreatmentArea::decolletage, 0.5, 1},
                                           {TreatmentArea::scalp, 1.0, 2},
                                           {TreatmentArea::hands, 0.5, 1},
                                           {TreatmentArea::body, 2.0, 2}}};

constexpr double strictest_limit_mm = 0.5;

const AreaLimit& pick_area(Rng& rng) {
  int total = 0;
  for (const auto& a : areas) total += a.weight;
  auto draw = rng.uniform_int(1, total);
  for (const auto& a : areas) {
    draw -= a.weight;
    if (draw <= 0) return a;
  }
  return areas.front();
}

std::string compact(const std::string& id) {
  std::string out;
  for (const char c : id) {
    if (c != '-') out += c;
  }
  return out;
}

std::string hex(Rng& rng, int digits) {
  static constexpr char alphabet[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < digits; ++i) out += alphabet[rng.uniform_int(0, 15)];
  return out;
}

protocol::Cartridge fresh_cartridge(World& world, Device& device) {
  auto& pen = *device.pen;
  ++pen.cartridges;
  const auto serial = fmt::format("-{}-{:04}", device.boot, pen.cartridges);
  const auto today = std::chrono::sys_days{world.today()};
  const protocol::Date made{today - std::chrono::days{world.rng.uniform_int(30, 200)}};
  const auto lot =
      fmt::format("L{:02}{:02}{}", static_cast<int>(made.year()) % 100, static_cast<unsigned>(made.month()),
                  static_cast<char>('A' + world.rng.uniform_int(0, 5)));
  protocol::Cartridge cartridge;
  cartridge.id = protocol::CartridgeId{"CRT-" + compact(device.id.str()) + serial};
  cartridge.lot = protocol::LotId{lot};
  cartridge.expires = protocol::Date{today + std::chrono::days{world.rng.uniform_int(180, 720)}};
  cartridge.needles = static_cast<int>(std::array{12, 16, 24, 36}[world.rng.index(4)]);
  cartridge.max_strokes = std::array<std::int64_t, 3>{300'000, 400'000, 500'000}[world.rng.index(3)];
  cartridge.max_runtime = seconds{3600};
  return cartridge;
}

bool ready_for_session(const World& world, const Device& device) {
  const auto& pen = *device.pen;
  if (!device.powered || device.dropped || device.locked || device.shutdown_pending) return false;
  if (pen.activity != PenState::Activity::idle || pen.let_expire || world.now < pen.unavailable_until) return false;
  if (pen.battery < 40.0 || needs_reprocessing(pen)) return false;
  if (world.config.shelf_life.count() > 0 && pen.last_valid &&
      pen.last_valid->ts + world.config.shelf_life < world.now + minutes{15}) {
    return false;
  }
  return true;
}

/// The ready pen that has waited longest since its reprocessing.
Device* choose_pen(World& world, Clinic& clinic) {
  Device* best = nullptr;
  for (const auto index : clinic.pens) {
    Device& device = world.devices[index];
    if (!ready_for_session(world, device)) continue;
    const auto since = device.pen->last_valid ? device.pen->last_valid->ts : Timestamp{};
    if (best == nullptr || since < (best->pen->last_valid ? best->pen->last_valid->ts : Timestamp{})) best = &device;
  }
  return best;
}

void free_operator(World& world, std::size_t clinic, std::size_t op, Ms after) {
  world.at(world.now + after, [&world, clinic, op] { world.clinics[clinic].operators[op].busy = false; });
}

/// Motor run time and strokes follow from the session's length, speed and duty cycle.
void set_motor_work(World& world, Session& session) {
  const double duty = world.rng.uniform_real(0.6, 0.9);
  const double seconds_planned = static_cast<double>(session.planned_duration.count()) / 1000.0;
  session.runtime_s = std::llround(seconds_planned * duty);
  session.strokes = std::llround(static_cast<double>(session.runtime_s) * session.start.speed.value *
                                 world.rng.uniform_real(0.85, 0.98));
}

/// At most one violation per session (none on a pen that already skipped its reprocessing).
void inject(World& world, Device& device, Session& session, const AreaLimit& area) {
  auto& pen = *device.pen;
  auto& start = session.start;
  if (pen.skip_reprocessing) return;
  const auto opportunity = world.opportunity(device);
  auto& violations = world.violations;
  if (pen.reusable && violations.want(Rule::cartridge_reused, opportunity)) {
    start.cartridge = *pen.reusable;  // the practitioner re-mounts a used cartridge
    pen.reusable.reset();
    session.injection = Rule::cartridge_reused;
  } else if (violations.want(Rule::cartridge_expired, opportunity)) {
    const auto today = std::chrono::sys_days{world.today()};
    start.cartridge.expires = protocol::Date{today - std::chrono::days{world.rng.uniform_int(1, 60)}};
    session.injection = Rule::cartridge_expired;
    session.planned_duration = world.jitter(seconds{60}, seconds{180});  // noticed, stopped, removed
    set_motor_work(world, session);
  } else if (violations.want(Rule::cartridge_overused, opportunity)) {
    start.cartridge.max_strokes = std::max<std::int64_t>(1, session.strokes * 7 / 10);  // a low-rated cartridge
    session.injection = Rule::cartridge_overused;
  } else if (violations.want(Rule::depth_exceeds_policy, opportunity)) {
    start.depth =
        protocol::Millimetres{std::min(3.0, area.limit_mm + 0.25 * static_cast<double>(world.rng.uniform_int(1, 2)))};
    session.injection = Rule::depth_exceeds_policy;
  } else if (violations.want_once(Rule::protocol_drift, device.id.str(), opportunity)) {
    // The pen maker's own name for an area: accepted, and held to the strictest depth limit.
    start.area = protocol::Listed<protocol::TreatmentArea>::other("face");
    start.depth = protocol::Millimetres{std::min(start.depth.value, strictest_limit_mm)};
    session.injection = Rule::protocol_drift;
  } else if (violations.want_once(Rule::event_rejected, device.id.str(), opportunity)) {
    session.injection = Rule::event_rejected;  // sent with an expiry date the daemon cannot read
  }
}

void plan(World& world, Device& device, Session& session) {
  const auto& area = pick_area(world.rng);
  auto& start = session.start;
  start.area = area.area;
  start.depth =
      protocol::Millimetres{0.25 * static_cast<double>(world.rng.uniform_int(1, std::llround(area.limit_mm / 0.25)))};
  start.speed = protocol::Hertz{80.0 + 5.0 * static_cast<double>(world.rng.uniform_int(0, 6))};
  start.patient = protocol::PatientRef{"pt-" + hex(world.rng, 6)};
  session.planned_duration = world.jitter(minutes{20}, minutes{45});
  set_motor_work(world, session);
  start.cartridge = fresh_cartridge(world, device);
  inject(world, device, session, area);
}

void remove_cartridge(World& world, std::size_t index, bool ending);

void end_session(World& world, std::size_t index, bool ending) {
  Device& device = world.devices[index];
  auto& pen = *device.pen;
  auto& session = *pen.session;
  update_battery(world, pen);
  const double done = std::clamp(static_cast<double>((world.now - session.started).count()) /
                                     static_cast<double>(std::max<Ms::rep>(1, session.planned_duration.count())),
                                 0.0, 1.0);
  protocol::SessionEnd end;
  end.session = session.start.session;
  end.runtime = seconds{std::llround(static_cast<double>(session.runtime_s) * done)};
  end.strokes = std::llround(static_cast<double>(session.strokes) * done);
  send(world, device, end);
  pen.motor_runtime_s += static_cast<double>(end.runtime.count());
  pen.motor_strokes += static_cast<double>(end.strokes);
  pen.activity = PenState::Activity::reserved;  // cartridge still mounted
  pen.last_session_end = world.now;
  if (session.injection == Rule::cartridge_overused && end.strokes > session.start.cartridge.max_strokes) {
    world.violations.record(Rule::cartridge_overused, device.clinic.str(), device.id.str(),
                            session.start.cartridge.id.str(), world.now);
  }
  if (ending) {
    remove_cartridge(world, index, true);
    return;
  }
  world.at(world.now + world.jitter(seconds{15}, seconds{60}),
           [&world, index] { remove_cartridge(world, index, false); });
}

void remove_cartridge(World& world, std::size_t index, bool ending) {
  Device& device = world.devices[index];
  auto& pen = *device.pen;
  const Session session = *pen.session;
  send(world, device, protocol::CartridgeRemove{session.start.cartridge.id});
  pen.session.reset();
  pen.activity = PenState::Activity::idle;
  pen.waiting_since = world.now;
  if (!session.started_on_wire) {
    if (session.injection == Rule::cartridge_reused) pen.reusable = session.start.cartridge;  // still a candidate
  } else if (!session.injection) {
    pen.reusable = session.start.cartridge;
  }
  if (ending) return;
  if (session.started_on_wire &&
      world.violations.want_once(Rule::used_without_reprocessing, device.id.str(), world.opportunity(device))) {
    pen.skip_reprocessing = true;  // put straight back on the tray
  }
  free_operator(world, device.clinic_index, session.operator_index, world.jitter(minutes{5}, minutes{20}));
}

void start_session(World& world, std::size_t index) {
  Device& device = world.devices[index];
  auto& pen = *device.pen;
  auto& session = *pen.session;
  const bool dropped_matters = device.dropped && world.config.shelf_life.count() > 0;
  if (!device.powered || device.locked || needs_reprocessing(pen) || world.ending || dropped_matters) {
    remove_cartridge(world, index, false);  // locked, recalled meanwhile, ...: another pen later
    return;
  }
  update_battery(world, pen);
  const bool violation = pen.last_session_end && (!pen.last_valid || pen.last_valid->ts < *pen.last_session_end);
  if (violation) {
    world.violations.record(Rule::used_without_reprocessing, device.clinic.str(), device.id.str(), device.id.str(),
                            world.now);
  }
  pen.skip_reprocessing = false;
  if (session.injection == Rule::event_rejected) {
    // A firmware writing the expiry as printed on the pack: the daemon cannot judge this session.
    const auto expires = protocol::format_date(session.start.cartridge.expires);
    send_rewritten(world, device, session.start, "\"" + expires + "\"",
                   '"' + expires.substr(5, 2) + "/" + expires.substr(0, 4) + "\"");
  } else {
    send(world, device, session.start);
  }
  session.started_on_wire = true;
  session.started = world.now;
  if (session.injection && session.injection != Rule::cartridge_overused) {
    std::string subject = session.start.cartridge.id.str();
    if (session.injection == Rule::depth_exceeds_policy) subject = device.id.str() + "/" + session.start.session.str();
    if (session.injection == Rule::protocol_drift) subject = device.id.str() + "/body/area";
    if (session.injection == Rule::event_rejected) {
      subject = device.id.str() + "/" + std::to_string(device.boot) + "/" + std::to_string(device.seq);
    }
    world.violations.record(*session.injection, device.clinic.str(), device.id.str(), subject, world.now);
  }
  pen.activity = PenState::Activity::in_session;
  pen.last_session_start = world.now;
  pen.depth = session.start.depth.value;
  pen.speed = session.start.speed.value;
  world.at(world.now + session.planned_duration, [&world, index] { end_session(world, index, false); });
}

}  // namespace

void begin_session(World& world, std::size_t clinic_index, std::size_t op) {
  Clinic& clinic = world.clinics[clinic_index];
  Device* device = clinic.open && !world.ending ? choose_pen(world, clinic) : nullptr;
  if (device == nullptr) {
    clinic.operators[op].busy = false;
    return;
  }
  auto& pen = *device->pen;
  update_battery(world, pen);
  pen.activity = PenState::Activity::reserved;
  ++pen.sessions;
  Session session;
  session.operator_index = op;
  session.start.session = protocol::SessionId{fmt::format("S-{}-{:04}", device->boot, pen.sessions)};
  session.start.operator_id = clinic.operators[op].id;
  plan(world, *device, session);
  pen.session = session;
  send(world, *device, protocol::CartridgeInsert{session.start.cartridge});
  const auto index = device->index;
  world.at(world.now + world.jitter(seconds{20}, seconds{90}), [&world, index] { start_session(world, index); });
}

void abort_session(World& world, Device& device) {
  auto& pen = *device.pen;
  if (!pen.session) return;
  if (pen.activity == PenState::Activity::in_session) {
    end_session(world, device.index, true);
  } else {
    remove_cartridge(world, device.index, true);
  }
}

}  // namespace sterifleet::sim
