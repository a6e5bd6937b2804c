// Headers on every answer, refusals of the connection limits included.
#pragma once

#include "sterifleet/http/api.hpp"

namespace sterifleet::http {

/// `dashboard`: a page of the dashboard, which runs its own scripts; else data, never a document to run.
void set_security_headers(Response& response, bool dashboard);

}  // namespace sterifleet::http
