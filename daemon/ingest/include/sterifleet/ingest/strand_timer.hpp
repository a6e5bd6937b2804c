// A steady timer whose executor is the strand it runs on.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>

namespace sterifleet::ingest {

// Typed on the strand so that it is never converted to any_io_executor: that conversion makes GCC 12
// at -O3 report null dereferences inside Asio's strand comparison (false positives).
using StrandTimer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>,
                                      boost::asio::strand<boost::asio::any_io_executor>>;

}  // namespace sterifleet::ingest
