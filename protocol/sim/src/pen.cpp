#include "pen.hpp"

#include <algorithm>
#include <cmath>

#include "device.hpp"

namespace sterifleet::sim {

namespace {

constexpr double service_interval_s = 500.0 * 3600.0;
constexpr double service_soon_s = 450.0 * 3600.0;
constexpr double drain_per_hour = 14.0;  // while treating
constexpr double normal_charge_per_hour = 30.0;
constexpr double fast_charge_per_hour = 60.0;

double hours_between(Timestamp from, Timestamp to) {
  return std::chrono::duration<double, std::ratio<3600>>(to - from).count();
}

double session_fraction(const PenState& pen, Timestamp now) {
  if (!pen.session || pen.activity != PenState::Activity::in_session) return 0.0;
  const auto planned = static_cast<double>(pen.session->planned_duration.count());
  if (planned <= 0.0) return 1.0;
  return std::clamp(static_cast<double>((now - pen.session->started).count()) / planned, 0.0, 1.0);
}

/// A telemetry message whose seq is skipped or that names another device must not carry a reading
/// that opens or closes an alert of its own when (if ever) it arrives.
bool uneventful(const PenState& pen, Timestamp now) {
  return pen.battery >= 30.0 && motor_runtime_now(pen, now) < service_soon_s && !pen.record_battery_low &&
         !pen.record_service_due;
}

const Device* other_device(const World& world, const Device& device) {
  for (const auto index : world.clinics[device.clinic_index].pens) {
    if (index != device.index) return &world.devices[index];
  }
  const auto& sterilizers = world.clinics[device.clinic_index].sterilizers;
  return sterilizers.empty() ? nullptr : &world.devices[sterilizers.front()];
}

void record_readings(World& world, Device& device, const protocol::Telemetry& telemetry) {
  auto& pen = *device.pen;
  if (pen.record_battery_low && telemetry.battery.value < 15.0) {
    world.violations.record(Rule::battery_low, device.clinic.str(), device.id.str(), device.id.str(), world.now);
    pen.record_battery_low = false;
  }
  if (pen.record_service_due && static_cast<double>(telemetry.motor_runtime.count()) > service_interval_s) {
    world.violations.record(Rule::service_due, device.clinic.str(), device.id.str(), device.id.str(), world.now);
    pen.record_service_due = false;
  }
}

void telemetry_tick(World& world, std::size_t index, std::uint32_t boot) {
  Device& device = world.devices[index];
  if (!device.powered || device.boot != boot) return;
  auto& pen = *device.pen;
  update_battery(world, pen);
  protocol::Telemetry telemetry;
  telemetry.battery = protocol::Percent{round1(pen.battery)};
  telemetry.motor_runtime = seconds{std::llround(motor_runtime_now(pen, world.now))};
  telemetry.motor_strokes = std::llround(motor_strokes_now(pen, world.now));
  telemetry.depth = protocol::Millimetres{pen.depth};
  telemetry.speed = protocol::Hertz{pen.speed};
  if (pen.session && pen.activity == PenState::Activity::in_session) telemetry.session = pen.session->start.session;

  const Device* other = other_device(world, device);
  if (pen.mismatch_next && other != nullptr && uneventful(pen, world.now)) {
    pen.mismatch_next = false;
    send_misattributed(world, device, *other, telemetry);
    world.violations.record(Rule::identity_mismatch, device.clinic.str(), device.id.str(), device.id.str(), world.now);
  } else if (pen.withhold_next && device.birth_sent && uneventful(pen, world.now)) {
    pen.withhold_next = false;
    send(world, device, telemetry, /*withhold=*/true);
    world.violations.record(Rule::sequence_gap, device.clinic.str(), device.id.str(), device.id.str(), world.now);
  } else {
    record_readings(world, device, telemetry);
    send(world, device, telemetry);
  }
  world.at(world.now + telemetry_period, [&world, index, boot] { telemetry_tick(world, index, boot); });
}

void finish_service(World& world, std::size_t index) {
  auto& pen = *world.devices[index].pen;
  pen.motor_runtime_s = world.rng.uniform_real(0.0, 600.0);  // counter reset by the service technician
}

}  // namespace

double round1(double value) { return std::round(value * 10.0) / 10.0; }

double motor_runtime_now(const PenState& pen, Timestamp now) {
  const double running = pen.session ? static_cast<double>(pen.session->runtime_s) * session_fraction(pen, now) : 0.0;
  return pen.motor_runtime_s + running;
}

double motor_strokes_now(const PenState& pen, Timestamp now) {
  const double running = pen.session ? static_cast<double>(pen.session->strokes) * session_fraction(pen, now) : 0.0;
  return pen.motor_strokes + running;
}

void update_battery(World& world, PenState& pen) {
  const double elapsed = hours_between(pen.battery_at, world.now);
  pen.battery_at = world.now;
  if (elapsed <= 0.0) return;
  switch (pen.activity) {
    case PenState::Activity::in_session:
      pen.battery = std::max(0.0, pen.battery - drain_per_hour * elapsed);
      break;
    case PenState::Activity::in_load:
      break;
    default:  // docked on its charger
      pen.battery = std::min(100.0, pen.battery + pen.charge_per_hour * elapsed);
      if (pen.battery >= 100.0) pen.charge_per_hour = normal_charge_per_hour;
  }
}

void power_up_pen(World& world, Device& device, bool announce) {
  power_up(world, device);
  auto& pen = *device.pen;
  // Charged overnight; serviced overnight when the motor counter neared the interval.
  pen.battery = round1(world.rng.uniform_real(92.0, 100.0));
  pen.charge_per_hour = normal_charge_per_hour;
  pen.battery_at = world.now;
  if (pen.motor_runtime_s > service_soon_s) pen.motor_runtime_s = world.rng.uniform_real(0.0, 600.0);

  if (device.role == Role::pen) {
    const auto opportunity = world.opportunity(device);
    if (world.violations.want_once(Rule::battery_low, device.id.str(), opportunity)) {
      // Left off the charger overnight: flat in the morning, fast-charged before use.
      pen.battery = round1(world.rng.uniform_real(8.0, 13.0));
      pen.charge_per_hour = fast_charge_per_hour;
      pen.record_battery_low = true;
    }
    if (world.violations.want_once(Rule::service_due, device.id.str(), opportunity)) {
      // The service was overlooked: the counter is past the interval until a technician resets it.
      pen.motor_runtime_s = service_interval_s + world.rng.uniform_real(1800.0, 10800.0);
      pen.record_service_due = true;
      const auto back = world.now + world.jitter(minutes{60}, minutes{120});
      pen.unavailable_until = std::max(pen.unavailable_until, back);
      const auto index = device.index;
      world.at(back, [&world, index] { finish_service(world, index); });
    }
  }
  if (announce) send_birth(world, device);
  const auto index = device.index;
  const auto boot = device.boot;
  world.at(world.now + world.jitter(seconds{1}, seconds{5}),
           [&world, index, boot] { telemetry_tick(world, index, boot); });
}

}  // namespace sterifleet::sim
