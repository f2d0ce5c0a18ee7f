// Maintenance windows and retry backoff: pure functions, times passed in.
#include "core/backoff.hpp"
#include "core/maintenance.hpp"
#include "core/time_format.hpp"

#include <doctest/doctest.h>

#include "fake_ledger.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using pantau::testing::wib;

namespace {

// Saturday 22:00 - Sunday 02:00 local, at the given offset.
maintenance_window saturday_night(std::chrono::minutes offset = 7h) {
    maintenance_window w;
    w.id = "config-1";
    w.agency = "dukcapil";
    w.service = "akta-online";
    weekly_window k;
    k.days[5] = true; // sat
    k.from = 22h;
    k.to = 2h;
    k.utc_offset = offset;
    w.weekly = k;
    return w;
}

} // namespace

TEST_CASE("maintenance: a weekly window across midnight") {
    const maintenance_window w = saturday_night();
    // 2026-12-05 is a Saturday.
    SUBCASE("before it opens on Saturday") {
        CHECK_FALSE(active_until(w, wib(2026, 12, 5, 21, 59)));
    }
    SUBCASE("open from Saturday 22:00 until Sunday 02:00") {
        CHECK(active_until(w, wib(2026, 12, 5, 22, 0)) == wib(2026, 12, 6, 2, 0));
        CHECK(active_until(w, wib(2026, 12, 5, 23, 30)) == wib(2026, 12, 6, 2, 0));
        CHECK(active_until(w, wib(2026, 12, 6, 1, 59)) == wib(2026, 12, 6, 2, 0));
    }
    SUBCASE("closed at Sunday 02:00 (the end is exclusive)") {
        CHECK_FALSE(active_until(w, wib(2026, 12, 6, 2, 0)));
    }
    SUBCASE("a Friday night is not a Saturday night") {
        CHECK_FALSE(active_until(w, wib(2026, 12, 4, 23, 0)));
        CHECK_FALSE(active_until(w, wib(2026, 12, 5, 1, 0)));
    }
    SUBCASE("the next occurrence from a Wednesday") {
        const auto next = next_occurrence(w, wib(2026, 12, 2, 12, 0));
        REQUIRE(next);
        CHECK(next->first == wib(2026, 12, 5, 22, 0));
        CHECK(next->second == wib(2026, 12, 6, 2, 0));
    }
}

TEST_CASE("maintenance: a weekly window in another time zone") {
    // Saturday 22:00 WITA (+08:00) is Saturday 21:00 WIB.
    const maintenance_window w = saturday_night(8h);
    CHECK_FALSE(active_until(w, wib(2026, 12, 5, 20, 59)));
    CHECK(active_until(w, wib(2026, 12, 5, 21, 0)) == wib(2026, 12, 6, 1, 0));
    CHECK_FALSE(active_until(w, wib(2026, 12, 6, 1, 0)));
    // At +09:00 (WIT) the same window opens at 20:00 WIB.
    const maintenance_window wit = saturday_night(9h);
    CHECK(active_until(wit, wib(2026, 12, 5, 20, 0)) == wib(2026, 12, 6, 0, 0));
}

TEST_CASE("maintenance: a window on every day, and one ending at midnight") {
    maintenance_window w = saturday_night();
    w.weekly->days.fill(true);
    w.weekly->from = 23h;
    w.weekly->to = 24h;
    CHECK(active_until(w, wib(2026, 12, 1, 23, 15)) == wib(2026, 12, 2, 0, 0));
    CHECK_FALSE(active_until(w, wib(2026, 12, 2, 0, 0)));
    CHECK_FALSE(active_until(w, wib(2026, 12, 2, 22, 59)));
}

TEST_CASE("maintenance: a one-off window, and which services it covers") {
    maintenance_window w;
    w.id = "api-1";
    w.agency = "dukcapil";
    w.start = wib(2026, 12, 31, 22, 0);
    w.end = wib(2027, 1, 1, 3, 0);
    CHECK_FALSE(active_until(w, wib(2026, 12, 31, 21, 59)));
    CHECK(active_until(w, wib(2027, 1, 1, 0, 0)) == wib(2027, 1, 1, 3, 0));
    CHECK_FALSE(active_until(w, wib(2027, 1, 1, 3, 0)));
    CHECK_FALSE(next_occurrence(w, wib(2027, 1, 2)));
    // No service: every service of the agency, none of another agency.
    CHECK(covers(w, "dukcapil", "akta-online"));
    CHECK(covers(w, "dukcapil", "kia"));
    CHECK_FALSE(covers(w, "dinkes", "akta-online"));

    const std::vector<maintenance_window> windows{w, saturday_night()};
    // 2027-01-02 is a Saturday: the weekly one covers akta-online only.
    CHECK(planned_until(windows, "dukcapil", "akta-online", wib(2027, 1, 2, 23, 0)) ==
          wib(2027, 1, 3, 2, 0));
    CHECK_FALSE(planned_until(windows, "dukcapil", "kia", wib(2027, 1, 2, 23, 0)));
    CHECK(planned_until(windows, "dukcapil", "kia", wib(2026, 12, 31, 23, 0)) ==
          wib(2027, 1, 1, 3, 0));
}

TEST_CASE("backoff: doubles from the first delay, capped, spread by jitter") {
    const backoff_policy p{1s, 60s, 2.0};
    // jitter 1: the full delay; jitter 0: half of it.
    CHECK(retry_delay(p, 1, 1.0, std::nullopt) == 1s);
    CHECK(retry_delay(p, 2, 1.0, std::nullopt) == 2s);
    CHECK(retry_delay(p, 3, 1.0, std::nullopt) == 4s);
    CHECK(retry_delay(p, 3, 0.0, std::nullopt) == 2s);
    CHECK(retry_delay(p, 3, 0.5, std::nullopt) == 3s);
    CHECK(retry_delay(p, 7, 1.0, std::nullopt) == 60s);
    CHECK(retry_delay(p, 1000, 1.0, std::nullopt) == 60s); // no overflow
    // The receiver's Retry-After wins when longer, even beyond the cap.
    CHECK(retry_delay(p, 1, 1.0, 30s) == 30s);
    CHECK(retry_delay(p, 1, 1.0, 120s) == 120s);
    CHECK(retry_delay(p, 7, 1.0, 5s) == 60s);
}

TEST_CASE("time: windows may be written in local time without an offset") {
    const auto local = parse_rfc3339_or_date("2026-12-05 22:00", 7h);
    REQUIRE(local);
    CHECK(*local == wib(2026, 12, 5, 22, 0));
    CHECK(parse_rfc3339_or_date("2026-12-05T22:00:30", 7h) == wib(2026, 12, 5, 22, 0) + 30s);
    CHECK(parse_rfc3339_or_date("2026-12-05T22:00:00+08:00", 7h) == wib(2026, 12, 5, 21, 0));
    CHECK(parse_rfc3339_or_date("2026-12-05", 7h) == wib(2026, 12, 5));
    CHECK_FALSE(parse_rfc3339_or_date("2026-12-05 24:00", 7h));
    CHECK_FALSE(parse_rfc3339_or_date("2026-12-05 22", 7h));
    CHECK_FALSE(parse_rfc3339_or_date("2026-12-05T22:00:00+7", 7h));
}
