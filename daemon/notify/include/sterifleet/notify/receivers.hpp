// The receivers a daemon delivers to, as configured in its TOML ([[notify.receiver]]). Secrets are
// read from files at start and never logged or shown.
#pragma once

#include <chrono>
#include <string>
#include <variant>
#include <vector>

namespace sterifleet::notify {

/// Prometheus Alertmanager, pushed to through its API v2 (POST <url>/api/v2/alerts).
struct AlertmanagerReceiver {
  std::string url;  ///< Alertmanager's base URL, e.g. "http://127.0.0.1:9093"
  std::chrono::seconds timeout{10};
};

/// A JSON POST signed the Standard Webhooks way and with X-Hub-Signature-256.
struct WebhookReceiver {
  std::string url;
  std::string secret;  ///< "whsec_<base64>" (Standard Webhooks) or any other text, used as it is
  std::chrono::seconds timeout{15};
};

/// Email through an SMTP server (libcurl).
struct EmailReceiver {
  std::string smtp_url;  ///< "smtp://host:587" (STARTTLS) or "smtps://host:465" (TLS from the start)
  std::string from;
  std::vector<std::string> to;
  std::string username;  ///< empty: no AUTH
  std::string password;
  bool require_tls = true;  ///< refuse to send over a connection without STARTTLS
  std::string ca_file;      ///< empty: the system's trust store
  bool verify = true;       ///< check the server's certificate and host name
  std::chrono::seconds timeout{30};
};

struct Receiver {
  std::string name;
  std::variant<AlertmanagerReceiver, WebhookReceiver, EmailReceiver> settings;
};

}  // namespace sterifleet::notify
