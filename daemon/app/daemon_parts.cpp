#include "daemon_parts.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "daemon_command_line.hpp"
#include "sterifleet/notify/notifier.hpp"

namespace sterifleet::app {

namespace {

constexpr std::size_t min_bootstrap_length = 24;

std::filesystem::path beside_db(const Config& config, const std::string& configured, const char* suffix) {
  return configured.empty() ? config.db + suffix : configured;
}

// Beside <prefix>/bin/sterifleetd: where `cmake --install` and the package put the dashboard.
std::string installed_dashboard_dir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    spdlog::warn("cannot find the daemon's own path ({}): the installed dashboard is not served", ec.message());
    return {};
  }
  const auto dir = (self.parent_path().parent_path() / "share" / "sterifleet" / "dashboard").lexically_normal();
  if (!std::filesystem::is_regular_file(dir / "index.html", ec)) {
    spdlog::info("no dashboard installed in {}: / is not served (http.dashboard_dir names one)", dir.string());
    return {};
  }
  return dir.string();
}

}  // namespace

void die(const std::string& why) {
  spdlog::critical("{}; stopping", why);
  spdlog::default_logger()->flush();
  std::_Exit(exit_storage);  // no unwinding: nothing more may be acknowledged or written
}

protocol::Timestamp system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

http::HttpOptions http_options(const Config& config, http::NotifyActions notify, CheckpointSigner& checkpoints) {
  http::HttpOptions web = config.http;
  web.notify = std::move(notify);
  web.sign_checkpoint = [&checkpoints](const store::AuditHead& head) { return checkpoints.sign(head); };
  // A cluster's daemons sign with keys of their own: a report made by another must verify here too.
  if (!config.cluster) web.audit_key = checkpoints.public_key();
  if (web.dashboard_dir == installed_dashboard) web.dashboard_dir = installed_dashboard_dir();
  if (web.bootstrap_token.empty()) {
    if (const char* from_env = std::getenv("STERIFLEET_BOOTSTRAP_TOKEN")) web.bootstrap_token = from_env;
  }
  // An admin secret short enough to guess would be an open door on a fresh install.
  if (!web.bootstrap_token.empty() && web.bootstrap_token.size() < min_bootstrap_length) {
    throw StartError(exit_config, "the bootstrap token (http.bootstrap_token or STERIFLEET_BOOTSTRAP_TOKEN) has " +
                                      std::to_string(web.bootstrap_token.size()) + " characters; it needs at least " +
                                      std::to_string(min_bootstrap_length) +
                                      " (for example: head -c 24 /dev/urandom | base64)");
  }
  web.fatal = [](const std::string& why) { die(why); };
  return web;
}

// Each named receiver must be one a checkpoint can go to: a webhook (its JSON carries the checkpoint) or
// an email (its text carries the line to save). Alertmanager is for alerts.
void forward_checkpoints(const Config& config, CheckpointSigner& checkpoints, boost::asio::thread_pool& senders) {
  std::vector<std::string> receivers;
  std::stringstream names(config.audit.receivers);
  for (std::string name; std::getline(names, name, ',');) {
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name.empty()) continue;
    const notify::Receiver* receiver = config.notify.receiver(name);
    if (!receiver) {
      throw StartError(exit_config, "audit.checkpoint_receivers: no [notify] receiver named \"" + name + "\"");
    }
    if (std::holds_alternative<notify::AlertmanagerReceiver>(receiver->settings)) {
      throw StartError(exit_config, "audit.checkpoint_receivers: \"" + name +
                                        "\" is an Alertmanager receiver; checkpoints go to webhook or email receivers");
    }
    receivers.push_back(name);
  }
  if (receivers.empty()) return;
  checkpoints.forward_with([&config, &senders, receivers](const checkpoint::Checkpoint& signed_head) {
    boost::asio::post(senders, [&config, receivers, payload = checkpoint::to_json(signed_head)] {
      for (const auto& receiver : receivers) {
        std::optional<std::string> failure;
        try {
          const auto result = notify::send_checkpoint(config.notify, receiver, system_now(), payload);
          if (result.outcome != notify::SendResult::Outcome::delivered) failure = result.answer;
        } catch (const std::exception& e) {  // a pool thread must not end the process over one receiver
          failure = e.what();
        }
        if (failure) {
          spdlog::error("audit checkpoint of record {} not delivered to {} (the checkpoints file keeps it): {}",
                        payload.value("seq", 0), receiver, *failure);
        }
      }
    });
  });
}

CheckpointSigner make_checkpoint_signer(const Config& config, store::Store& store, CheckpointSigner::Publish publish) {
  const auto key_path = beside_db(config, config.audit.signing_key, "-audit.key");
  const auto file = beside_db(config, config.audit.checkpoints, "-checkpoints.jsonl");
  try {
    auto loaded = crypto::load_or_create_key_file(key_path);
    const auto key = checkpoint::key_text(loaded.key.public_key());
    if (loaded.created) {
      spdlog::warn("made a new audit signing key {} (public key {}, also in {}.pub): give auditors the public key",
                   key_path.string(), key, key_path.string());
    }
    spdlog::info("audit checkpoints signed by key {}, appended to {}", key, file.string());
    return CheckpointSigner(std::move(loaded.key), file, store, std::move(publish), system_now);
  } catch (const std::exception& e) {
    throw StartError(exit_config, "audit.signing_key: " + std::string(e.what()));
  }
}

void sign_checkpoint_if_grown(CheckpointSigner& checkpoints, const char* when) {
  try {
    if (checkpoints.sign_if_grown()) spdlog::info("audit checkpoint signed ({})", when);
  } catch (const std::exception& e) {
    spdlog::error("audit checkpoint ({}) not kept: {}", when, e.what());
  }
}

void sign_checkpoints_every(boost::asio::steady_timer& timer, std::chrono::seconds interval,
                            CheckpointSigner& checkpoints) {
  timer.expires_after(interval);
  timer.async_wait([&timer, interval, &checkpoints](const boost::system::error_code& ec) {
    if (ec) return;
    sign_checkpoint_if_grown(checkpoints, "timer");
    sign_checkpoints_every(timer, interval, checkpoints);
  });
}

}  // namespace sterifleet::app
