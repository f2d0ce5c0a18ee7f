// Scheduler timing with a manual clock: times are constructed, never read.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/schedule.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {

const mono_time t0 = mono_time{} + 1000h; // an arbitrary epoch

std::vector<schedule::start> due_at(schedule& s, mono_time now) {
    std::vector<schedule::start> out;
    s.take_due(now, out);
    return out;
}

} // namespace

TEST_CASE("schedule: stable_phase is stable, in range and spreads keys") {
    const auto a = stable_phase("dukcapil/akta/portal", 60s);
    CHECK(a == stable_phase("dukcapil/akta/portal", 60s));
    CHECK(a >= 0s);
    CHECK(a < 60s);
    std::set<std::int64_t> distinct_ms;
    for (int i = 0; i < 10000; ++i) {
        distinct_ms.insert(std::chrono::duration_cast<std::chrono::milliseconds>(
                               stable_phase("agency/service/check-" + std::to_string(i), 60s))
                               .count());
    }
    // 10,000 checks at 60 s land on thousands of distinct milliseconds, not a few.
    CHECK(distinct_ms.size() > 5000);
}

TEST_CASE("schedule: 10,000 checks at 60s never fire more than a handful per millisecond") {
    schedule s(t0, 100000);
    for (int i = 0; i < 10000; ++i) {
        s.add(60s, stable_phase("a/s/c" + std::to_string(i), 60s), t0);
    }
    std::map<std::int64_t, int> per_ms;
    std::vector<schedule::start> out;
    for (int ms = 0; ms <= 60000; ++ms) {
        out.clear();
        s.take_due(t0 + std::chrono::milliseconds(ms), out);
        if (!out.empty()) {
            per_ms[ms] = static_cast<int>(out.size());
        }
    }
    int total = 0;
    int busiest = 0;
    for (const auto& [ms, n] : per_ms) {
        total += n;
        busiest = std::max(busiest, n);
    }
    CHECK(total == 10000); // each ran exactly once in the first interval
    CHECK(busiest <= 10);
}

TEST_CASE("schedule: first run at the phase, then every interval, no drift") {
    schedule s(t0, 10);
    const auto id = s.add(30s, 7s, t0);
    CHECK(due_at(s, t0 + 6s).empty());
    REQUIRE(s.next_wakeup() == t0 + 7s);
    auto run = due_at(s, t0 + 7s);
    REQUIRE(run.size() == 1);
    CHECK(run[0].check == id);
    CHECK(run[0].lag == 0s);
    // The probe takes 2 s; the next run is still phase-aligned at 37 s, not 39 s.
    s.finish(id, t0 + 9s, std::nullopt, 0s);
    CHECK(s.next_wakeup() == t0 + 37s);
    CHECK(due_at(s, t0 + 36s).empty());
    CHECK(due_at(s, t0 + 37s).size() == 1);
}

TEST_CASE("schedule: a check added mid-interval waits for its slot") {
    schedule s(t0, 10);
    s.add(60s, 10s, t0 + 15s);
    CHECK(s.next_wakeup() == t0 + 70s);
}

TEST_CASE("schedule: at most one run in flight per check") {
    schedule s(t0, 10);
    const auto id = s.add(10s, 0s, t0);
    CHECK(due_at(s, t0).size() == 1);
    // Far past the next slot, but the run has not finished: nothing new starts.
    CHECK(due_at(s, t0 + 25s).empty());
    s.finish(id, t0 + 25s, std::nullopt, 0s);
    // It fell more than a whole interval behind: one run now (slot 20 s), lag 5 s, one skip.
    auto run = due_at(s, t0 + 25s);
    REQUIRE(run.size() == 1);
    CHECK(run[0].lag == 5s);
    CHECK(s.skipped() == 1);
}

TEST_CASE("schedule: a late finish runs the next slot immediately without skipping") {
    schedule s(t0, 10);
    const auto id = s.add(10s, 0s, t0);
    due_at(s, t0);
    s.finish(id, t0 + 12s, std::nullopt, 0s); // slot 10 s already passed, by less than 10 s
    auto run = due_at(s, t0 + 12s);
    REQUIRE(run.size() == 1);
    CHECK(run[0].lag == 2s);
    CHECK(s.skipped() == 0);
    s.finish(id, t0 + 13s, std::nullopt, 0s);
    CHECK(s.next_wakeup() == t0 + 20s); // back on the grid
}

TEST_CASE("schedule: retry_interval until decided, then back to the phase grid") {
    schedule s(t0, 10);
    const auto id = s.add(60s, 5s, t0);
    due_at(s, t0 + 5s);
    s.finish(id, t0 + 6s, nanoseconds{20s}, 0s); // failed: soft state, re-check in 20 s
    CHECK(s.next_wakeup() == t0 + 26s);
    auto retry = due_at(s, t0 + 26s);
    REQUIRE(retry.size() == 1);
    CHECK(retry[0].lag == 0s);
    s.finish(id, t0 + 27s, nanoseconds{20s}, 0s);
    due_at(s, t0 + 47s);
    s.finish(id, t0 + 48s, std::nullopt, 0s); // decided (hard down)
    CHECK(s.next_wakeup() == t0 + 65s);       // next aligned slot, not 48 + 60
    CHECK(s.skipped() == 0);
}

TEST_CASE("schedule: global cap on runs in flight queues the rest in due order") {
    schedule s(t0, 2);
    const auto a = s.add(10s, 1s, t0);
    const auto b = s.add(10s, 2s, t0);
    const auto c = s.add(10s, 3s, t0);
    auto first = due_at(s, t0 + 3s);
    REQUIRE(first.size() == 2);
    CHECK(first[0].check == a);
    CHECK(first[1].check == b);
    CHECK(s.in_flight() == 2);
    CHECK_FALSE(s.next_wakeup()); // nothing can start until a run finishes
    s.finish(a, t0 + 4500ms, std::nullopt, 0s);
    REQUIRE(s.next_wakeup());
    auto queued = due_at(s, t0 + 4500ms);
    REQUIRE(queued.size() == 1);
    CHECK(queued[0].check == c);
    CHECK(queued[0].lag == 1500ms); // lateness counts from its due time
}

TEST_CASE("schedule: jitter delays the next run a little") {
    schedule s(t0, 10);
    const auto id = s.add(10s, 0s, t0);
    due_at(s, t0);
    s.finish(id, t0 + 1s, std::nullopt, 30ms);
    CHECK(s.next_wakeup() == t0 + 10s + 30ms);
    auto run = due_at(s, t0 + 10s + 30ms);
    REQUIRE(run.size() == 1);
    CHECK(run[0].lag == 0s);
}

TEST_CASE("schedule: remove drops a check, even while in flight") {
    schedule s(t0, 10);
    const auto a = s.add(10s, 0s, t0);
    const auto b = s.add(10s, 1s, t0);
    due_at(s, t0); // a in flight
    s.remove(a);
    s.remove(b);
    CHECK(s.in_flight() == 0);
    CHECK(s.size() == 0);
    s.finish(a, t0 + 1s, std::nullopt, 0s); // late completion is ignored
    CHECK(due_at(s, t0 + 100s).empty());
    CHECK_FALSE(s.next_wakeup());
}

TEST_CASE("schedule: update changes the interval from the next slot") {
    schedule s(t0, 10);
    const auto id = s.add(60s, 0s, t0 + 1s); // first slot at 60 s
    s.update(id, 10s, 0s, t0 + 1s);
    CHECK(s.next_wakeup() == t0 + 10s);
}

TEST_CASE("schedule: run_now brings a waiting check forward once, then back to its slots") {
    schedule s(t0, 10);
    const auto id = s.add(60s, 10s, t0); // slots at t0+10s, t0+70s, ...
    REQUIRE(due_at(s, t0 + 10s).size() == 1);
    s.finish(id, t0 + 11s, std::nullopt, 0s); // next slot t0+70s
    s.run_now(id, t0 + 30s);                  // a heartbeat arrived
    CHECK(s.next_wakeup() == t0 + 30s);
    const auto now = due_at(s, t0 + 30s);
    REQUIRE(now.size() == 1);
    CHECK(now[0].lag == 0s);
    s.run_now(id, t0 + 31s); // in flight: no second run
    s.finish(id, t0 + 31s, std::nullopt, 0s);
    CHECK(s.next_wakeup() == t0 + 70s); // back on the grid, slot not lost
    CHECK(due_at(s, t0 + 69s).empty());
    CHECK(due_at(s, t0 + 70s).size() == 1);
    CHECK(s.skipped() == 0);
}
