#include "sterifleet/sim/scenario.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>

#include "clinic.hpp"
#include "commands.hpp"
#include "world.hpp"

namespace sterifleet::sim {

namespace {

struct Model {
  const char* model;
  const char* firmware;
};
constexpr std::array<Model, 3> pen_models{
    {{"Dermapen 4", "4.2.1"}, {"SkinPen Precision", "2.3.0"}, {"Dr.Pen A6S", "1.8.4"}}};

struct SterilizerModel {
  protocol::Method method;
  const char* model;
  const char* firmware;
  std::size_t capacity;
};
constexpr std::array<SterilizerModel, 3> sterilizer_models{
    {{protocol::Method::steam_prevac, "Lisa 500", "2.0.3", 6},
     {protocol::Method::steam_gravity, "Tuttnauer 2540M", "5.1", 4},
     {protocol::Method::dry_heat, "Dentronix DDS5000", "1.4", 8}}};

constexpr std::array<const char*, 12> operator_names{"anna",  "ben",  "chloe", "david", "emma",  "felix",
                                                     "grace", "hugo", "ines",  "jonas", "karin", "liam"};

std::string numbered(const char* prefix, int n) { return fmt::format("{}{:02}", prefix, n); }

Device make_device(World& world, std::size_t clinic_index, std::string id, Role role) {
  Device device;
  device.index = world.devices.size();
  device.clinic_index = clinic_index;
  device.clinic = world.clinics[clinic_index].id;
  device.id = protocol::DeviceId{std::move(id)};
  device.role = role;
  if (const auto it = world.config.boots.find(device.id.str()); it != world.config.boots.end())
    device.boot = it->second;
  return device;
}

Device make_pen(World& world, std::size_t clinic_index, std::string id, Role role) {
  Device device = make_device(world, clinic_index, std::move(id), role);
  const auto& model = pen_models[world.rng.index(pen_models.size())];
  device.model = model.model;
  device.firmware = model.firmware;
  PenState pen;
  pen.motor_runtime_s = world.rng.uniform_real(40.0, 300.0) * 3600.0;
  pen.motor_strokes = pen.motor_runtime_s * 95.0;
  pen.needs_initial = role == Role::pen;
  device.pen = pen;
  return device;
}

void build_fleet(World& world) {
  const auto& config = world.config;
  for (int c = 1; c <= config.clinics; ++c) {
    Clinic clinic;
    clinic.index = world.clinics.size();
    clinic.id = protocol::ClinicId{numbered("C", c)};
    const int operators = std::max(1, (config.pens * 3 + 3) / 4);
    for (int o = 0; o < operators; ++o) {
      const auto name = std::string(operator_names[static_cast<std::size_t>(o) % operator_names.size()]);
      clinic.operators.push_back(Operator{protocol::OperatorId{"op-" + name + "-" + clinic.id.str()}});
    }
    world.clinics.push_back(clinic);
    auto& added = world.clinics.back();
    const auto prefix = added.id.str();
    for (int s = 1; s <= config.sterilizers; ++s) {
      Device device = make_device(world, added.index, prefix + numbered("-STER-", s), Role::sterilizer);
      const auto& model = sterilizer_models[static_cast<std::size_t>(s - 1) % sterilizer_models.size()];
      device.model = model.model;
      device.firmware = model.firmware;
      device.sterilizer = SterilizerState{};
      device.sterilizer->method = model.method;
      device.sterilizer->capacity = model.capacity;
      added.sterilizers.push_back(device.index);
      world.devices.push_back(std::move(device));
    }
    for (int p = 1; p <= config.pens; ++p) {
      Device device = make_pen(world, added.index, prefix + numbered("-PEN-", p), Role::pen);
      added.pens.push_back(device.index);
      world.devices.push_back(std::move(device));
    }
    Device spare = make_pen(world, added.index, prefix + "-PEN-S1", Role::spare);
    added.spare = spare.index;
    world.devices.push_back(std::move(spare));
  }
}

Device* find(World& world, const protocol::DeviceId& id) {
  for (auto& device : world.devices) {
    if (device.id == id) return &device;
  }
  return nullptr;
}

/// Commands happen "now", but never before what was already emitted nor after the next event.
void set_command_time(World& world, protocol::Timestamp now) {
  auto t = std::max(now, world.now);
  if (!world.events.empty()) t = std::min(t, std::max(world.now, world.events.next_time()));
  world.now = t;
}

}  // namespace

Timestamp midnight(protocol::Date day) { return std::chrono::time_point_cast<Ms>(std::chrono::sys_days{day}); }

World::World(ScenarioConfig c)
    : config(std::move(c)),
      rng(config.seed),
      violations(config.violations, config.seed),
      now(config.start),
      last_emitted(config.start),
      end(config.follow ? Timestamp::max() - hours{24 * 365} : config.end) {}

void World::emit(Action action) {
  last_emitted = action.at;
  output.push_back(std::move(action));
}

std::string World::opportunity(const Device& device) const {
  return device.id.str() + "@" + protocol::format_date(today());
}

Scenario::Scenario(ScenarioConfig config) {
  if (auto error = validate(config); !error.empty()) throw std::invalid_argument(error);
  world_ = std::make_unique<World>(std::move(config));
  build_fleet(*world_);
  start_clinics(*world_);
}

Scenario::~Scenario() = default;
Scenario::Scenario(Scenario&&) noexcept = default;
Scenario& Scenario::operator=(Scenario&&) noexcept = default;

std::optional<protocol::Timestamp> Scenario::next_time() {
  auto& world = *world_;
  while (world.output.empty() && !world.events.empty()) {
    protocol::Timestamp at;
    auto handler = world.events.pop(at);
    world.now = std::max(world.now, at);
    handler();
  }
  if (world.output.empty()) return std::nullopt;
  return world.output.front().at;
}

std::optional<Action> Scenario::next() {
  if (!next_time()) return std::nullopt;
  Action action = std::move(world_->output.front());
  world_->output.pop_front();
  return action;
}

void Scenario::handle_command(const protocol::DeviceId& device_id, const protocol::Command& command,
                              protocol::Timestamp now) {
  auto& world = *world_;
  Device* device = find(world, device_id);
  if (device == nullptr || !device->powered) return;
  set_command_time(world, now);
  obey(world, *device, command);
}

void Scenario::handle_malformed_command(const protocol::DeviceId& device_id, std::string_view reason,
                                        protocol::Timestamp now) {
  auto& world = *world_;
  Device* device = find(world, device_id);
  if (device == nullptr || !device->powered) return;
  set_command_time(world, now);
  reject_command(world, *device, reason);
}

void Scenario::stop(protocol::Timestamp now) {
  auto& world = *world_;
  if (world.ending) return;
  set_command_time(world, now);
  wind_down(world);
}

const std::vector<InjectedViolation>& Scenario::injected() const { return world_->violations.injected(); }

std::vector<DeviceInfo> Scenario::devices() const {
  std::vector<DeviceInfo> out;
  for (const auto& device : world_->devices) {
    const std::string_view role = device.role == Role::pen     ? "pen"
                                  : device.role == Role::spare ? "spare"
                                                               : "sterilizer";
    out.push_back(DeviceInfo{device.clinic, device.id, role});
  }
  return out;
}

const ScenarioConfig& Scenario::config() const { return world_->config; }

}  // namespace sterifleet::sim
