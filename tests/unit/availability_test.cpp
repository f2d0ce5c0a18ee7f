// Availability arithmetic with constructed times: exact seconds, no clock reads.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/availability.hpp"
#include "unit/civil_time.hpp"

using namespace pantau;
using namespace pantau::test;
using namespace std::chrono_literals;
using std::chrono::seconds;

namespace {

// Mon-Thu 07:30-16:00, Fri 07:30-16:30 (the ASN working week), no holidays.
service_calendar jam_layanan() {
    service_calendar cal;
    cal.id = "jam-layanan";
    for (std::size_t day = 0; day < 4; ++day) {
        cal.week[day] = {{7h + 30min, 16h}};
    }
    cal.week[4] = {{7h + 30min, 16h + 30min}};
    return cal;
}

// `cal` with its local time at `offset`.
service_calendar in_zone(service_calendar cal, std::chrono::minutes offset) {
    cal.utc_offset = offset;
    return cal;
}

seconds sum(const std::vector<time_span>& spans) {
    seconds total{0};
    for (const auto& s : spans) {
        total += std::chrono::duration_cast<seconds>(s.to - s.from);
    }
    return total;
}

// March 2026 in UTC: 31 days.
const time_span march{utc(2026, 3, 1), utc(2026, 4, 1)};
constexpr seconds march_length{31 * 86400};

// The local (WIB) week from Monday 2026-03-02 00:00 to Monday 2026-03-09 00:00.
const time_span week_wib{local(wib, 2026, 3, 2), local(wib, 2026, 3, 9)};
constexpr seconds week_hours{4 * (8 * 3600 + 1800) + 9 * 3600}; // 43 hours

} // namespace

TEST_CASE("availability: a month without outages is 100%") {
    const auto r = compute_availability({march, {}, {}});
    CHECK(r.overall.considered == march_length);
    CHECK(r.overall.down == 0s);
    CHECK(r.overall.unmonitored == 0s);
    REQUIRE(r.overall.availability.has_value());
    CHECK(*r.overall.availability == 1.0);
    CHECK_FALSE(r.in_service_hours.has_value());
}

TEST_CASE("availability: outages crossing the period's start or end count only inside") {
    availability_input in{march, {}, {}};
    in.downtime = {
        {utc(2026, 2, 28, 23h), utc(2026, 3, 1, 1h)},         // 1 h inside
        {utc(2026, 3, 31, 23h + 30min), utc(2026, 4, 1, 2h)}, // 30 min inside
        {utc(2026, 2, 10), utc(2026, 2, 11)},                 // entirely before
        {utc(2026, 4, 1), utc(2026, 4, 2)},                   // starts at the exclusive end
    };
    const auto r = compute_availability(in);
    CHECK(r.overall.considered == march_length);
    CHECK(r.overall.down == 5400s);
    REQUIRE(r.overall.availability.has_value());
    CHECK(*r.overall.availability == 1.0 - 5400.0 / 2'678'400.0);

    SUBCASE("an outage covering the whole period is 0%") {
        in.downtime = {{utc(2026, 1, 1), utc(2026, 6, 1)}};
        const auto all_down = compute_availability(in);
        CHECK(all_down.overall.down == march_length);
        CHECK(all_down.overall.availability == 0.0);
    }
}

TEST_CASE("availability: overlapping outages are not counted twice") {
    availability_input in{march, {}, {}};
    in.downtime = {
        {utc(2026, 3, 10, 11h), utc(2026, 3, 10, 13h)},
        {utc(2026, 3, 10, 10h), utc(2026, 3, 10, 12h)},
        {utc(2026, 3, 10, 11h + 30min), utc(2026, 3, 10, 11h + 45min)}, // inside the others
        {utc(2026, 3, 10, 10h), utc(2026, 3, 10, 12h)},                 // the same twice
        {utc(2026, 3, 10, 13h), utc(2026, 3, 10, 14h)},                 // touching
        {utc(2026, 3, 12, 10h), utc(2026, 3, 12, 9h)},                  // empty: ends first
    };
    const auto r = compute_availability(in);
    CHECK(r.overall.down == 4h);
    CHECK(*r.overall.availability == 1.0 - 14'400.0 / 2'678'400.0);
}

TEST_CASE("availability: gaps leave considered time and downtime during them is not down") {
    const time_span day{utc(2026, 3, 2), utc(2026, 3, 3)};
    availability_input in{day, {}, {}};
    in.gaps = {{utc(2026, 3, 1, 22h), utc(2026, 3, 2, 6h)}}; // 6 h of it inside the day
    in.downtime = {
        {utc(2026, 3, 2, 5h), utc(2026, 3, 2, 8h)}, // 1 h in the gap, 2 h watched
        {utc(2026, 3, 2, 1h), utc(2026, 3, 2, 2h)}, // entirely in the gap
    };
    const auto r = compute_availability(in);
    CHECK(r.overall.considered == 18h);
    CHECK(r.overall.unmonitored == 6h);
    CHECK(r.overall.down == 2h);
    CHECK(*r.overall.availability == 1.0 - 7200.0 / 64'800.0);

    SUBCASE("a gap over the whole period leaves nothing to judge") {
        in.gaps = {{utc(2026, 3, 1), utc(2026, 3, 4)}};
        const auto unwatched = compute_availability(in);
        CHECK(unwatched.overall.considered == 0s);
        CHECK(unwatched.overall.unmonitored == 24h);
        CHECK(unwatched.overall.down == 0s);
        CHECK_FALSE(unwatched.overall.availability.has_value());
    }
    SUBCASE("gaps split around an outage") {
        in.gaps = {{utc(2026, 3, 2, 6h), utc(2026, 3, 2, 6h + 30min)},
                   {utc(2026, 3, 2, 7h), utc(2026, 3, 2, 7h + 15min)}};
        in.downtime = {{utc(2026, 3, 2, 5h), utc(2026, 3, 2, 8h)}};
        const auto split = compute_availability(in);
        CHECK(split.overall.unmonitored == 45min);
        CHECK(split.overall.considered == 24h - 45min);
        CHECK(split.overall.down == 3h - 45min);
    }
}

TEST_CASE("availability: an empty period has no availability") {
    const auto empty = compute_availability({{utc(2026, 3, 1), utc(2026, 3, 1)}, {}, {}});
    CHECK(empty.overall.considered == 0s);
    CHECK_FALSE(empty.overall.availability.has_value());

    const service_calendar cal = jam_layanan();
    availability_input reversed{{utc(2026, 3, 9), utc(2026, 3, 2)}, {}, {}, &cal};
    reversed.downtime = {{utc(2026, 3, 3), utc(2026, 3, 4)}};
    const auto r = compute_availability(reversed);
    CHECK_FALSE(r.overall.availability.has_value());
    CHECK(r.overall.down == 0s);
    REQUIRE(r.in_service_hours.has_value());
    CHECK(r.in_service_hours->considered == 0s);
    CHECK_FALSE(r.in_service_hours->availability.has_value());
}

TEST_CASE("service hours: the working week in WIB, exact bounds in UTC") {
    const service_calendar cal = jam_layanan();
    const auto hours = service_hours_within(in_zone(cal, wib), week_wib);
    REQUIRE(hours.size() == 5);
    CHECK(hours[0] == time_span{utc(2026, 3, 2, 30min), utc(2026, 3, 2, 9h)}); // Mon 07:30-16:00
    CHECK(hours[4] == time_span{utc(2026, 3, 6, 30min), utc(2026, 3, 6, 9h + 30min)}); // Fri
    CHECK(sum(hours) == week_hours);

    SUBCASE("a span starting and ending inside opening hours is cut") {
        const auto cut =
            service_hours_within(cal, {local(wib, 2026, 3, 2, 12h), local(wib, 2026, 3, 3, 9h)});
        REQUIRE(cut.size() == 2);
        CHECK(cut[0] == time_span{local(wib, 2026, 3, 2, 12h), local(wib, 2026, 3, 2, 16h)});
        CHECK(cut[1] == time_span{local(wib, 2026, 3, 3, 7h + 30min), local(wib, 2026, 3, 3, 9h)});
    }
    SUBCASE("the weekend has none") {
        CHECK(service_hours_within(in_zone(cal, wib),
                                   {local(wib, 2026, 3, 7), local(wib, 2026, 3, 9)})
                  .empty());
    }
    SUBCASE("an empty span has none") {
        CHECK(service_hours_within(in_zone(cal, wib), {utc(2026, 3, 3), utc(2026, 3, 2)}).empty());
    }
}

TEST_CASE("service hours: an outage at night does not lower in-hours availability") {
    const service_calendar cal = jam_layanan();
    availability_input in{week_wib, {}, {}, &cal};
    in.downtime = {{local(wib, 2026, 3, 3, 22h), local(wib, 2026, 3, 3, 23h)}}; // Tue night
    const auto r = compute_availability(in);
    CHECK(r.overall.down == 1h);
    CHECK(*r.overall.availability == 1.0 - 3600.0 / (7 * 86'400.0));
    REQUIRE(r.in_service_hours.has_value());
    CHECK(r.in_service_hours->considered == week_hours);
    CHECK(r.in_service_hours->down == 0s);
    CHECK(r.in_service_hours->availability == 1.0);
}

TEST_CASE("service hours: an outage during hours counts, only its part within them") {
    const service_calendar cal = jam_layanan();
    availability_input in{week_wib, {}, {}, &cal};
    in.downtime = {
        {local(wib, 2026, 3, 4, 10h), local(wib, 2026, 3, 4, 11h)},         // Wed, 1 h
        {local(wib, 2026, 3, 5, 15h + 30min), local(wib, 2026, 3, 5, 17h)}, // Thu, 30 min in
        {local(wib, 2026, 3, 2, 6h), local(wib, 2026, 3, 2, 8h)},           // Mon, 30 min in
    };
    const auto r = compute_availability(in);
    CHECK(r.overall.down == 1h + 90min + 2h);
    REQUIRE(r.in_service_hours.has_value());
    CHECK(r.in_service_hours->down == 2h);
    CHECK(r.in_service_hours->availability == 1.0 - 7200.0 / 154'800.0);
}

TEST_CASE("service hours: a gap during hours is unmonitored, not down") {
    const service_calendar cal = jam_layanan();
    availability_input in{week_wib, {}, {}, &cal};
    in.gaps = {{local(wib, 2026, 3, 4, 6h), local(wib, 2026, 3, 4, 9h)}}; // 90 min in hours
    in.downtime = {{local(wib, 2026, 3, 4, 8h), local(wib, 2026, 3, 4, 10h)}};
    const auto r = compute_availability(in);
    CHECK(r.overall.unmonitored == 3h);
    CHECK(r.overall.down == 1h);
    REQUIRE(r.in_service_hours.has_value());
    CHECK(r.in_service_hours->unmonitored == 90min);
    CHECK(r.in_service_hours->considered == week_hours - 90min);
    CHECK(r.in_service_hours->down == 1h);
}

TEST_CASE("service hours: a holiday is excluded") {
    service_calendar cal = jam_layanan();
    cal.holidays = {date(2026, 1, 1), date(2026, 3, 4), date(2026, 12, 25)}; // a Wednesday
    const auto hours = service_hours_within(in_zone(cal, wib), week_wib);
    REQUIRE(hours.size() == 4);
    CHECK(sum(hours) == week_hours - 8h - 30min);
    CHECK(hours[2].from == local(wib, 2026, 3, 5, 7h + 30min)); // Tuesday, then Thursday

    availability_input in{week_wib, {}, {}, &cal};
    in.downtime = {{local(wib, 2026, 3, 4, 9h), local(wib, 2026, 3, 4, 12h)}};
    const auto r = compute_availability(in);
    CHECK(r.overall.down == 3h);
    REQUIRE(r.in_service_hours.has_value());
    CHECK(r.in_service_hours->considered == week_hours - 8h - 30min);
    CHECK(r.in_service_hours->down == 0s);
    CHECK(r.in_service_hours->availability == 1.0);
}

TEST_CASE("service hours: Friday has its own hours") {
    const service_calendar cal = jam_layanan();
    availability_input in{week_wib, {}, {}, &cal};
    SUBCASE("16:00-16:30 on Thursday is after hours") {
        in.downtime = {{local(wib, 2026, 3, 5, 16h), local(wib, 2026, 3, 5, 16h + 30min)}};
        CHECK(compute_availability(in).in_service_hours->down == 0s);
    }
    SUBCASE("16:00-16:30 on Friday is within them") {
        in.downtime = {{local(wib, 2026, 3, 6, 16h), local(wib, 2026, 3, 6, 16h + 30min)}};
        CHECK(compute_availability(in).in_service_hours->down == 30min);
    }
}

TEST_CASE("service hours: the same UTC outage depends on the zone (WIB, WITA, WIT)") {
    const service_calendar cal = jam_layanan();
    const auto in_hours = [&](std::chrono::minutes offset, time_span outage) {
        const service_calendar zoned = in_zone(cal, offset);
        const availability_input in{march, {outage}, {}, &zoned};
        return compute_availability(in).in_service_hours->down;
    };
    // Monday 2026-03-02 08:00-09:00 UTC: 15:00 WIB (open), 16:00 WITA and 17:00 WIT (closed).
    const time_span afternoon{utc(2026, 3, 2, 8h), utc(2026, 3, 2, 9h)};
    CHECK(in_hours(wib, afternoon) == 1h);
    CHECK(in_hours(wita, afternoon) == 0s);
    CHECK(in_hours(wit, afternoon) == 0s);
    // Sunday 2026-03-01 23:00 UTC - Monday 00:00 UTC: Monday 06:00 WIB (closed),
    // 07:00 WITA (open from 07:30) and 08:00 WIT (open).
    const time_span early{utc(2026, 3, 1, 23h), utc(2026, 3, 2)};
    CHECK(in_hours(wib, early) == 0s);
    CHECK(in_hours(wita, early) == 30min);
    CHECK(in_hours(wit, early) == 1h);
    // Friday 2026-03-06 08:45-09:45 UTC: 15:45 WIB (open until 16:30), 16:45 WITA (closed).
    const time_span friday{utc(2026, 3, 6, 8h + 45min), utc(2026, 3, 6, 9h + 45min)};
    CHECK(in_hours(wib, friday) == 45min);
    CHECK(in_hours(wita, friday) == 0s);

    // Monday's opening under WIT starts on Sunday in UTC.
    const auto hours = service_hours_within(in_zone(cal, wit), march);
    REQUIRE_FALSE(hours.empty());
    CHECK(hours[0] == time_span{utc(2026, 3, 1, 22h + 30min), utc(2026, 3, 2, 7h)});
    // March 2026 has 18 Mondays-Thursdays and 4 Fridays. In WIT the UTC month ends at
    // 09:00 on Wednesday 1 April, 90 minutes into that day's hours; in WIB at 07:00, before.
    CHECK(sum(service_hours_within(in_zone(cal, wib), march)) == 18 * (8h + 30min) + 4 * 9h);
    CHECK(sum(hours) == 18 * (8h + 30min) + 4 * 9h + 90min);
}

TEST_CASE("service hours: the local day, not the UTC day, decides holidays and weekdays") {
    service_calendar cal = jam_layanan();
    cal.holidays = {date(2026, 3, 3)}; // Tuesday
    // Tuesday 07:30 WIT is Monday 22:30 UTC: closed under WIT, while WIB opens Tuesday 00:30 UTC.
    const time_span around{utc(2026, 3, 2, 22h), utc(2026, 3, 3, 1h)};
    CHECK(service_hours_within(in_zone(cal, wit), around).empty());
    CHECK(sum(service_hours_within(in_zone(cal, wib), around)) == 0s);
    cal.holidays.clear();
    CHECK(sum(service_hours_within(in_zone(cal, wit), around)) == 2h + 30min);
    CHECK(sum(service_hours_within(in_zone(cal, wib), around)) == 30min);
}

TEST_CASE("service hours: 24-hour days join into one span; split shifts stay apart") {
    service_calendar always;
    for (auto& day : always.week) {
        day = {{0min, 24h}};
    }
    const auto whole = service_hours_within(in_zone(always, wib), march);
    REQUIRE(whole.size() == 1);
    CHECK(whole[0] == march);

    always.holidays = {date(2026, 3, 10)};
    const auto split = service_hours_within(in_zone(always, wib), march);
    REQUIRE(split.size() == 2);
    CHECK(split[0].to == local(wib, 2026, 3, 10));
    CHECK(split[1].from == local(wib, 2026, 3, 11));

    service_calendar shifts;
    shifts.week[0] = {{8h, 12h}, {13h, 21h}};
    const auto monday = service_hours_within(in_zone(shifts, wib),
                                             {local(wib, 2026, 3, 2), local(wib, 2026, 3, 3)});
    REQUIRE(monday.size() == 2);
    CHECK(sum(monday) == 12h);
}

TEST_CASE("service hours: a year walks every day once") {
    // 2026 starts on a Thursday: 209 Mondays-Thursdays and 52 Fridays.
    const service_calendar cal = jam_layanan();
    const time_span year{local(wib, 2026, 1, 1), local(wib, 2027, 1, 1)};
    const auto hours = service_hours_within(in_zone(cal, wib), year);
    CHECK(hours.size() == 261);
    CHECK(sum(hours) == 209 * (8h + 30min) + 52 * 9h);

    // One hour down every day at 10:00 WIB, one hour of gap every day at 02:00 WIB.
    availability_input in{year, {}, {}, &cal};
    for (auto day = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
         day < std::chrono::sys_days{std::chrono::year{2027} / 1 / 1};
         day += std::chrono::days{1}) {
        const auto midnight = wall_clock::time_point{day} - wib;
        in.downtime.push_back({midnight + 10h, midnight + 11h});
        in.gaps.push_back({midnight + 2h, midnight + 3h});
    }
    const auto r = compute_availability(in);
    CHECK(r.overall.down == 365h);
    CHECK(r.overall.unmonitored == 365h);
    CHECK(r.overall.considered == 365 * 23h);
    REQUIRE(r.in_service_hours.has_value());
    CHECK(r.in_service_hours->down == 261h);
    CHECK(r.in_service_hours->unmonitored == 0s);
}

TEST_CASE("utc_offset_of: Indonesian zones, UTC and literal offsets") {
    CHECK(utc_offset_of("Asia/Jakarta") == 7h);
    CHECK(utc_offset_of("Asia/Pontianak") == 7h);
    CHECK(utc_offset_of("Asia/Makassar") == 8h);
    CHECK(utc_offset_of("Asia/Jayapura") == 9h);
    CHECK(utc_offset_of("UTC") == 0min);
    CHECK(utc_offset_of("+07:00") == 7h);
    CHECK(utc_offset_of("+05:45") == 5h + 45min);
    CHECK(utc_offset_of("-03:30") == -(3h + 30min));
    CHECK(utc_offset_of("+14:00") == 14h);
    CHECK(utc_offset_of("-12:00") == -12h);
    CHECK(utc_offset_of("+00:00") == 0min);
    for (const std::string bad :
         {"", "asia/jakarta", "Asia/Bangkok", "WIB", "Asia/Jakarta ", "07:00", "+7", "+7:00",
          "+0700", "+07:60", "+14:01", "-12:30", "+07:00:00", "+0a:00", "++7:00", "UTC+7"}) {
        CAPTURE(bad);
        CHECK_FALSE(utc_offset_of(bad).has_value());
    }
    for (const auto name : known_timezones()) {
        CAPTURE(name);
        CHECK(utc_offset_of(name).has_value());
    }
    CHECK(known_timezones().size() == 5);
}

TEST_CASE("parse_date: YYYY-MM-DD dates that exist") {
    CHECK(parse_date("2026-01-01") == date(2026, 1, 1));
    CHECK(parse_date("2026-12-31") == date(2026, 12, 31));
    CHECK(parse_date("2028-02-29") == date(2028, 2, 29));
    for (const std::string bad :
         {"2026-02-29", "2026-02-30", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
          "2026-1-01", "26-01-01", "2026/01/01", "2026-01-01T00:00", "", "tomorrow"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_date(bad).has_value());
    }
}

TEST_CASE("availability: extreme times are clamped to 1900-2149, never overflowed") {
    service_calendar always;
    for (auto& day : always.week) {
        day = {{0min, 24h}};
    }
    const time_span everything{wall_clock::time_point::min(), wall_clock::time_point::max()};
    always.utc_offset = wit;
    availability_input in{everything, {}, {}, &always};
    in.downtime = {{utc(2026, 3, 1), wall_clock::time_point::max()}};
    in.gaps = {{wall_clock::time_point::min(), utc(1950, 1, 1)}};
    const auto r = compute_availability(in);
    const auto window = std::chrono::sys_days{std::chrono::year{2150} / 1 / 1} -
                        std::chrono::sys_days{std::chrono::year{1900} / 1 / 1};
    const auto unwatched = std::chrono::sys_days{std::chrono::year{1950} / 1 / 1} -
                           std::chrono::sys_days{std::chrono::year{1900} / 1 / 1};
    const auto down = std::chrono::sys_days{std::chrono::year{2150} / 1 / 1} -
                      std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};
    CHECK(r.overall.considered == window - unwatched);
    CHECK(r.overall.unmonitored == unwatched);
    CHECK(r.overall.down == down);
    REQUIRE(r.in_service_hours.has_value());
    CHECK(r.in_service_hours->considered == window - unwatched);
    CHECK(r.in_service_hours->down == down);
}
