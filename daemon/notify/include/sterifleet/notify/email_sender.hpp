// The email receiver: a delivery rendered as a plain-text message a clinic manager can act on, and sent
// through an SMTP server with libcurl (STARTTLS required unless the receiver says otherwise, AUTH).
#pragma once

#include <functional>
#include <string>

#include "sterifleet/notify/receivers.hpp"
#include "sterifleet/notify/sender.hpp"

namespace sterifleet::notify {

/// The RFC 5322 message for `delivery` (CRLF line ends, every line under 998 octets): headers from
/// `receiver` and `now`, a Message-ID derived from the delivery's id (so a retried delivery is recognised
/// as the same mail), and a UTF-8 body per notice: what happened, which device and session, what to do,
/// the dashboard link, and the ids that tell duplicates apart. Text from the alert never reaches a header
/// with a line break in it. Pure: no I/O, no clock.
std::string email_message(const Delivery& delivery, const EmailReceiver& receiver, Timestamp now);

/// Thread-safety: send() may be called from several threads at once (each call has its own curl handle).
class EmailSender : public Sender {
 public:
  using Clock = std::function<Timestamp()>;

  /// Throws std::invalid_argument when the settings cannot work: a URL other than smtp:// or smtps://,
  /// no sender or no recipient, or an address with a control character or a non-ASCII byte in it.
  explicit EmailSender(EmailReceiver settings, Clock clock = {});

  /// Delivered when the server accepted the message for every recipient (status: its last reply code).
  /// Everything else is a retry whose answer says why: authentication refused, no STARTTLS offered while
  /// TLS is required (nothing is then sent in clear), or curl's error and the server's last reply.
  SendResult send(const Delivery& delivery) override;

 private:
  EmailReceiver settings_;
  Clock clock_;
};

}  // namespace sterifleet::notify
