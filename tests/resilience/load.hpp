// The load the crash and broker-restart tests run under: a small chain's working day at 1000 simulated
// seconds per wall second (about 100 messages a second for 40 s), every acknowledged message in a sent log.
#pragma once

#include <string>
#include <vector>

#include "sterifleet/testing/simulator.hpp"

namespace sterifleet::testing {

/// Simulator arguments: 07:00 to 18:00 UTC yesterday (the devices' working hours, no idle night), no
/// violations, the sent log in the simulator's dir as "sent.log".
inline std::vector<std::string> working_day_load(int seed) {
  return {"--clinics",     "2",
          "--pens",        "4",
          "--sterilizers", "2",
          "--days",        "0.46",
          "--speed",       "1000",
          "--seed",        std::to_string(seed),
          "--start",       utc_days_ago(1, 7),
          "--sent-log",    "{dir}/sent.log",
          "--log-level",   "warn"};
}

}  // namespace sterifleet::testing
