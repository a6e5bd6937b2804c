// The HTTP server's own metrics, registered beside the daemon's in the same Prometheus registry so
// that /metrics shows both. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "limits.hpp"

namespace sterifleet::http {

class HttpMetrics {
 public:
  explicit HttpMetrics(prometheus::Registry& registry);

  /// `route` is the matched pattern, so the label's values are bounded by the route table; `method`
  /// is counted as itself when it is one of HTTP's usual methods, else as "other".
  void request(const std::string& route, std::string_view method, unsigned status, double seconds);
  void set_connections(std::size_t open);
  void connection_refused();
  void refused(Limit limit);
  void stream_opened();
  void stream_closed();
  void stream_dropped(std::size_t events);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Gauge& connections_;
  prometheus::Counter& refused_;
  prometheus::Family<prometheus::Counter>& over_limit_;
  prometheus::Gauge& streams_;
  prometheus::Counter& dropped_;
};

}  // namespace sterifleet::http
