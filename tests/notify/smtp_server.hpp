// A real SMTP server (aiosmtpd, tests/notify/smtp_server.py) for the email sender's integration tests:
// on a loopback port it picks itself, with STARTTLS under a self-signed certificate made for the test,
// AUTH with one user, or neither; every message it accepted can be read back.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {

struct SmtpServerOptions {
  bool starttls = false;          ///< offer STARTTLS (certificate for localhost and 127.0.0.1)
  bool require_starttls = false;  ///< refuse mail before STARTTLS
  std::string user;               ///< non-empty: AUTH (PLAIN, LOGIN) required, offered only after STARTTLS
  std::string password;
};

/// What the server accepted: the envelope, the message as sent, and how the session was secured.
struct ReceivedMail {
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
  std::string data;
  bool tls = false;
  bool authenticated = false;
};

/// Not thread-safe. The server is killed on destruction.
class SmtpServer {
 public:
  /// Throws std::runtime_error when the certificate cannot be made or the server does not listen within 10 s.
  explicit SmtpServer(SmtpServerOptions options = {});
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  /// The server's self-signed certificate, to be trusted as a CA by the client; empty without STARTTLS.
  std::filesystem::path ca_file() const;
  std::vector<ReceivedMail> received() const;
  std::string log() const { return process_->stderr_text(); }

 private:
  void make_certificate() const;

  SmtpServerOptions options_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace sterifleet::testing
