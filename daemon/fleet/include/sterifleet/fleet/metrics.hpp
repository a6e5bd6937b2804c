// The daemon's Prometheus metrics (prometheus-cpp core; /metrics renders them as text).
// Families are created once; the hot path only touches pre-resolved counters. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sterifleet::fleet {

class Metrics {
 public:
  Metrics();

  void messages_stored(const std::string& type, double count);
  void message_duplicate();
  void message_quarantined(const std::string& reason);
  void alert_transition(const std::string& rule, const std::string& transition);
  void command_sent(const std::string& command);
  void observe_ingest_seconds(double seconds);
  void observe_commit_seconds(double seconds);
  /// A snapshot of the engine: the part inputs waited for (compaction, serialisation) and storing it.
  void observe_snapshot(double locked_seconds, double store_seconds);
  void set_devices(const std::string& state, double count);
  void set_open_alerts(const std::string& severity, double count);
  void set_mqtt_connected(bool connected);
  void set_ready(bool ready);

  /// Prometheus text exposition format, with what `also_render` gives.
  std::string render() const;
  prometheus::Registry& registry() { return *registry_; }
  /// For a reader that may outlive these metrics (a cluster daemon collecting a stopped shard's).
  std::shared_ptr<prometheus::Registry> shared_registry() const { return registry_; }
  /// More families for render() (a cluster daemon's shards'); a family named like one of these metrics'
  /// joins it. Set before render() is first called.
  void also_render(std::function<std::vector<prometheus::MetricFamily>()> more) { more_ = std::move(more); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::function<std::vector<prometheus::MetricFamily>()> more_;
  prometheus::Family<prometheus::Counter>& messages_;
  prometheus::Family<prometheus::Counter>& duplicates_;
  prometheus::Family<prometheus::Counter>& quarantined_;
  prometheus::Family<prometheus::Counter>& alert_transitions_;
  prometheus::Family<prometheus::Counter>& commands_;
  prometheus::Family<prometheus::Histogram>& ingest_seconds_;
  prometheus::Family<prometheus::Histogram>& commit_seconds_;
  prometheus::Family<prometheus::Histogram>& snapshot_seconds_;
  prometheus::Family<prometheus::Gauge>& devices_;
  prometheus::Family<prometheus::Gauge>& open_alerts_;
  prometheus::Family<prometheus::Gauge>& mqtt_connected_;
  prometheus::Family<prometheus::Gauge>& ready_;
  prometheus::Histogram* ingest_histogram_;
  prometheus::Histogram* commit_histogram_;
  prometheus::Histogram* snapshot_locked_histogram_;
  prometheus::Histogram* snapshot_store_histogram_;
};

/// Appends `more` to `into`, series of a family `into` has joining it.
void merge_families(std::vector<prometheus::MetricFamily>& into, std::vector<prometheus::MetricFamily> more);

}  // namespace sterifleet::fleet
