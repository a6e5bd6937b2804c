// What one configuration key cannot check alone: store.url as libpq reads it, and the [cluster] table as
// a whole (it needs PostgreSQL, renewals before the lease ends, pins within the shards).
#pragma once

#include "config.hpp"

namespace sterifleet::app {

/// Gives an empty cluster.daemon_id its default ("<host name>-<process id>"), then throws
/// std::runtime_error naming the keys of the first problem. Never quotes a password of store.url.
void finish_store_and_cluster(Config& config);

}  // namespace sterifleet::app
