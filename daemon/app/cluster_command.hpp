// `sterifleet cluster status`: what an operator asks of a cluster's PostgreSQL database: its daemons and
// their heartbeats, and for each shard its owner, fencing epoch, lease and clinics.
#pragma once

#include <ostream>
#include <string>

namespace sterifleet::app {

/// Prints the cluster at `url` to `out` (or as one JSON object with `json`); the URL's password is never
/// printed. Returns 0 when every shard that has clinics is held, 1 when one is not (its clinics' messages
/// wait at the broker), 2 when the database cannot be read or is not a cluster's.
int cluster_status(const std::string& url, bool json, std::ostream& out, std::ostream& err);

}  // namespace sterifleet::app
