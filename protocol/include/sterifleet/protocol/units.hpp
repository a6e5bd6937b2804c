// Physical quantities carried by the protocol, each in the unit its name says.
// Plain aggregates: the wrapper exists so that a temperature is never passed where a depth is meant.
#pragma once

#include <compare>

namespace sterifleet::protocol {

template <class Tag>
struct Quantity {
  double value = 0.0;
  friend auto operator<=>(const Quantity&, const Quantity&) = default;
};

using Celsius = Quantity<struct CelsiusTag>;
using Millimetres = Quantity<struct MillimetresTag>;
using Percent = Quantity<struct PercentTag>;
using Kilopascals = Quantity<struct KilopascalsTag>;
using Hertz = Quantity<struct HertzTag>;

}  // namespace sterifleet::protocol
