// A time_source for tests: time stands still until the test moves it. Wall and monotonic
// time move together. Timers keep their waits here; advance() runs the waits that fall due
// in time order, each at its own instant, and after each one runs what became ready on the
// event loop (probe results, channel answers), so everything that would have happened in
// between happens, in order, without waiting.
//
// Thread-safety: none; the test drives it and the io_context from one thread.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "core/time_source.hpp"

namespace pantau::test {

class manual_timer;

class manual_clock final : public time_source {
public:
    // Starts at `wall_start` (monotonic time starts at an arbitrary, fixed point). `io`
    // runs the handlers; it must outlive the clock, and timers must not outlive the clock.
    manual_clock(boost::asio::io_context& io, wall_time wall_start);
    ~manual_clock() override;

    wall_time wall_now() const override { return wall_start_ + (now_ - mono_start_); }
    mono_time mono_now() const override { return now_; }
    std::unique_ptr<timer> make_timer() override;

    // Moves time forward by `d`, running every wait that falls due on the way (in time
    // order, ties in the order they were armed) with the clock reading its due time.
    void advance(std::chrono::nanoseconds d);
    // Runs what is ready without moving time: handlers posted to the loop and waits due
    // now. Throws when handlers keep re-arming at the same instant (a busy loop).
    void settle();

    // Waits pending (armed, not yet run or cancelled).
    std::size_t pending() const { return waits_.size(); }

private:
    friend class manual_timer;
    struct wait {
        manual_timer* owner; // a timer removes its wait before it goes
        timer::handler h;
    };
    using wait_key = std::pair<mono_time, std::uint64_t>; // due time, order armed

    wait_key arm(manual_timer* owner, mono_time at, timer::handler h);
    void disarm(const wait_key& key);
    void run_due(mono_time until);
    void poll();

    boost::asio::io_context& io_;
    wall_time wall_start_;
    mono_time mono_start_;
    mono_time now_;
    std::map<wait_key, wait> waits_;
    std::uint64_t next_seq_ = 0;
};

} // namespace pantau::test
