#include "sse_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

namespace sterifleet::http {

namespace {

// The browser's EventSource reconnects after this long when the stream breaks.
constexpr std::string_view stream_prologue = "retry: 3000\n: connected\n\n";
constexpr std::string_view heartbeat_text = ": heartbeat\n\n";
constexpr std::string_view revoked_text = "event: revoked\ndata: {}\n\n";
constexpr std::string_view last_chunk = "0\r\n\r\n";

}  // namespace

std::string http_chunk(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 24);
  fmt::format_to(std::back_inserter(out), "{:x}\r\n{}\r\n", data.size(), data);
  return out;
}

std::string sse_event(const std::string& event) {
  const auto parsed = nlohmann::json::parse(event, nullptr, false);
  std::string type = "message";
  if (parsed.is_object() && parsed.contains("type") && parsed["type"].is_string()) type = parsed["type"];
  // The bus's events are compact JSON: one line, so one data field.
  return "event: " + type + "\ndata: " + event + "\n\n";
}

template <class Stream>
SseSession<Stream>::SseSession(Stream stream, std::shared_ptr<ServerState> state, Connections::Slot slot,
                               TokenPlaces::Place connection, TokenPlaces::Place place)
    : stream_(std::move(stream)),
      executor_(stream_.get_executor()),
      state_(std::move(state)),
      slot_(std::move(slot)),
      connection_(std::move(connection)),
      place_(std::move(place)),
      heartbeat_(executor_) {}

template <class Stream>
SseSession<Stream>::~SseSession() {
  if (subscription_) state_->metrics.stream_closed();
}

template <class Stream>
void SseSession<Stream>::start(Response head, store::ClinicScope scope) {
  slot_.bind(this->weak_from_this());
  if (!place_.bind(std::weak_ptr<Revocable>(this->shared_from_this()))) {
    return shut("revoked", {});  // between authentication and now: nothing was sent yet
  }
  subscription_ = state_->events.subscribe(state_->options.stream_queue, std::move(scope));
  state_->metrics.stream_opened();
  subscription_->on_ready([weak = this->weak_from_this()] {
    if (auto self = weak.lock()) self->notified();
  });
  head.chunked(true);
  std::ostringstream header;
  header << head.base();
  beast::get_lowest_layer(stream_).expires_never();
  do_read();
  arm_heartbeat();
  write(header.str() + http_chunk(stream_prologue));
}

template <class Stream>
void SseSession<Stream>::close() {
  net::post(executor_, [self = this->shared_from_this()] { self->shut("stop", {}); });
}

template <class Stream>
void SseSession<Stream>::revoked() {
  net::post(executor_, [self = this->shared_from_this()] { self->end(); });
}

template <class Stream>
void SseSession<Stream>::end() {
  if (closed_ || ending_) return;
  ending_ = true;
  heartbeat_.cancel();
  last_ = http_chunk(revoked_text) + std::string(last_chunk);
  if (!busy_) write(std::exchange(last_, {}));
}

template <class Stream>
void SseSession<Stream>::notified() {
  // Runs on the publisher's thread (inside the Fleet's commit): only schedule, never write here.
  if (scheduled_.exchange(true)) return;
  net::post(executor_, [self = this->shared_from_this()] {
    self->scheduled_ = false;
    self->pump();
  });
}

template <class Stream>
void SseSession<Stream>::pump() {
  if (busy_ || closed_ || ending_) return;
  std::size_t dropped = 0;
  const auto events = subscription_->drain(dropped);
  if (events.empty() && dropped == 0) return;
  std::string text;
  if (dropped > 0) {
    state_->metrics.stream_dropped(dropped);
    text += "event: dropped\ndata: {\"dropped\":" + std::to_string(dropped) + "}\n\n";
  }
  for (const auto& event : events) text += sse_event(event);
  write(http_chunk(text));
}

template <class Stream>
void SseSession<Stream>::write(std::string chunk) {
  busy_ = true;
  writing_ = std::move(chunk);
  beast::get_lowest_layer(stream_).expires_after(state_->options.write_timeout);
  net::async_write(stream_, net::buffer(writing_),
                   beast::bind_front_handler(&SseSession::on_write, this->shared_from_this()));
}

template <class Stream>
void SseSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  busy_ = false;
  if (ec) return shut("write", ec);
  writing_.clear();
  if (!last_.empty()) return write(std::exchange(last_, {}));
  if (ending_) return shut("revoked", {});
  pump();
}

template <class Stream>
void SseSession<Stream>::arm_heartbeat() {
  heartbeat_.expires_after(state_->options.heartbeat);
  heartbeat_.async_wait(beast::bind_front_handler(&SseSession::on_heartbeat, this->shared_from_this()));
}

template <class Stream>
void SseSession<Stream>::on_heartbeat(beast::error_code ec) {
  if (ec || closed_ || ending_) return;
  // A write still in flight is itself a sign of life; its own timeout judges a stalled client.
  if (!busy_) write(http_chunk(heartbeat_text));
  arm_heartbeat();
}

template <class Stream>
void SseSession<Stream>::do_read() {
  // A stream client sends nothing; reading only tells us at once when it goes away.
  stream_.async_read_some(net::buffer(read_buffer_),
                          beast::bind_front_handler(&SseSession::on_read, this->shared_from_this()));
}

template <class Stream>
void SseSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) return shut("read", ec);
  if (!closed_) do_read();
}

template <class Stream>
void SseSession<Stream>::shut(const char* why, beast::error_code ec) {
  if (closed_) return;
  closed_ = true;
  if (ec && ec != net::error::eof) fail(ec, why);
  heartbeat_.cancel();
  beast::get_lowest_layer(stream_).close();
}

template class SseSession<PlainStream>;
template class SseSession<TlsStream>;

}  // namespace sterifleet::http
