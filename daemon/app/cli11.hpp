// CLI11, for the two command lines of daemon/app.
#pragma once

// GCC 12 at -O2 reports a null dereference inside CLI11's string splitting (a false positive in
// third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
