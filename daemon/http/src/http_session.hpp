// One HTTP/1.1 connection (plain or TLS): waits for a request (idle timeout), reads its header (header
// timeout) and body (read timeout) within the size limits, has the Api answer it on a worker, writes
// the reply (one write in flight), and repeats while the client keeps it alive. A stream request hands
// the socket to an SseSession. A connection on an overflow place gets one request, answered only for
// health and readiness. All steps run on the connection's strand.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>

#include "errors.hpp"
#include "net.hpp"

namespace sterifleet::http {

template <class Stream>
class HttpSession : public Closable, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream stream, std::shared_ptr<ServerState> state, Connections::Slot slot);
  ~HttpSession() override;

  void run();
  void close() override;

 private:
  static constexpr bool tls = std::is_same_v<Stream, TlsStream>;

  void on_handshake(beast::error_code ec);
  void do_read();
  void on_first_bytes(beast::error_code ec, std::size_t bytes);
  void read_header();
  void on_header(beast::error_code ec, std::size_t bytes);
  void on_continue(beast::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(beast::error_code ec, std::size_t bytes);
  void handle();
  void answer_overflow(const Request& request);
  /// On a worker, after authentication: counts the connection (and a stream) for the token.
  std::optional<Response> admit(const Principal& who, std::string_view route);
  Response refusal(Limit limit);
  void send(Reply reply, std::chrono::steady_clock::time_point started, std::string method);
  void on_write(beast::error_code ec, std::size_t bytes);
  /// Answers an error and closes: the unread rest of the request makes the connection unusable.
  void refuse(ErrorCode code, const std::string& message);
  /// The body limit of the request whose header was read.
  std::uint64_t route_body_limit();
  void refuse_body_over_limit();
  void do_close();
  void drain();
  void on_drain(beast::error_code ec, std::size_t bytes);

  Stream stream_;
  net::any_io_executor executor_;  ///< the connection's strand
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::uint64_t body_limit_ = 0;  ///< the request's: an upload's or any other's
  bool upload_route_ = false;     ///< the request is a report sent to be verified ...
  bool may_upload_ = false;       ///< ... by a caller who may
  std::shared_ptr<ServerState> state_;
  Connections::Slot slot_;  ///< after state_: its observer lives there
  // Taken by admit() on a worker while the strand waits for its answer, then used on the strand.
  TokenPlaces::Place token_connection_;
  TokenPlaces::Place stream_place_;
  Response response_;  ///< the one write in flight
  bool close_after_write_ = false;
  bool handed_over_ = false;  ///< the socket went to an event stream
  bool linger_ = false;       ///< drain what the client still sends before closing
  std::size_t drained_ = 0;
  std::array<char, 16 * 1024> drain_buffer_{};
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace sterifleet::http
