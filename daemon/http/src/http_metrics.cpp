#include "http_metrics.hpp"

namespace sterifleet::http {

namespace {

const prometheus::Histogram::BucketBoundaries& request_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                               0.1,    0.25,  0.5,    1,     2.5,  5};
  return buckets;
}

// A client chooses the method: any other word than these would become a new series each time.
std::string_view method_label(std::string_view method) {
  for (const std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

}  // namespace

HttpMetrics::HttpMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("sterifleet_http_requests_total")
                    .Help("HTTP requests answered, by route, method and status")
                    .Register(registry)),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("sterifleet_http_request_seconds")
                           .Help("Time from a complete request to its response, by route")
                           .Register(registry)),
      connections_(prometheus::BuildGauge()
                       .Name("sterifleet_http_connections")
                       .Help("Open HTTP connections, event streams included")
                       .Register(registry)
                       .Add({})),
      refused_(prometheus::BuildCounter()
                   .Name("sterifleet_http_connections_refused_total")
                   .Help("Connections beyond the limits closed unanswered, to make room for a newer one")
                   .Register(registry)
                   .Add({})),
      over_limit_(prometheus::BuildCounter()
                      .Name("sterifleet_http_requests_refused_total")
                      .Help("Requests answered 429 or 503 because a connection or stream limit was reached, by limit")
                      .Register(registry)),
      streams_(prometheus::BuildGauge()
                   .Name("sterifleet_http_streams")
                   .Help("Open live event streams")
                   .Register(registry)
                   .Add({})),
      dropped_(prometheus::BuildCounter()
                   .Name("sterifleet_http_stream_events_dropped_total")
                   .Help("Live events a slow stream client lost because it fell behind")
                   .Register(registry)
                   .Add({})) {
  for (const auto limit : all_limits) over_limit_.Add({{"limit", std::string(to_string(limit))}});
}

void HttpMetrics::request(const std::string& route, std::string_view method, unsigned status, double seconds) {
  requests_.Add({{"route", route}, {"method", std::string(method_label(method))}, {"status", std::to_string(status)}})
      .Increment();
  request_seconds_.Add({{"route", route}}, request_buckets()).Observe(seconds);
}

void HttpMetrics::set_connections(std::size_t open) { connections_.Set(static_cast<double>(open)); }
void HttpMetrics::connection_refused() { refused_.Increment(); }
void HttpMetrics::refused(Limit limit) { over_limit_.Add({{"limit", std::string(to_string(limit))}}).Increment(); }
void HttpMetrics::stream_opened() { streams_.Increment(); }
void HttpMetrics::stream_closed() { streams_.Decrement(); }
void HttpMetrics::stream_dropped(std::size_t events) { dropped_.Increment(static_cast<double>(events)); }

}  // namespace sterifleet::http
