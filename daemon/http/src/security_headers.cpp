#include "security_headers.hpp"

#include <string_view>

namespace sterifleet::http {

namespace {

// The dashboard loads its scripts, styles and data from this origin only and may not be framed
// (clickjacking); an API answer is data, never a document to run. Neither sends a Referer onwards.
constexpr std::string_view dashboard_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
constexpr std::string_view api_policy = "default-src 'none'; frame-ancestors 'none'";

}  // namespace

void set_security_headers(Response& response, bool dashboard) {
  response.set("Content-Security-Policy", dashboard ? dashboard_policy : api_policy);
  response.set(boost::beast::http::field::x_frame_options, "DENY");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Content-Type-Options", "nosniff");
}

}  // namespace sterifleet::http
