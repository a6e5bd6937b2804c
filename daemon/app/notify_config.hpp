// The [notify] part of sterifleetd's configuration: where alerts are delivered. Receivers and routes
// are arrays of tables ([[notify.receiver]], [[notify.route]]), so they are read here rather than by the
// flat key table of config_keys.cpp; deploy/sterifleetd.toml documents them with a commented example.
#pragma once

#include <toml++/toml.h>

#include <string_view>

#include "sterifleet/notify/routes.hpp"

namespace sterifleet::app {

/// Reads the table, secrets from their files. Throws std::runtime_error naming the file and line, the
/// key and what is wrong (one problem), or every inconsistency between routes and receivers.
notify::NotifyConfig read_notify_config(const toml::table& notify);

/// The commented example of [notify] that the documented configuration file ends with.
std::string_view notify_config_example();

}  // namespace sterifleet::app
