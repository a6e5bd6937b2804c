// The server as a network service: keep-alive, limits (body, header, read timeout, connections),
// health, readiness and metrics without a token, the static dashboard, and TLS.
#include <fmt/format.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdlib>
#include <fstream>

#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;
using verb = bhttp::verb;
using namespace std::chrono_literals;

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(Server, KeepAlive_ServesManyRequestsOnOneConnection) {
  Harness harness;
  Client client(harness.port());
  for (int i = 0; i < 5; ++i) {
    const auto response = client.get("/api/v1/devices", harness.token(Role::viewer));
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(harness.server().connections(), 1u);
  const auto last = client.request(verb::get, "/healthz", "", "", {{"Connection", "close"}});
  EXPECT_FALSE(last.keep_alive());
  EXPECT_TRUE(client.closed_by_peer(2s));
}

TEST(Server, Health_Readiness_Metrics_NeedNoToken) {
  Harness harness;
  const auto health = harness.call(verb::get, "/healthz", "");
  EXPECT_EQ(health.result_int(), 200);
  EXPECT_EQ(json_of(health)["status"], "ok");
  EXPECT_EQ(harness.call(verb::get, "/readyz", "").result_int(), 200);
  harness.set_ready(false);
  const auto not_ready = harness.call(verb::get, "/readyz", "");
  EXPECT_EQ(not_ready.result_int(), 503);
  EXPECT_EQ(error_code(not_ready), "unavailable");
  const auto metrics = harness.call(verb::get, "/metrics", "");
  EXPECT_EQ(metrics.result_int(), 200);
  EXPECT_EQ(metrics[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body().find("sterifleet_messages_stored_total"), std::string::npos);
  EXPECT_NE(metrics.body().find("sterifleet_http_requests_total{"), std::string::npos);
  EXPECT_EQ(harness.call(verb::post, "/healthz", "").result_int(), 405);
  EXPECT_EQ(harness.call(verb::get, "/healthz?verbose=1", "").result_int(), 400);
}

TEST(Server, BodyOverTheLimit_Is413) {
  Harness harness(empty_fleet());
  Client client(harness.port());
  const std::string big(2 * 1024 * 1024, 'x');
  const auto declared = client.request(verb::post, "/api/v1/reprocessing", harness.token(Role::manager), big);
  EXPECT_EQ(declared.result_int(), 413);
  EXPECT_EQ(error_message(declared), "the request body exceeds the limit of 1048576 bytes");
  expect_conforms("/api/v1/reprocessing", verb::post, declared);
  // Chunked, so the size is only known while reading.
  Client chunked(harness.port());
  chunked.write_raw(
      "POST /api/v1/reprocessing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Authorization: Bearer " +
      harness.token(Role::manager) + "\r\n\r\n");
  const std::string piece(64 * 1024, 'y');
  const auto size = fmt::format("{:x}\r\n", piece.size());
  std::string body;
  for (int i = 0; i < 20; ++i) body += size + piece + "\r\n";
  chunked.write_raw(body);
  EXPECT_NE(chunked.read_until("\r\n\r\n", 5s).find("413 Payload Too Large"), std::string::npos);
}

TEST(Server, OversizedHeader_Is400) {
  Harness harness(empty_fleet());
  Client client(harness.port());
  const auto response = client.request(verb::get, "/healthz", "", "", {{"X-Padding", std::string(20 * 1024, 'p')}});
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(error_message(response), "the request header exceeds the limit of 16384 bytes");
}

TEST(Server, GarbageRequest_Is400) {
  Harness harness(empty_fleet());
  Client client(harness.port());
  client.write_raw("HELLO THERE\r\n\r\n");
  EXPECT_NE(client.read_until("\r\n\r\n", 5s).find("400 Bad Request"), std::string::npos);
}

TEST(Server, SlowRequest_IsCutAtTheHeaderTimeout) {
  Harness harness(tweaked([](HttpOptions& o) { o.header_timeout = 1s; }));
  Client client(harness.port());
  client.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finished
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_peer(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(Server, SlowBody_IsCutAtTheReadTimeout) {
  Harness harness(tweaked([](HttpOptions& o) { o.read_timeout = 1s; }));
  Client client(harness.port());
  client.write_raw("POST /api/v1/reprocessing HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_peer(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(Server, ConnectionsBeyondTheLimit_Are503ButHealthAnswers) {
  Harness harness(tweaked([](HttpOptions& o) { o.max_connections = 2; }));
  Client first(harness.port()), second(harness.port());
  EXPECT_EQ(first.get("/healthz").result_int(), 200);
  EXPECT_EQ(second.get("/healthz").result_int(), 200);
  Client third(harness.port());
  const auto refused = third.get("/api/v1/devices", harness.token(Role::viewer));
  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_EQ(error_message(refused),
            "the server has 2 connections open, its limit (http.max_connections); only /healthz and /readyz are "
            "answered on further connections until some close");
  EXPECT_EQ(refused[bhttp::field::retry_after], "5");
  EXPECT_TRUE(third.closed_by_peer(2s));
  Client probe(harness.port());
  EXPECT_EQ(probe.get("/healthz").result_int(), 200);
  first.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(first.closed_by_peer(2s));
  for (int i = 0; i < 50 && harness.server().connections() > 1; ++i) std::this_thread::sleep_for(20ms);
  Client fourth(harness.port());
  EXPECT_EQ(fourth.get("/api/v1/devices", harness.token(Role::viewer)).result_int(), 200);
}

TEST(Server, Dashboard_ServesFilesWithTypesCachingAndFallback) {
  const auto root = std::filesystem::temp_directory_path() / "sterifleet-http-dashboard";
  std::filesystem::remove_all(root);
  write_file(root / "dist/index.html", "<!doctype html><title>sterifleet</title>");
  write_file(root / "dist/assets/app.3f2a.js", "console.log(1)");
  write_file(root / "dist/assets/app.3f2a.css", "body{}");
  write_file(root / "secret.txt", "do not serve");
  std::filesystem::create_symlink(root / "secret.txt", root / "dist/leak.txt");
  Harness harness(tweaked([&](HttpOptions& o) { o.dashboard_dir = (root / "dist").string(); }));
  Client client(harness.port());
  const auto index = client.get("/");
  EXPECT_EQ(index.result_int(), 200);
  EXPECT_EQ(index[bhttp::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(index[bhttp::field::cache_control], "no-cache");
  const auto script = client.get("/assets/app.3f2a.js");
  EXPECT_EQ(script[bhttp::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(script[bhttp::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(client.get("/assets/app.3f2a.css")[bhttp::field::content_type], "text/css; charset=utf-8");
  const auto page = client.get("/devices/PEN-1");  // a dashboard route: index.html
  EXPECT_EQ(page.result_int(), 200);
  EXPECT_EQ(page.body(), index.body());
  EXPECT_EQ(client.get("/assets/missing.js").result_int(), 404);
  for (const auto* attack : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/leak.txt"}) {
    const auto response = client.get(attack);
    EXPECT_EQ(response.body().find("do not serve"), std::string::npos) << attack;
  }
  EXPECT_EQ(client.request(verb::post, "/", "", "x").result_int(), 405);
  std::filesystem::remove_all(root);
}

TEST(Server, Tls_ServesHttpsWithTheConfiguredCertificate) {
  const auto dir = std::filesystem::temp_directory_path() / "sterifleet-http-tls";
  std::filesystem::create_directories(dir);
  const auto cert = (dir / "cert.pem").string();
  const auto key = (dir / "key.pem").string();
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  Harness harness(tweaked(true, [&](HttpOptions& o) {
    o.tls_cert = cert;
    o.tls_key = key;
  }));
  EXPECT_TRUE(harness.server().tls());
  boost::asio::ssl::context trust(boost::asio::ssl::context::tls_client);
  trust.load_verify_file(cert);
  Client client(harness.port(), &trust);
  EXPECT_EQ(client.get("/healthz").result_int(), 200);
  const auto devices = client.get("/api/v1/devices", harness.token(Role::viewer));
  EXPECT_EQ(devices.result_int(), 200);
  EXPECT_EQ(json_of(devices)["items"].size(), 4u);
  Client plain(harness.port());  // plain HTTP to the TLS port gets nothing useful back
  plain.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  EXPECT_EQ(plain.read_some(3s, &closed).find("200 OK"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Server, BadTlsFiles_FailAtStart) {
  Harness harness(empty_fleet());
  boost::asio::io_context io;
  fleet::Metrics metrics;
  HttpOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert = "/nonexistent/cert.pem";
  options.tls_key = "/nonexistent/key.pem";
  HttpServer server(io, options, harness.fleet(), harness.store(), harness.events(), metrics, {});
  EXPECT_THROW(server.start(), std::runtime_error);
  options.tls_key.clear();
  HttpServer half(io, options, harness.fleet(), harness.store(), harness.events(), metrics, {});
  EXPECT_THROW(half.start(), std::runtime_error);
}

TEST(Server, BadListenAddress_FailsAtStart) {
  Harness harness(empty_fleet());
  boost::asio::io_context io;
  fleet::Metrics metrics;
  HttpOptions options;
  options.listen = "127.0.0.1";
  HttpServer server(io, options, harness.fleet(), harness.store(), harness.events(), metrics, {});
  EXPECT_THROW(server.start(), std::runtime_error);
  options.listen = "127.0.0.1:" + std::to_string(harness.port());  // taken
  HttpServer taken(io, options, harness.fleet(), harness.store(), harness.events(), metrics, {});
  EXPECT_THROW(taken.start(), std::runtime_error);
}

}  // namespace
}  // namespace sterifleet::http::testing
