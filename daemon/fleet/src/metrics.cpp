#include "sterifleet/fleet/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <iterator>

namespace sterifleet::fleet {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Ingest and commit are tens of microseconds when healthy; the buckets resolve that and the tail.
prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1};
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      messages_(BuildCounter()
                    .Name("sterifleet_messages_stored_total")
                    .Help("Device messages stored, by message type")
                    .Register(*registry_)),
      duplicates_(BuildCounter()
                      .Name("sterifleet_messages_duplicate_total")
                      .Help("Redelivered messages recognised by (device, boot, seq) and not stored again")
                      .Register(*registry_)),
      quarantined_(BuildCounter()
                       .Name("sterifleet_messages_quarantined_total")
                       .Help("Messages rejected into the quarantine, by reason")
                       .Register(*registry_)),
      alert_transitions_(BuildCounter()
                             .Name("sterifleet_alert_transitions_total")
                             .Help("Alert transitions, by rule and transition")
                             .Register(*registry_)),
      commands_(BuildCounter()
                    .Name("sterifleet_commands_sent_total")
                    .Help("Commands published to devices, by command")
                    .Register(*registry_)),
      ingest_seconds_(BuildHistogram()
                          .Name("sterifleet_ingest_seconds")
                          .Help("Time from a message's arrival to its durable commit")
                          .Register(*registry_)),
      commit_seconds_(BuildHistogram()
                          .Name("sterifleet_store_commit_seconds")
                          .Help("Time of one store commit")
                          .Register(*registry_)),
      snapshot_seconds_(BuildHistogram()
                            .Name("sterifleet_snapshot_seconds")
                            .Help("Time of one engine snapshot: phase=locked (inputs wait), phase=store")
                            .Register(*registry_)),
      devices_(BuildGauge().Name("sterifleet_devices").Help("Devices by state").Register(*registry_)),
      open_alerts_(BuildGauge()
                       .Name("sterifleet_open_alerts")
                       .Help("Open or acknowledged alerts, by severity")
                       .Register(*registry_)),
      mqtt_connected_(BuildGauge()
                          .Name("sterifleet_mqtt_connected")
                          .Help("1 while the daemon is connected to the broker")
                          .Register(*registry_)),
      ready_(BuildGauge().Name("sterifleet_ready").Help("1 once the daemon serves traffic").Register(*registry_)),
      ingest_histogram_(&ingest_seconds_.Add({}, latency_buckets())),
      commit_histogram_(&commit_seconds_.Add({}, latency_buckets())),
      snapshot_locked_histogram_(&snapshot_seconds_.Add({{"phase", "locked"}}, latency_buckets())),
      snapshot_store_histogram_(&snapshot_seconds_.Add({{"phase", "store"}}, latency_buckets())) {
  duplicates_.Add({});
}

void Metrics::messages_stored(const std::string& type, double count) {
  messages_.Add({{"type", type}}).Increment(count);
}
void Metrics::message_duplicate() { duplicates_.Add({}).Increment(); }
void Metrics::message_quarantined(const std::string& reason) { quarantined_.Add({{"reason", reason}}).Increment(); }
void Metrics::alert_transition(const std::string& rule, const std::string& transition) {
  alert_transitions_.Add({{"rule", rule}, {"transition", transition}}).Increment();
}
void Metrics::command_sent(const std::string& command) { commands_.Add({{"command", command}}).Increment(); }
void Metrics::observe_ingest_seconds(double seconds) { ingest_histogram_->Observe(seconds); }
void Metrics::observe_commit_seconds(double seconds) { commit_histogram_->Observe(seconds); }
void Metrics::observe_snapshot(double locked_seconds, double store_seconds) {
  snapshot_locked_histogram_->Observe(locked_seconds);
  snapshot_store_histogram_->Observe(store_seconds);
}
void Metrics::set_devices(const std::string& state, double count) { devices_.Add({{"state", state}}).Set(count); }
void Metrics::set_open_alerts(const std::string& severity, double count) {
  open_alerts_.Add({{"severity", severity}}).Set(count);
}
void Metrics::set_mqtt_connected(bool connected) { mqtt_connected_.Add({}).Set(connected ? 1 : 0); }
void Metrics::set_ready(bool ready) { ready_.Add({}).Set(ready ? 1 : 0); }

std::string Metrics::render() const {
  auto families = registry_->Collect();
  if (more_) merge_families(families, more_());
  return prometheus::TextSerializer().Serialize(families);
}

// The exposition format allows a family name once: series of the same family join it.
void merge_families(std::vector<prometheus::MetricFamily>& into, std::vector<prometheus::MetricFamily> more) {
  for (auto& family : more) {
    const auto same = std::find_if(into.begin(), into.end(),
                                   [&](const prometheus::MetricFamily& f) { return f.name == family.name; });
    if (same == into.end()) {
      into.push_back(std::move(family));
    } else {
      same->metric.insert(same->metric.end(), std::make_move_iterator(family.metric.begin()),
                          std::make_move_iterator(family.metric.end()));
    }
  }
}

}  // namespace sterifleet::fleet
