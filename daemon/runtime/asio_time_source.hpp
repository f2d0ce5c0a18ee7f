// The production time_source (core/time_source.hpp): the system clocks, and timers that
// are boost::asio::steady_timers on the daemon's event loop.
//
// Thread-safety: reading the time is; timers are used on the loop's thread only.
#pragma once

#include <boost/asio/io_context.hpp>

#include "core/time_source.hpp"

namespace pantau {

class asio_time_source final : public time_source {
public:
    // `io` must outlive the source and every timer made from it.
    explicit asio_time_source(boost::asio::io_context& io) : io_(io) {}

    wall_time wall_now() const override { return std::chrono::system_clock::now(); }
    mono_time mono_now() const override { return std::chrono::steady_clock::now(); }
    std::unique_ptr<timer> make_timer() override;

private:
    boost::asio::io_context& io_;
};

} // namespace pantau
