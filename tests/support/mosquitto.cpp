#include "sterifleet/testing/mosquitto.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

namespace sterifleet::testing {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  auto address = loopback(0);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool wait_for_port(const std::string& host, int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto address = loopback(port);
  ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    if (fd >= 0) ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return false;
}

Mosquitto::Mosquitto(MosquittoOptions options) : options_(std::move(options)), dir_("sterifleet-mosquitto") {
  // A port found free can be taken before Mosquitto binds it: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      if (process_) process_->kill();
      process_.reset();
    }
  }
  throw std::runtime_error("mosquitto did not start; log:\n" + log());
}

Mosquitto::~Mosquitto() { kill(); }

void Mosquitto::write_config() const {
  std::ofstream conf(dir_.path() / "mosquitto.conf", std::ios::trunc);
  conf << "listener " << port_ << " " << host_ << "\n";
  if (options_.tls) {
    conf << "cafile " << options_.tls->ca_file.string() << "\n"
         << "certfile " << options_.tls->cert_file.string() << "\n"
         << "keyfile " << options_.tls->key_file.string() << "\n"
         << (options_.tls->crl_file.empty() ? "" : "crlfile " + options_.tls->crl_file.string() + "\n")
         << "require_certificate true\n"
         << "use_identity_as_username true\n";
  }
  conf << "allow_anonymous " << (options_.allow_anonymous ? "true" : "false") << "\n"
       << "persistence " << (options_.persistence ? "true" : "false") << "\n"
       << "persistence_location " << dir_.path().string() << "/\n"
       << "max_queued_messages 1000000\n"
       << "log_dest stderr\n";
  // As root, Mosquitto would switch to user "mosquitto", which cannot write our temp dir.
  if (::geteuid() == 0) conf << "user root\n";
  for (const auto& line : options_.extra_config) conf << line << "\n";
}

void Mosquitto::start() {
  if (process_) return;
  write_config();
  ++starts_;
  const auto out = dir_.path() / ("mosquitto." + std::to_string(starts_) + ".log");
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{options_.binary, "-c", (dir_.path() / "mosquitto.conf").string()}, out, out);
  if (!wait_for_port(host_, port_, std::chrono::seconds{10}) || !process_->running()) {
    throw std::runtime_error("mosquitto does not accept connections on port " + std::to_string(port_));
  }
}

void Mosquitto::stop() {
  if (!process_) return;
  process_->signal(SIGTERM);
  if (!process_->wait(std::chrono::seconds{10})) process_->kill();
  process_.reset();
}

void Mosquitto::kill() {
  if (!process_) return;
  process_->kill();
  process_.reset();
}

std::string Mosquitto::log() const {
  std::string out;
  for (int i = 1; i <= starts_; ++i) out += read_file(dir_.path() / ("mosquitto." + std::to_string(i) + ".log"));
  return out;
}

}  // namespace sterifleet::testing
