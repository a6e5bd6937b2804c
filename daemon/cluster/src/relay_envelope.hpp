// What one daemon's live event looks like on the NOTIFY channel, and the per-daemon order check a
// listener keeps to notice events that never arrived. Pure: no I/O.
#pragma once

// GCC 12 at -O2 reports null dereferences inside Boost's variant behind result's accessors (false
// positives in third-party code: they are reached only after has_value()).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/system/result.hpp>
#pragma GCC diagnostic pop
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sterifleet::cluster {

/// The id in event_spill of an event too large for a NOTIFY payload.
struct SpillId {
  std::int64_t id = 0;
};

struct RelayedEvent {
  std::string daemon;  ///< the daemon that made it
  std::string run;     ///< that daemon's current run: sequence numbers restart with every run
  /// 1, 2, ... within the run, given when the event was published (before it could be lost), so
  /// that an event lost anywhere on the way leaves a gap.
  std::uint64_t seq = 0;
  std::string clinic;                          ///< its scope on the receiving bus ("" = fleet-wide)
  std::variant<std::string, SpillId> content;  ///< the event's JSON text, or where it was spilled
};

struct EnvelopeError {
  std::string reason;
};

/// A header line of JSON ({"clinic","daemon","run","seq"} and "spill" when spilled), then the event's
/// text as it is: only the small header is parsed again, and nothing in the event is escaped.
std::string encode(const RelayedEvent& event);
boost::system::result<RelayedEvent, EnvelopeError> decode(std::string_view payload);

/// Per origin daemon, the last sequence number delivered. Not thread-safe.
class RunSequences {
 public:
  struct Verdict {
    bool deliver = false;    ///< false: a duplicate (a batch sent again after a lost commit reply)
    std::uint64_t lost = 0;  ///< events of that run between the last delivered and this one
  };
  /// The first event seen of a run only sets where it stands: what came before it is unknown.
  Verdict accept(const std::string& daemon, const std::string& run, std::uint64_t seq);
  /// After missing an unknown number of events: every run starts over as if first seen.
  void forget() { last_.clear(); }

 private:
  std::map<std::string, std::pair<std::string, std::uint64_t>> last_;  ///< daemon -> (run, last seq)
};

}  // namespace sterifleet::cluster
