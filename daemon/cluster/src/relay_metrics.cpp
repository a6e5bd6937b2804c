#include "relay_metrics.hpp"

namespace sterifleet::cluster {

namespace {

const char* name(Loss why) {
  switch (why) {
    case Loss::queue_full:
      return "queue_full";
    case Loss::refused:
      return "refused";
    case Loss::gap:
      return "gap";
    case Loss::disconnected:
      return "disconnected";
    case Loss::spill_gone:
      return "spill_gone";
    case Loss::malformed:
      return "malformed";
  }
  return "unknown";
}

}  // namespace

RelayMetrics::RelayMetrics(prometheus::Registry& registry)
    : sent_(prometheus::BuildCounter()
                .Name("sterifleet_cluster_events_sent_total")
                .Help("This daemon's live events notified to the other daemons through PostgreSQL")
                .Register(registry)
                .Add({})),
      spilled_(prometheus::BuildCounter()
                   .Name("sterifleet_cluster_events_spilled_total")
                   .Help("Of those, events too large for a NOTIFY payload, passed through the event_spill table")
                   .Register(registry)
                   .Add({})),
      received_(prometheus::BuildCounter()
                    .Name("sterifleet_cluster_events_received_total")
                    .Help("Other daemons' live events received and published on this daemon's event stream")
                    .Register(registry)
                    .Add({})),
      lost_(prometheus::BuildCounter()
                .Name("sterifleet_cluster_events_lost_total")
                .Help("Live events that did not cross between daemons, by reason; streams were told to reload")
                .Register(registry)),
      connected_(prometheus::BuildGauge()
                     .Name("sterifleet_cluster_event_relay_connected")
                     .Help("1 while the event relay's connection to PostgreSQL (notify, listen) is up")
                     .Register(registry)) {
  for (auto connection : {"notify", "listen"}) connected_.Add({{"connection", connection}}).Set(0);
}

void RelayMetrics::sent(std::size_t events, std::size_t spilled) {
  sent_.Increment(static_cast<double>(events));
  spilled_.Increment(static_cast<double>(spilled));
}

void RelayMetrics::lost(Loss why, std::uint64_t events) {
  lost_.Add({{"reason", name(why)}}).Increment(static_cast<double>(events));
}

void RelayMetrics::connected(RelayConnection connection, bool up) {
  connected_.Add({{"connection", connection == RelayConnection::notify ? "notify" : "listen"}}).Set(up ? 1 : 0);
}

}  // namespace sterifleet::cluster
