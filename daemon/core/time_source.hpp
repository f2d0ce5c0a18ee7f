// The runtime's one seam for time: what time it is (wall and monotonic) and timers that
// wait for monotonic time. The monitor, recorder, notifier, coordinator, API and status
// page read time only through it; core logic never reads it (the edge passes time in).
//
// Implementations: runtime/asio_time_source (the system clocks, boost::asio::steady_timer
// on the event loop) and, for tests, tests/support/manual_clock (time moves only when the
// test advances it, and the waits that fall due run in time order).
//
// Which clock for what: monotonic time drives intervals, thresholds, retries and every
// timer (it never jumps); wall time is what people read and what the ledger keeps (outage
// start and end, heartbeats). Escalation is measured from the outage start in wall time,
// because that start comes from the ledger and must mean the same after a restart.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace pantau {

using wall_time = std::chrono::system_clock::time_point;
using mono_time = std::chrono::steady_clock::time_point;

// One pending wait at a time, like boost::asio::steady_timer. Made by a time_source, which
// it must not outlive. Not thread-safe: used on the event loop thread only.
class timer {
public:
    using handler = std::function<void()>;

    virtual ~timer() = default;
    timer() = default;
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;
    timer(timer&&) = delete;
    timer& operator=(timer&&) = delete;

    // Runs `h` on the event loop once monotonic time reaches `at` (soon, when `at` has
    // passed); never from inside this call. Replaces the pending wait, if any: a replaced,
    // cancelled or destroyed timer's handler never runs. `h` must not throw.
    virtual void async_wait_until(mono_time at, handler h) = 0;

    // Drops the pending wait; its handler never runs.
    virtual void cancel() = 0;

    // When the pending wait falls due; nullopt when none is pending (never armed, already
    // run, or cancelled).
    virtual std::optional<mono_time> expiry() const = 0;
};

class time_source {
public:
    virtual ~time_source() = default;
    time_source() = default;
    time_source(const time_source&) = delete;
    time_source& operator=(const time_source&) = delete;
    time_source(time_source&&) = delete;
    time_source& operator=(time_source&&) = delete;

    virtual wall_time wall_now() const = 0;
    virtual mono_time mono_now() const = 0;
    // A timer on this source's clock whose handlers run on its event loop.
    virtual std::unique_ptr<timer> make_timer() = 0;
};

} // namespace pantau
