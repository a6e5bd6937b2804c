#include "http_session.hpp"

#include <spdlog/spdlog.h>

#include "router.hpp"
#include "sse_session.hpp"

namespace sterifleet::http {

namespace {

// What a client may still send after an error answer before we stop listening (so it reads the
// answer instead of a reset), and for how long.
constexpr std::size_t drain_limit = 4 * 1024 * 1024;
constexpr std::chrono::seconds drain_time{2};
constexpr std::chrono::seconds tls_shutdown_time{5};

constexpr std::string_view continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";

// An overflow connection holds a place a health probe may need next: one request, asked at once.
constexpr std::chrono::seconds overflow_time{2};
constexpr std::size_t first_read = 4096;

// The token key of a principal; the bootstrap secret has no token id and cannot be revoked by one.
std::string token_key(const Principal& who) { return who.token_id.empty() ? "(bootstrap)" : who.token_id; }

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(Stream stream, std::shared_ptr<ServerState> state, Connections::Slot slot)
    : stream_(std::move(stream)), executor_(stream_.get_executor()), state_(std::move(state)), slot_(std::move(slot)) {}

template <class Stream>
HttpSession<Stream>::~HttpSession() = default;

template <class Stream>
void HttpSession<Stream>::run() {
  slot_.bind(this->weak_from_this());
  // Accept completes outside the strand; every step from here runs on it.
  net::dispatch(executor_, [self = this->shared_from_this()] {
    if constexpr (tls) {
      beast::get_lowest_layer(self->stream_).expires_after(self->state_->options.header_timeout);
      self->stream_.async_handshake(net::ssl::stream_base::server,
                                    beast::bind_front_handler(&HttpSession::on_handshake, self));
    } else {
      self->do_read();
    }
  });
}

template <class Stream>
void HttpSession<Stream>::close() {
  net::post(executor_, [self = this->shared_from_this()] {
    if (self->handed_over_) return;
    beast::get_lowest_layer(self->stream_).close();
  });
}

template <class Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) return fail(ec, "tls handshake");
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  const auto& options = state_->options;
  parser_.emplace();
  parser_->header_limit(options.header_limit);
  // The larger limit until the header says which route it is (on_header): a declared length is
  // checked against it as the header completes.
  body_limit_ = std::max(options.body_limit, options.upload_limit);
  parser_->body_limit(body_limit_);
  if (buffer_.size() > 0) return read_header();  // a pipelined request has begun already
  const bool over = slot_.over() != Connections::Over::none;
  beast::get_lowest_layer(stream_).expires_after(over ? overflow_time : options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(first_read),
                          beast::bind_front_handler(&HttpSession::on_first_bytes, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_first_bytes(beast::error_code ec, std::size_t bytes) {
  if (ec == net::error::eof) return do_close();
  if (ec) return fail(ec, "wait for a request");
  buffer_.commit(bytes);
  read_header();
}

template <class Stream>
void HttpSession<Stream>::read_header() {
  const bool over = slot_.over() != Connections::Over::none;
  beast::get_lowest_layer(stream_).expires_after(over ? overflow_time : state_->options.header_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&HttpSession::on_header, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_header(beast::error_code ec, std::size_t) {
  if (ec == bhttp::error::end_of_stream) return do_close();
  const auto& options = state_->options;
  // A declared Content-Length over the limit is refused before a byte of the body is read (the header
  // is complete: it is the length that failed).
  if (ec == bhttp::error::body_limit) {
    body_limit_ = route_body_limit();
    return refuse_body_over_limit();
  }
  if (ec == bhttp::error::header_limit) {
    return refuse(ErrorCode::bad_request,
                  "the request header exceeds the limit of " + std::to_string(options.header_limit) + " bytes");
  }
  if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return refuse(ErrorCode::bad_request, "malformed HTTP request: " + ec.message());
  }
  if (ec) return fail(ec, "read header");
  body_limit_ = route_body_limit();
  if (parser_->content_length().value_or(0) > body_limit_) return refuse_body_over_limit();
  parser_->body_limit(body_limit_);
  if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
    return net::async_write(stream_, net::buffer(continue_100.data(), continue_100.size()),
                            beast::bind_front_handler(&HttpSession::on_continue, this->shared_from_this()));
  }
  read_body();
}

// Only a caller who may verify reports gets the upload limit: the token is checked here, before the body
// is read, so that an anonymous client cannot make the server hold upload_limit bytes per connection.
template <class Stream>
std::uint64_t HttpSession<Stream>::route_body_limit() {
  const auto& header = parser_->get();
  upload_route_ = header.method() == bhttp::verb::post && path_of(header.target()) == report_verify_route;
  may_upload_ = upload_route_ && state_->api.may_upload(header[bhttp::field::authorization]);
  return may_upload_ ? state_->options.upload_limit : state_->options.body_limit;
}

template <class Stream>
void HttpSession<Stream>::refuse_body_over_limit() {
  std::string why = "the request body exceeds the limit of " + std::to_string(body_limit_) + " bytes";
  if (may_upload_) {
    why += " (http.upload_limit; `sterifleet report verify` on the daemon's host checks a report of any size)";
  } else if (upload_route_) {
    why += " (a larger report needs an auditor's or admin's token)";
  }
  refuse(ErrorCode::payload_too_large, why);
}

template <class Stream>
void HttpSession<Stream>::on_continue(beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "write 100-continue");
  read_body();
}

template <class Stream>
void HttpSession<Stream>::read_body() {
  if (parser_->is_done()) return handle();
  beast::get_lowest_layer(stream_).expires_after(state_->options.read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&HttpSession::on_body, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_body(beast::error_code ec, std::size_t) {
  if (ec == bhttp::error::body_limit) return refuse_body_over_limit();
  if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return refuse(ErrorCode::bad_request, "malformed HTTP request: " + ec.message());
  }
  if (ec) return fail(ec, "read body");
  handle();
}

template <class Stream>
void HttpSession<Stream>::handle() {
  auto request = parser_->release();
  if (slot_.over() != Connections::Over::none) return answer_overflow(request);
  std::string method(request.method_string());
  const auto started = std::chrono::steady_clock::now();
  auto self = this->shared_from_this();
  const bool posted =
      state_->workers.post([self, request = std::move(request), started, method = std::move(method)]() mutable {
        auto reply = self->state_->api.handle(
            request, [&self](const Principal& who, std::string_view route) { return self->admit(who, route); });
        net::post(self->executor_, [self, reply = std::move(reply), started, method = std::move(method)]() mutable {
          self->send(std::move(reply), started, method);
        });
      });
  if (!posted) do_close();  // the server is stopping
}

// Here, on the strand and not on a worker: health and readiness must answer even when every worker
// is busy, and both are cheap.
template <class Stream>
void HttpSession<Stream>::answer_overflow(const Request& request) {
  const auto started = std::chrono::steady_clock::now();
  const auto path = path_of(request.target());
  Reply reply;
  if (request.method() == bhttp::verb::get && (path == "/healthz" || path == "/readyz")) {
    reply = state_->api.handle(request);
  } else {
    reply.response = refusal(slot_.over() == Connections::Over::total ? Limit::connections : Limit::client_connections);
    reply.route = "refused";
  }
  reply.response.keep_alive(false);  // the overflow place is for one request
  send(std::move(reply), started, std::string(request.method_string()));
}

template <class Stream>
std::optional<Response> HttpSession<Stream>::admit(const Principal& who, std::string_view route) {
  const auto token = token_key(who);
  if (!token_connection_ || token_connection_.token() != token) {
    token_connection_ = {};
    auto taken = state_->places->try_take(TokenPlaces::Kind::connection, token);
    if (const auto* limit = std::get_if<Limit>(&taken)) return refusal(*limit);
    token_connection_ = std::move(std::get<TokenPlaces::Place>(taken));
  }
  if (route == stream_route) {
    auto taken = state_->places->try_take(TokenPlaces::Kind::stream, token);
    if (const auto* limit = std::get_if<Limit>(&taken)) return refusal(*limit);
    stream_place_ = std::move(std::get<TokenPlaces::Place>(taken));
  }
  return std::nullopt;
}

template <class Stream>
Response HttpSession<Stream>::refusal(Limit limit) {
  state_->metrics.refused(limit);
  spdlog::debug("http: refused by the {} limit", to_string(limit));
  return over_limit(limit, state_->options);
}

template <class Stream>
void HttpSession<Stream>::send(Reply reply, std::chrono::steady_clock::time_point started, std::string method) {
  const auto seconds = seconds_since(started);
  state_->metrics.request(reply.route, method, reply.response.result_int(), seconds);
  spdlog::debug("http {} {} -> {} in {:.1f} ms", method, reply.route, reply.response.result_int(), seconds * 1e3);
  if (reply.stream) {
    handed_over_ = true;
    auto stream = std::make_shared<SseSession<Stream>>(std::move(stream_), state_, std::move(slot_),
                                                       std::move(token_connection_), std::move(stream_place_));
    return stream->start(std::move(reply.response), std::move(reply.stream_scope));
  }
  stream_place_ = {};  // the stream request was refused after admission
  response_ = std::move(reply.response);
  close_after_write_ = response_.need_eof();
  beast::get_lowest_layer(stream_).expires_after(state_->options.write_timeout);
  bhttp::async_write(stream_, response_, beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::refuse(ErrorCode code, const std::string& message) {
  state_->metrics.request("unread", "-", static_cast<unsigned>(status_of(code)), 0);
  response_ = error_response(code, message);
  response_.keep_alive(false);
  close_after_write_ = true;
  linger_ = true;
  beast::get_lowest_layer(stream_).expires_after(state_->options.write_timeout);
  bhttp::async_write(stream_, response_, beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "write");
  response_ = {};
  if (close_after_write_) return do_close();
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_close() {
  if constexpr (tls) {
    beast::get_lowest_layer(stream_).expires_after(tls_shutdown_time);
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code ec) { fail(ec, "tls shutdown"); });
  } else {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger_) {
      beast::get_lowest_layer(stream_).expires_after(drain_time);
      drain();
    }
  }
}

template <class Stream>
void HttpSession<Stream>::drain() {
  stream_.async_read_some(net::buffer(drain_buffer_),
                          beast::bind_front_handler(&HttpSession::on_drain, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_drain(beast::error_code ec, std::size_t bytes) {
  drained_ += bytes;
  if (!ec && drained_ < drain_limit) drain();
}

void fail(beast::error_code ec, const char* what) {
  if (!ec || ec == net::error::operation_aborted) return;
  // Peers that leave, time out or speak garbage are everyday events on a network port.
  spdlog::debug("http {}: {}", what, ec.message());
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace sterifleet::http
