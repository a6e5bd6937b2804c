#include "smtp_server.hpp"

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sterifleet/testing/mosquitto.hpp"  // wait_for_port

namespace sterifleet::testing {

namespace {

/// The port the script prints once it listens (it binds port 0, so no other test can take it first).
int read_port(Subprocess& process) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < deadline) {
    const auto out = process.stdout_text();
    if (out.find('\n') != std::string::npos) return std::stoi(out);
    if (!process.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  throw std::runtime_error("the SMTP server did not report its port; its log:\n" + process.stderr_text());
}

}  // namespace

SmtpServer::SmtpServer(SmtpServerOptions options) : options_(std::move(options)), dir_("sterifleet-smtp") {
  std::vector<std::string> argv{STERIFLEET_PYTHON, STERIFLEET_SMTP_SERVER_SCRIPT, "--messages",
                                (dir_.path() / "messages.jsonl").string()};
  if (options_.starttls) {
    make_certificate();
    argv.insert(argv.end(), {"--tls-cert", ca_file().string(), "--tls-key", (dir_.path() / "key.pem").string()});
  }
  if (options_.require_starttls) argv.emplace_back("--require-starttls");
  if (!options_.user.empty()) argv.insert(argv.end(), {"--auth", options_.user + ":" + options_.password});
  process_ = std::make_unique<Subprocess>(argv, dir_.path() / "stdout", dir_.path() / "stderr");
  port_ = read_port(*process_);
  if (!wait_for_port("127.0.0.1", port_, std::chrono::seconds{10})) {
    throw std::runtime_error("the SMTP server does not accept connections; its log:\n" + log());
  }
}

void SmtpServer::make_certificate() const {
  const auto done = run_to_completion({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                                       "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days",
                                       "1", "-keyout", (dir_.path() / "key.pem").string(), "-out", ca_file().string()},
                                      std::chrono::seconds{30});
  if (done.status != 0) throw std::runtime_error("openssl could not make a certificate:\n" + done.output);
}

std::filesystem::path SmtpServer::ca_file() const {
  return options_.starttls ? dir_.path() / "cert.pem" : std::filesystem::path{};
}

std::vector<ReceivedMail> SmtpServer::received() const {
  std::vector<ReceivedMail> mails;
  std::istringstream lines(read_file(dir_.path() / "messages.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line);
    mails.push_back({json.at("mail_from").get<std::string>(), json.at("rcpt_tos").get<std::vector<std::string>>(),
                     json.at("data").get<std::string>(), json.at("tls").get<bool>(),
                     json.at("authenticated").get<bool>()});
  }
  return mails;
}

}  // namespace sterifleet::testing
