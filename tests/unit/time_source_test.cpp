// The time seam itself: the production timers (Asio) and the tests' manual clock keep the
// same contract (core/time_source.hpp). Production waits here are for instants already
// past, so nothing waits for real time.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <string>
#include <vector>

#include "fake_ledger.hpp"
#include "runtime/asio_time_source.hpp"
#include "support/manual_clock.hpp"

using namespace pantau;
using namespace std::chrono_literals;

TEST_CASE("asio time source: a due wait runs once from the loop; a cancelled, replaced or "
          "destroyed one never runs") {
    boost::asio::io_context io;
    asio_time_source source(io);
    const mono_time past = source.mono_now() - 1s;
    std::vector<std::string> ran;

    auto a = source.make_timer();
    a->async_wait_until(past, [&] { ran.push_back("a"); });
    CHECK(a->expiry() == past);
    CHECK(ran.empty()); // never from inside async_wait_until
    io.poll();
    CHECK(ran == std::vector<std::string>{"a"});
    CHECK_FALSE(a->expiry());

    auto b = source.make_timer();
    b->async_wait_until(past, [&] { ran.push_back("b"); });
    b->cancel();
    CHECK_FALSE(b->expiry());
    auto c = source.make_timer();
    c->async_wait_until(past, [&] { ran.push_back("c1"); });
    c->async_wait_until(past, [&] { ran.push_back("c2"); });
    auto d = source.make_timer();
    d->async_wait_until(past, [&] { ran.push_back("d"); });
    d.reset();
    io.restart();
    io.poll();
    CHECK(ran == std::vector<std::string>{"a", "c2"});

    // A handler may re-arm its own timer.
    int runs = 0;
    std::function<void()> again = [&] {
        if (++runs < 3) {
            a->async_wait_until(past, again);
        }
    };
    a->async_wait_until(past, again);
    io.restart();
    io.poll();
    CHECK(runs == 3);
}

TEST_CASE("manual clock: waits run in time order, each at its own instant, with what they post") {
    boost::asio::io_context io;
    const wall_time start = pantau::testing::wib(2026, 12, 1, 9, 0);
    test::manual_clock clock(io, start);
    const mono_time t0 = clock.mono_now();
    std::vector<std::pair<std::string, mono_time>> ran;
    const auto note = [&](std::string what) {
        ran.emplace_back(std::move(what), clock.mono_now());
    };

    auto late = clock.make_timer();
    auto early = clock.make_timer();
    auto twice = clock.make_timer();
    auto gone = clock.make_timer();
    late->async_wait_until(t0 + 3s, [&] { note("late"); });
    early->async_wait_until(t0 + 1s, [&] {
        note("early");
        // Work posted by a handler runs at the handler's instant.
        boost::asio::post(io, [&] { note("posted"); });
        // A wait armed by a handler for a time within the advance runs in it.
        twice->async_wait_until(t0 + 2s, [&] { note("armed by early"); });
    });
    gone->async_wait_until(t0 + 2s, [&] { note("gone"); });
    gone->cancel();
    CHECK(clock.pending() == 2);

    clock.advance(5s);
    CHECK(ran == std::vector<std::pair<std::string, mono_time>>{{"early", t0 + 1s},
                                                                {"posted", t0 + 1s},
                                                                {"armed by early", t0 + 2s},
                                                                {"late", t0 + 3s}});
    CHECK(clock.mono_now() == t0 + 5s);
    CHECK(clock.wall_now() == start + 5s);
    CHECK(clock.pending() == 0);
    CHECK_FALSE(late->expiry());

    // settle() runs what is due now without moving time.
    ran.clear();
    late->async_wait_until(t0 + 5s, [&] { note("now"); });
    late->async_wait_until(t0 + 4s, [&] { note("replaced, and past"); });
    clock.settle();
    CHECK(ran == std::vector<std::pair<std::string, mono_time>>{{"replaced, and past", t0 + 5s}});
    CHECK(clock.mono_now() == t0 + 5s);
}
