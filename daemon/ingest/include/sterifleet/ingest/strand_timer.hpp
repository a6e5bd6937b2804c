// A steady timer whose executor is the strand it runs on.
#pragma once

#include <boost/asio/any_io_executor.hpp>
// The timer brings in io_context.hpp, whose executor comparison GCC 12 at -O3 reports as a potential
// null dereference wherever an io_context's executor becomes an any_io_executor (a false positive in
// third-party code; the suppression covers Asio's text only).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <boost/asio/strand.hpp>
#include <chrono>

namespace sterifleet::ingest {

// Typed on the strand so that it is never converted to any_io_executor: that conversion makes GCC 12
// at -O3 report null dereferences inside Asio's strand comparison (false positives).
using StrandTimer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>,
                                      boost::asio::strand<boost::asio::any_io_executor>>;

}  // namespace sterifleet::ingest
