#include "sterifleet/protocol/message.hpp"

#include "enum_names.hpp"

namespace sterifleet::protocol {

namespace {

using detail::NameTable;

constexpr NameTable<DeviceKind, 3> device_kinds{{
    {DeviceKind::pen, "pen"},
    {DeviceKind::roller, "roller"},
    {DeviceKind::sterilizer, "sterilizer"},
}};

constexpr NameTable<TreatmentArea, 10> treatment_areas{{
    {TreatmentArea::forehead, "forehead"},
    {TreatmentArea::periorbital, "periorbital"},
    {TreatmentArea::nose, "nose"},
    {TreatmentArea::cheek, "cheek"},
    {TreatmentArea::perioral, "perioral"},
    {TreatmentArea::neck, "neck"},
    {TreatmentArea::decolletage, "decolletage"},
    {TreatmentArea::scalp, "scalp"},
    {TreatmentArea::hands, "hands"},
    {TreatmentArea::body, "body"},
}};

constexpr NameTable<Method, 4> methods{{
    {Method::steam_gravity, "steam_gravity"},
    {Method::steam_prevac, "steam_prevac"},
    {Method::dry_heat, "dry_heat"},
    {Method::chemical, "chemical"},
}};

}  // namespace

std::string_view to_string(DeviceKind kind) noexcept { return detail::name_of(device_kinds, kind); }
std::string_view to_string(TreatmentArea area) noexcept { return detail::name_of(treatment_areas, area); }
std::string_view to_string(Method method) noexcept { return detail::name_of(methods, method); }
std::string_view to_string(PassFail result) noexcept { return result == PassFail::pass ? "pass" : "fail"; }
std::string_view to_string(BiReading result) noexcept {
  return result == BiReading::negative ? "negative" : "positive";
}

std::optional<DeviceKind> parse_device_kind(std::string_view text) noexcept {
  return detail::value_of(device_kinds, text);
}
std::optional<TreatmentArea> parse_treatment_area(std::string_view text) noexcept {
  return detail::value_of(treatment_areas, text);
}
std::optional<Method> parse_method(std::string_view text) noexcept { return detail::value_of(methods, text); }

std::string_view type_name(const Body& body) noexcept {
  return std::visit([](const auto& b) { return std::decay_t<decltype(b)>::type; }, body);
}

}  // namespace sterifleet::protocol
