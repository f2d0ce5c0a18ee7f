// Every transition of the check health state machine, and the service rule.
#include <doctest/doctest.h>

#include <vector>

#include "core/health.hpp"

using namespace pantau;

namespace {

constexpr auto ok = probe_status::success;
constexpr auto fail = probe_status::failure;

} // namespace

TEST_CASE("health: starts unknown and is not deciding") {
    health_tracker h({3, 1});
    CHECK(h.state() == check_state::unknown);
    CHECK_FALSE(h.deciding());
}

TEST_CASE("health: unknown -> up on first success") {
    health_tracker h({3, 2});
    auto t = h.observe(ok, "http 200");
    REQUIRE(t);
    CHECK(t->from == check_state::unknown);
    CHECK(t->to == check_state::up);
    CHECK(t->reason == "http 200");
}

TEST_CASE("health: unknown -> pending -> down after failure_threshold failures") {
    health_tracker h({3, 1});
    auto t1 = h.observe(fail, "connection refused");
    REQUIRE(t1);
    CHECK(t1->to == check_state::pending);
    CHECK(h.deciding());
    CHECK_FALSE(h.observe(fail, "connection refused")); // still pending, 2 of 3
    CHECK(h.consecutive_failures() == 2);
    auto t3 = h.observe(fail, "connection refused");
    REQUIRE(t3);
    CHECK(t3->from == check_state::pending);
    CHECK(t3->to == check_state::down);
    CHECK(t3->reason == "connection refused");
    CHECK_FALSE(h.deciding());
}

TEST_CASE("health: unknown -> down at once with failure_threshold 1") {
    health_tracker h({1, 1});
    auto t = h.observe(fail, "http 503");
    REQUIRE(t);
    CHECK(t->from == check_state::unknown);
    CHECK(t->to == check_state::down);
}

TEST_CASE("health: up -> pending -> up is a soft failure, no outage") {
    health_tracker h({3, 1});
    h.observe(ok, "http 200");
    auto t = h.observe(fail, "timeout after 10s");
    REQUIRE(t);
    CHECK(t->from == check_state::up);
    CHECK(t->to == check_state::pending);
    auto back = h.observe(ok, "http 200");
    REQUIRE(back);
    CHECK(back->from == check_state::pending);
    CHECK(back->to == check_state::up);
    CHECK(h.consecutive_failures() == 0);
}

TEST_CASE("health: up -> down directly with failure_threshold 1") {
    health_tracker h({1, 1});
    h.observe(ok, "http 200");
    auto t = h.observe(fail, "http 500");
    REQUIRE(t);
    CHECK(t->from == check_state::up);
    CHECK(t->to == check_state::down);
}

TEST_CASE("health: a success in between resets the failure count") {
    health_tracker h({2, 1});
    h.observe(ok, "");
    h.observe(fail, "x");
    h.observe(ok, "");
    auto t = h.observe(fail, "x");
    REQUIRE(t);
    CHECK(t->to == check_state::pending); // not down: the count restarted
}

TEST_CASE("health: down -> up needs success_threshold consecutive successes") {
    health_tracker h({1, 3});
    h.observe(fail, "http 503");
    REQUIRE(h.state() == check_state::down);
    CHECK_FALSE(h.observe(ok, "http 200"));
    CHECK(h.deciding()); // collecting successes: re-check sooner
    CHECK_FALSE(h.observe(ok, "http 200"));
    auto t = h.observe(ok, "http 200");
    REQUIRE(t);
    CHECK(t->from == check_state::down);
    CHECK(t->to == check_state::up);
    CHECK_FALSE(h.deciding());
}

TEST_CASE("health: a failure while recovering restarts the success count") {
    health_tracker h({1, 2});
    h.observe(fail, "x");
    h.observe(ok, "");
    CHECK_FALSE(h.observe(fail, "x")); // stays down
    CHECK_FALSE(h.deciding());
    CHECK_FALSE(h.observe(ok, ""));
    auto t = h.observe(ok, "");
    REQUIRE(t);
    CHECK(t->to == check_state::up);
}

TEST_CASE("health: down stays down on more failures, without new transitions") {
    health_tracker h({2, 1});
    h.observe(fail, "a");
    h.observe(fail, "a");
    REQUIRE(h.state() == check_state::down);
    for (int i = 0; i < 5; ++i) {
        CHECK_FALSE(h.observe(fail, "a"));
    }
    CHECK(h.state() == check_state::down);
}

TEST_CASE("health: thresholds below 1 behave as 1") {
    health_tracker h({0, 0});
    auto t = h.observe(fail, "x");
    REQUIRE(t);
    CHECK(t->to == check_state::down);
    auto u = h.observe(ok, "");
    REQUIRE(u);
    CHECK(u->to == check_state::up);
}

TEST_CASE("health: raising the threshold on reload keeps the current state") {
    health_tracker h({1, 1});
    h.observe(fail, "x");
    h.set_limits({5, 1});
    CHECK(h.state() == check_state::down);
    CHECK(h.limits().failure_threshold == 5);
}

TEST_CASE("service: down when any check is hard down") {
    using s = check_state;
    CHECK(derive_service_state(std::vector<s>{}) == service_state::unknown);
    CHECK(derive_service_state(std::vector<s>{s::unknown, s::unknown}) == service_state::unknown);
    CHECK(derive_service_state(std::vector<s>{s::up, s::unknown}) == service_state::up);
    CHECK(derive_service_state(std::vector<s>{s::up, s::down}) == service_state::down);
    CHECK(derive_service_state(std::vector<s>{s::unknown, s::down}) == service_state::down);
}

TEST_CASE("health: a soft failure keeps the hard state it started from") {
    health_tracker fresh({3, 1});
    fresh.observe(fail, "x");
    CHECK(fresh.state() == check_state::pending);
    CHECK(fresh.hard_state() == check_state::unknown); // never succeeded: not up
    health_tracker was_up({3, 1});
    was_up.observe(ok, "");
    was_up.observe(fail, "x");
    CHECK(was_up.state() == check_state::pending);
    CHECK(was_up.hard_state() == check_state::up); // service stays up during the soft state
    was_up.observe(fail, "x");
    was_up.observe(fail, "x");
    CHECK(was_up.hard_state() == check_state::down);
    was_up.observe(ok, "");
    CHECK(was_up.hard_state() == check_state::up);
}

TEST_CASE("service: pending checks count by their hard state") {
    health_tracker a({3, 1});
    health_tracker b({3, 1});
    a.observe(fail, "x"); // pending from unknown
    b.observe(fail, "x");
    const std::vector<check_state> hard{a.hard_state(), b.hard_state()};
    CHECK(derive_service_state(hard) == service_state::unknown);
}

TEST_CASE("health: state names") {
    CHECK(to_string(check_state::unknown) == "unknown");
    CHECK(to_string(check_state::up) == "up");
    CHECK(to_string(check_state::pending) == "pending");
    CHECK(to_string(check_state::down) == "down");
    CHECK(to_string(service_state::down) == "down");
}

TEST_CASE("health: idle ends a down state and the next judgement starts afresh") {
    health_tracker h({2, 3});
    h.observe(fail, "no tickets served");
    h.observe(fail, "no tickets served");
    REQUIRE(h.state() == check_state::down);
    auto t = h.observe(probe_status::idle, "outside service hours");
    REQUIRE(t);
    CHECK(t->from == check_state::down);
    CHECK(t->to == check_state::idle);
    CHECK(h.hard_state() == check_state::idle);
    CHECK_FALSE(h.deciding());
    CHECK_FALSE(h.observe(probe_status::idle, "outside service hours")); // no new transition
    // The next morning one success is enough (no outage is open), like after a start ...
    auto up = h.observe(ok, "12 tickets served");
    REQUIRE(up);
    CHECK(up->from == check_state::idle);
    CHECK(up->to == check_state::up);
    // ... and failures count from zero again.
    h.observe(probe_status::idle, "");
    auto soft = h.observe(fail, "x");
    REQUIRE(soft);
    CHECK(soft->to == check_state::pending);
    CHECK(h.hard_state() == check_state::idle);
}

TEST_CASE("service: idle checks are left out, all idle makes the service idle") {
    using s = check_state;
    CHECK(derive_service_state(std::vector<s>{s::idle}) == service_state::idle);
    CHECK(derive_service_state(std::vector<s>{s::idle, s::idle}) == service_state::idle);
    CHECK(derive_service_state(std::vector<s>{s::idle, s::up}) == service_state::up);
    CHECK(derive_service_state(std::vector<s>{s::idle, s::down}) == service_state::down);
    CHECK(derive_service_state(std::vector<s>{s::idle, s::unknown}) == service_state::unknown);
    CHECK(to_string(s::idle) == "idle");
    CHECK(to_string(service_state::idle) == "idle");
}
