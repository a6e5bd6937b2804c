// What the single daemon (daemon.hpp) and a cluster's daemon (cluster_daemon.hpp) build alike from the
// configuration: the end on a storage failure, the clock, the HTTP options, the audit checkpoint signer.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

#include "checkpoint_signer.hpp"
#include "config.hpp"
#include "sterifleet/http/api.hpp"

namespace sterifleet::app {

/// A part could not start; `exit_code` says whether restarting may help (daemon_command_line.hpp).
class StartError : public std::runtime_error {
 public:
  StartError(int code, const std::string& what) : std::runtime_error(what), exit_code(code) {}
  int exit_code;
};

/// Logs and ends the process at once (exit_storage): no unwinding, so nothing more is acknowledged or
/// written.
[[noreturn]] void die(const std::string& why);

protocol::Timestamp system_now();

/// The configured HTTP options with the daemon's notification actions, checkpoint signing and fatal
/// handler; throws StartError for a bootstrap token too short to be safe.
http::HttpOptions http_options(const Config& config, http::NotifyActions notify, CheckpointSigner& checkpoints);

/// audit.checkpoint_receivers: each checkpoint `checkpoints` signs is sent to those [notify] receivers, once,
/// from `senders` (a failure is logged; the checkpoints file keeps it). `config` must outlive the signer.
/// Throws StartError for a receiver that is not a webhook or email receiver of [notify].
void forward_checkpoints(const Config& config, CheckpointSigner& checkpoints, boost::asio::thread_pool& senders);

/// The signer of audit checkpoints with the configured (or a new) key, appending to the configured file
/// and publishing with `publish`; throws StartError.
CheckpointSigner make_checkpoint_signer(const Config& config, store::Store& store, CheckpointSigner::Publish publish);

/// Signs a checkpoint of the store's head unless the last one is of it, saying so in the log. A
/// checkpoint that cannot be kept is loud but not fatal: the chain itself is intact in the store, and
/// the next one covers everything this one would have.
void sign_checkpoint_if_grown(CheckpointSigner& checkpoints, const char* when);

/// Signs (if grown) every `interval` on `timer` until its io_context stops.
void sign_checkpoints_every(boost::asio::steady_timer& timer, std::chrono::seconds interval,
                            CheckpointSigner& checkpoints);

}  // namespace sterifleet::app
