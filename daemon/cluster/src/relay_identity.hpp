// Who is relaying: the daemon's id and this run of it (sequence numbers restart with every run).
#pragma once

#include <cstddef>
#include <string>

namespace pqxx {
class connection_base;
}

namespace sterifleet::cluster {

struct RelayIdentity {
  std::string daemon;
  std::string run;
};

/// Names the session in pg_stat_activity ("sterifleetd <daemon> events in|out"), for operators.
void name_session(pqxx::connection_base& connection, const RelayIdentity& me, const char* direction);

/// NOTIFY payloads must be shorter than this (PostgreSQL's limit); larger events are spilled.
inline constexpr std::size_t notify_payload_limit = 8000;

}  // namespace sterifleet::cluster
