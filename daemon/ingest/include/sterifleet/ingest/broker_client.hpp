// The seam in front of the MQTT library: what the ingest needs of a broker connection, so that grouping,
// back-pressure, the command outbox and reconnection are tested without a broker (PahoClient is the
// real one).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sterifleet::ingest {

/// A message as the broker delivered it; `owner` keeps what `topic` and `payload` view alive.
struct InboundMessage {
  std::shared_ptr<const void> owner;
  std::string_view topic;
  std::string_view payload;
  bool retained = false;
};

/// Whether the broker keeps a publication for every later subscriber (the audit checkpoint) or passes
/// it on once (commands).
enum class Retain : bool { no = false, yes = true };

class BrokerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One client session with the broker (QoS 1 throughout). The handlers run on the client's own thread,
/// one at a time; a message counts as received (the broker may forget it) when its handler returns.
class BrokerClient {
 public:
  struct Handlers {
    std::function<void(InboundMessage)> message;
    /// An established connection ended; nothing reconnects by itself.
    std::function<void(const std::string& cause)> connection_lost;
  };
  /// Called with an empty string once connected, else with why the attempt failed.
  using ConnectDone = std::function<void(const std::string& error)>;
  /// Called once the broker answered a subscription: true when it granted every filter. Not called when
  /// the request never reached it (the connection went first).
  using Subscribed = std::function<void(bool granted)>;

  virtual ~BrokerClient() = default;
  /// Before the first connect.
  virtual void set_handlers(Handlers handlers) = 0;
  /// Starts one connection attempt (never two at once). `done` runs on the client's thread.
  virtual void connect(ConnectDone done) = 0;
  /// Asks for the filters at QoS 1; a refusal is logged by the client. `done` (may be empty) runs on the
  /// client's thread.
  virtual void subscribe(const std::vector<std::string>& filters, Subscribed done) = 0;
  /// Queues a QoS 1 publication (kept while disconnected, up to the client's buffer). Throws BrokerError.
  virtual void publish(const std::string& topic, const std::string& payload, Retain retain) = 0;
  /// Ends the session politely, waiting at most `timeout`; harmless when not connected.
  virtual void disconnect(std::chrono::milliseconds timeout) = 0;
};

}  // namespace sterifleet::ingest
