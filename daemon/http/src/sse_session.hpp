// A live event stream (Server-Sent Events) on a connection taken over from an HttpSession: events of
// the EventBus as `event: alert|device`, a comment every heartbeat, `event: dropped` when the client
// fell behind. The bus never waits for us: events queue (bounded) in the subscription and we write
// them, all that are queued in one chunk, one write in flight; a client that does not read within the
// write timeout is disconnected. Revoking the stream's token ends it.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "net.hpp"

namespace sterifleet::http {

template <class Stream>
class SseSession : public Closable, public Revocable, public std::enable_shared_from_this<SseSession<Stream>> {
 public:
  /// `connection` and `place`: what the stream holds of its token's limits (token_places.hpp).
  SseSession(Stream stream, std::shared_ptr<ServerState> state, Connections::Slot slot, TokenPlaces::Place connection,
             TokenPlaces::Place place);
  ~SseSession() override;

  /// Writes `head` (status and headers; the body is chunked) and starts streaming the events of the
  /// clinics in `scope`. On the strand.
  void start(Response head, store::ClinicScope scope);
  void close() override;
  /// Ends the stream properly (`event: revoked`, then the chunked body's end) and closes it, so the
  /// client sees an ended stream rather than a broken one, and its reconnection is refused.
  void revoked() override;

 private:
  void notified();
  void pump();
  void write(std::string chunk);
  void on_write(beast::error_code ec, std::size_t bytes);
  void arm_heartbeat();
  void on_heartbeat(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void shut(const char* why, beast::error_code ec);
  void end();

  Stream stream_;
  net::any_io_executor executor_;
  std::shared_ptr<ServerState> state_;
  Connections::Slot slot_;
  TokenPlaces::Place connection_;
  TokenPlaces::Place place_;
  std::shared_ptr<fleet::EventBus::Subscription> subscription_;
  net::steady_timer heartbeat_;
  std::string writing_;  ///< the chunk in flight
  bool busy_ = false;
  bool closed_ = false;
  bool ending_ = false;                 ///< the last chunk is written (or waits in last_) and nothing follows it
  std::string last_;                    ///< the last chunk, while a write is in flight
  std::atomic<bool> scheduled_{false};  ///< a pump is posted; set from the publisher's thread
  std::array<char, 1024> read_buffer_{};
};

extern template class SseSession<PlainStream>;
extern template class SseSession<TlsStream>;

/// The SSE text of one bus event (JSON with "type"): "event: <type>\ndata: <json>\n\n".
std::string sse_event(const std::string& event);
/// One HTTP/1.1 chunk of `data`.
std::string http_chunk(std::string_view data);

}  // namespace sterifleet::http
