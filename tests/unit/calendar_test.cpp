// Service-hours calendars at fixed instants: holidays, Friday hours, time zones, the Idul
// Fitri 2026 block from the shipped holidays file, exceptions, next_change, and the
// configuration of calendars. No clock reads.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "core/availability.hpp"
#include "unit/civil_time.hpp"

using namespace pantau;
using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

// Mon-Thu 07:30-16:00, Fri 07:30-16:30 (the ASN working week) at `offset`, no holidays.
service_calendar jam_layanan(std::chrono::minutes offset = wib) {
    service_calendar cal;
    cal.id = "jam-layanan";
    for (std::size_t day = 0; day < 4; ++day) {
        cal.week[day] = {{7h + 30min, 16h}};
    }
    cal.week[4] = {{7h + 30min, 16h + 30min}};
    cal.utc_offset = offset;
    return cal;
}

config load_ok(const std::string& yaml) {
    auto result = load_config_text(yaml, "test.yaml");
    if (const auto* error = std::get_if<config_error>(&result)) {
        FAIL("expected the config to load, got: " << error->to_string());
    }
    return std::get<config>(std::move(result));
}

std::string load_error(const std::string& yaml) {
    auto result = load_config_text(yaml, "test.yaml");
    if (std::holds_alternative<config>(result)) {
        FAIL("expected an error, but the config loaded");
    }
    return std::get<config_error>(result).to_string();
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// One agency and one service using calendar "jam" (appended after a calendars section).
const std::string rest = R"(channels:
  ops: {webhook: {url: "https://ops.example.go.id/hook"}}
escalation:
  standar: [{after: 0m, notify: ops}]
agencies:
  - {id: dukcapil, name: Dukcapil, escalation: standar}
services:
  - {id: akta, agency: dukcapil, hours: jam, checks: [{id: web, http: {url: "https://a.go.id/"}}]}
)";

// Calendar "jam" open Mon-Fri 07:30-16:00 with the given extra lines (from line 4) under it.
std::string with_jam(const std::string& lines) {
    return "calendars:\n  jam:\n    hours: {mon-fri: \"07:30-16:00\"}\n" + lines + rest;
}

const std::string shipped_holidays =
    std::string{PANTAU_SOURCE_DIR} + "/config/calendars/libur-nasional-2026.yaml";

} // namespace

TEST_CASE("calendar: a service window across a holiday (17 August 2026)") {
    service_calendar cal = jam_layanan();
    cal.holidays = {date(2026, 8, 17)}; // Monday, Proklamasi Kemerdekaan RI

    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 8, 17, 10h)));
    CHECK(in_service_hours(cal, local(wib, 2026, 8, 18, 10h)));
    CHECK(in_service_hours(cal, local(wib, 2026, 8, 14, 16h + 15min))); // the Friday before

    // From Friday noon to Tuesday noon: Friday afternoon, then nothing until Tuesday.
    const auto hours =
        service_hours_within(cal, {local(wib, 2026, 8, 14, 12h), local(wib, 2026, 8, 18, 12h)});
    REQUIRE(hours.size() == 2);
    CHECK(hours[0] ==
          time_span{local(wib, 2026, 8, 14, 12h), local(wib, 2026, 8, 14, 16h + 30min)});
    CHECK(hours[1] == time_span{local(wib, 2026, 8, 18, 7h + 30min), local(wib, 2026, 8, 18, 12h)});

    CHECK(next_change(cal, local(wib, 2026, 8, 14, 12h)) == local(wib, 2026, 8, 14, 16h + 30min));
    CHECK(next_change(cal, local(wib, 2026, 8, 14, 16h + 30min)) ==
          local(wib, 2026, 8, 18, 7h + 30min));
}

TEST_CASE("calendar: Friday closes at 16:30, Monday to Thursday at 16:00") {
    const service_calendar cal = jam_layanan();
    CHECK(in_service_hours(cal, local(wib, 2026, 3, 6, 16h + 15min)));       // Friday
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, 5, 16h + 15min))); // Thursday
    // Opening instant in, closing instant out.
    CHECK(in_service_hours(cal, local(wib, 2026, 3, 5, 7h + 30min)));
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, 5, 7h + 30min) - 1s));
    CHECK(in_service_hours(cal, local(wib, 2026, 3, 6, 16h + 30min) - 1s));
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, 6, 16h + 30min)));
    // The weekend.
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, 7, 10h)));
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, 8, 10h)));
}

TEST_CASE("calendar: time zones are the calendar's own (WIB, WITA, WIT)") {
    // Monday 2 March 2026 08:30 UTC: 15:30 WIB (open), 16:30 WITA and 17:30 WIT (closed).
    const auto instant = utc(2026, 3, 2, 8h + 30min);
    CHECK(in_service_hours(jam_layanan(wib), instant));
    CHECK_FALSE(in_service_hours(jam_layanan(wita), instant));
    CHECK_FALSE(in_service_hours(jam_layanan(wit), instant));

    // A WITA calendar opens Monday 07:30, which is Sunday 23:30 UTC.
    const service_calendar makassar = jam_layanan(wita);
    CHECK_FALSE(in_service_hours(makassar, utc(2026, 3, 1, 23h + 29min)));
    CHECK(in_service_hours(makassar, utc(2026, 3, 1, 23h + 30min)));
    const auto monday = service_hours_within(makassar, {utc(2026, 3, 1), utc(2026, 3, 3)});
    REQUIRE_FALSE(monday.empty());
    CHECK(monday[0] == time_span{utc(2026, 3, 1, 23h + 30min), utc(2026, 3, 2, 8h)});
    CHECK(next_change(makassar, utc(2026, 3, 1, 12h)) == utc(2026, 3, 1, 23h + 30min));

    // Availability within hours follows the calendar's zone, not a report's.
    const availability_input in{{utc(2026, 3, 2), utc(2026, 3, 3)},
                                {{utc(2026, 3, 2, 7h + 30min), utc(2026, 3, 2, 8h + 30min)}},
                                {},
                                &makassar};
    const auto r = compute_availability(in);
    REQUIRE(r.in_service_hours.has_value());
    CHECK(r.in_service_hours->down == 30min); // 15:30-16:00 WITA; 16:00-16:30 is after hours
    // Monday 08:00-16:00 WITA and Tuesday 07:30-08:00 WITA fall in the UTC day.
    CHECK(r.in_service_hours->considered == 8h + 30min);
}

TEST_CASE("calendar: the Idul Fitri 2026 block from the shipped holidays file") {
    const config cfg = load_ok("calendars:\n  jam-layanan:\n    hours: {mon-thu: "
                               "\"07:30-16:00\", fri: \"07:30-16:30\"}\n    holidays: " +
                               shipped_holidays + "\n");
    const service_calendar& cal = cfg.calendars.at("jam-layanan");
    REQUIRE(cal.utc_offset == wib);

    // 18 cuti bersama Nyepi, 19 Nyepi, 20 cuti bersama, 21-22 Idul Fitri (a weekend),
    // 23-24 cuti bersama: no service hours from Wednesday 18 to Tuesday 24 March.
    CHECK(service_hours_within(cal, {local(wib, 2026, 3, 18), local(wib, 2026, 3, 25)}).empty());
    for (unsigned day = 18; day <= 24; ++day) {
        CAPTURE(day);
        CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, day, 10h)));
    }
    CHECK(in_service_hours(cal, local(wib, 2026, 3, 17, 15h + 59min)));
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, 25, 7h + 29min)));
    CHECK(in_service_hours(cal, local(wib, 2026, 3, 25, 7h + 30min)));
    // Closing on Tuesday 17 March, the next opening is Wednesday 25 March 07:30.
    CHECK(next_change(cal, local(wib, 2026, 3, 17, 16h)) == local(wib, 2026, 3, 25, 7h + 30min));

    const auto hours =
        service_hours_within(cal, {local(wib, 2026, 3, 16), local(wib, 2026, 3, 28)});
    const std::vector<time_span> expected{
        {local(wib, 2026, 3, 16, 7h + 30min), local(wib, 2026, 3, 16, 16h)},         // Mon
        {local(wib, 2026, 3, 17, 7h + 30min), local(wib, 2026, 3, 17, 16h)},         // Tue
        {local(wib, 2026, 3, 25, 7h + 30min), local(wib, 2026, 3, 25, 16h)},         // Wed
        {local(wib, 2026, 3, 26, 7h + 30min), local(wib, 2026, 3, 26, 16h)},         // Thu
        {local(wib, 2026, 3, 27, 7h + 30min), local(wib, 2026, 3, 27, 16h + 30min)}, // Fri
    };
    CHECK(hours == expected);
}

TEST_CASE("calendar: exceptions open a Saturday, override a holiday, close a day") {
    service_calendar cal = jam_layanan();
    cal.holidays = {date(2026, 8, 17), date(2026, 12, 25)};
    cal.exceptions = {
        {date(2026, 3, 2), {{8h, 14h}}},              // Monday in Ramadan: shorter
        {date(2026, 8, 17), {{7h, 9h}}},              // a holiday with morning service
        {date(2026, 11, 7), {{8h, 12h}, {13h, 15h}}}, // a Saturday service day
        {date(2026, 12, 31), {}},                     // a Thursday closed
    };

    CHECK(in_service_hours(cal, local(wib, 2026, 3, 2, 13h + 59min)));
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, 2, 14h)));
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 3, 2, 7h + 45min)));
    CHECK(in_service_hours(cal, local(wib, 2026, 3, 3, 7h + 45min))); // Tuesday as usual

    CHECK(in_service_hours(cal, local(wib, 2026, 8, 17, 8h)));
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 8, 17, 10h)));
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 12, 25, 10h))); // still a holiday

    const auto saturday =
        service_hours_within(cal, {local(wib, 2026, 11, 7), local(wib, 2026, 11, 8)});
    CHECK(saturday ==
          std::vector<time_span>{{local(wib, 2026, 11, 7, 8h), local(wib, 2026, 11, 7, 12h)},
                                 {local(wib, 2026, 11, 7, 13h), local(wib, 2026, 11, 7, 15h)}});
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 11, 14, 10h))); // the next Saturday

    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 12, 31, 10h)));
    CHECK(in_service_hours(cal, local(wib, 2026, 12, 30, 10h)));
    // From Wednesday 30 December's closing: Thursday 31 closed, 1 January a Friday.
    CHECK(next_change(cal, local(wib, 2026, 12, 30, 16h)) == local(wib, 2027, 1, 1, 7h + 30min));

    CHECK(hours_on(cal, date(2026, 12, 31)).empty());
    CHECK(hours_on(cal, date(2026, 12, 25)).empty());
    REQUIRE(hours_on(cal, date(2026, 12, 24)).size() == 1);
    CHECK(hours_on(cal, date(2026, 12, 24))[0] == opening_hours{7h + 30min, 16h});
}

TEST_CASE("calendar: next_change finds the next opening or closing") {
    const service_calendar cal = jam_layanan();
    CHECK(next_change(cal, local(wib, 2026, 3, 5, 10h)) == local(wib, 2026, 3, 5, 16h));
    CHECK(next_change(cal, local(wib, 2026, 3, 5, 16h)) == local(wib, 2026, 3, 6, 7h + 30min));
    CHECK(next_change(cal, local(wib, 2026, 3, 6, 7h + 30min)) ==
          local(wib, 2026, 3, 6, 16h + 30min));
    // Friday evening to Monday morning.
    CHECK(next_change(cal, local(wib, 2026, 3, 6, 20h)) == local(wib, 2026, 3, 9, 7h + 30min));
    // Just before an opening.
    CHECK(next_change(cal, local(wib, 2026, 3, 9, 7h + 30min) - 1ns) ==
          local(wib, 2026, 3, 9, 7h + 30min));

    SUBCASE("touching ranges are one opening") {
        service_calendar shifts;
        shifts.week[0] = {{8h, 12h}, {12h, 13h}, {14h, 16h}};
        CHECK(next_change(shifts, local(wib, 2026, 3, 2, 9h)) == local(wib, 2026, 3, 2, 13h));
        CHECK(next_change(shifts, local(wib, 2026, 3, 2, 13h)) == local(wib, 2026, 3, 2, 14h));
    }
    SUBCASE("around the clock: never, or at a holiday's edges") {
        service_calendar always;
        for (auto& day : always.week) {
            day = {{0min, 24h}};
        }
        CHECK(next_change(always, local(wib, 2026, 3, 2, 9h)) == wall_clock::time_point::max());
        always.holidays = {date(2026, 3, 10)};
        CHECK(next_change(always, local(wib, 2026, 3, 2, 9h)) == local(wib, 2026, 3, 10));
        CHECK(next_change(always, local(wib, 2026, 3, 10)) == local(wib, 2026, 3, 11));
    }
    SUBCASE("never open, or open only past the horizon") {
        service_calendar never;
        CHECK(next_change(never, local(wib, 2026, 3, 2)) == wall_clock::time_point::max());
        never.exceptions = {{date(2027, 6, 1), {{8h, 12h}}}}; // 456 days on
        CHECK(next_change(never, local(wib, 2026, 3, 2)) == wall_clock::time_point::max());
        CHECK(next_change(never, local(wib, 2026, 6, 1)) == local(wib, 2027, 6, 1, 8h));
    }
    SUBCASE("extreme instants") {
        CHECK(next_change(cal, wall_clock::time_point::max()) == wall_clock::time_point::max());
        CHECK(next_change(cal, wall_clock::time_point::min()) == wall_clock::time_point::max());
        CHECK_FALSE(in_service_hours(cal, wall_clock::time_point::max()));
        CHECK_FALSE(in_service_hours(cal, wall_clock::time_point::min()));
    }
}

// ---------------------------------------------------------------------------------------
// Configuration.

TEST_CASE("config: a calendar's timezone, defaulting to the top-level one") {
    const config cfg = load_ok(R"(timezone: Asia/Jayapura
calendars:
  jam:
    hours: {mon-fri: "07:30-16:00"}
  jam-wita:
    timezone: Asia/Makassar
    hours: {mon-fri: "07:30-16:00"}
  jam-wib:
    timezone: "+07:00"
    hours: {mon-fri: "07:30-16:00"}
)" + rest);
    CHECK(cfg.utc_offset == wit);
    CHECK(cfg.calendars.at("jam").utc_offset == wit);
    CHECK(cfg.calendars.at("jam-wita").utc_offset == wita);
    CHECK(cfg.calendars.at("jam-wib").utc_offset == wib);
    // A WITA calendar's 07:30 is 23:30 UTC the day before.
    CHECK(in_service_hours(cfg.calendars.at("jam-wita"), utc(2026, 3, 1, 23h + 30min)));
    CHECK(load_ok(with_jam("")).calendars.at("jam").utc_offset == wib); // Asia/Jakarta

    const std::string typo = load_error(with_jam("    timezone: Asia/Makasar\n"));
    CHECK_MESSAGE(starts_with(typo, "test.yaml:4:15: "), typo);
    CHECK(contains(typo, R"(unknown timezone "Asia/Makasar"; did you mean "Asia/Makassar"?)"));
    CHECK(contains(typo, "accepted: Asia/Jakarta (WIB), Asia/Pontianak (WIB), Asia/Makassar "
                         "(WITA), Asia/Jayapura (WIT), UTC, or a fixed offset such as +07:00"));
    CHECK(contains(load_error(with_jam("    timezone: WIT\n")),
                   R"(unknown timezone "WIT"; did you mean "Asia/Jayapura"?)"));
}

TEST_CASE("config: hours: always is a service without a calendar; no calendar is \"always\"") {
    const config cfg = load_ok(with_jam("") + R"(  - id: igd
    agency: dukcapil
    hours: always
    checks: [{id: web, http: {url: "https://igd.go.id/"}}]
)");
    REQUIRE(cfg.services.size() == 2);
    CHECK(cfg.services[0].hours == "jam");
    CHECK_FALSE(cfg.services[0].always_open);
    CHECK_FALSE(cfg.services[1].hours.has_value());
    CHECK(cfg.services[1].always_open);
    // Without any calendar defined too.
    const config bare = load_ok(R"(agencies: [{id: rsud, name: RSUD}]
services:
  - {id: igd, agency: rsud, hours: always, checks: [{id: web, http: {url: "https://igd.go.id/"}}]}
)");
    CHECK(bare.services[0].always_open);

    const std::string named = load_error("calendars:\n  always: {hours: {daily: 24h}}\n");
    CHECK_MESSAGE(starts_with(named, "test.yaml:2:3: "), named);
    CHECK(contains(named, R"(a calendar cannot be named "always")"));
    CHECK(contains(named, "services write hours: always"));
}

TEST_CASE("config: calendar exceptions") {
    const config cfg = load_ok(with_jam(R"(    holidays: [2026-08-17]
    exceptions:
      - {date: 2026-12-31, closed: true}
      - {date: 2026-11-07, hours: ["13:00-15:00", "08:00-12:00"], name: Hari Pelayanan Sabtu}
      - {date: 2026-08-17, hours: "07:00-09:00"}
      - date: 2026-03-02
        hours: 08:00-14:00
)"));
    const service_calendar& cal = cfg.calendars.at("jam");
    const std::vector<calendar_exception> expected{
        {date(2026, 3, 2), {{8h, 14h}}},
        {date(2026, 8, 17), {{7h, 9h}}},
        {date(2026, 11, 7), {{8h, 12h}, {13h, 15h}}},
        {date(2026, 12, 31), {}},
    };
    CHECK(cal.exceptions == expected);
    CHECK(in_service_hours(cal, local(wib, 2026, 11, 7, 9h)));        // Saturday opened
    CHECK(in_service_hours(cal, local(wib, 2026, 8, 17, 8h)));        // holiday overridden
    CHECK_FALSE(in_service_hours(cal, local(wib, 2026, 12, 31, 9h))); // Thursday closed

    const auto error_for = [](const std::string& item) {
        return load_error(with_jam("    exceptions:\n      - " + item + "\n"));
    };
    SUBCASE("a date that does not exist") {
        const std::string e = error_for("{date: 2026-02-30, closed: true}");
        CHECK_MESSAGE(starts_with(e, "test.yaml:5:16: "), e);
        CHECK(contains(e, R"(invalid date "2026-02-30": that month has 28 days)"));
    }
    SUBCASE("overlapping ranges") {
        const std::string e =
            error_for(R"({date: 2026-11-07, hours: ["08:00-12:00", "11:00-13:00"]})");
        CHECK_MESSAGE(starts_with(e, "test.yaml:5:51: "), e);
        CHECK(contains(e, R"(hours "11:00-13:00" overlap "08:00-12:00" for "2026-11-07")"));
    }
    SUBCASE("bad hours") {
        const std::string e = error_for(R"({date: 2026-11-07, hours: "8-12"})");
        CHECK_MESSAGE(starts_with(e, "test.yaml:5:35: "), e);
        CHECK(contains(e, R"(invalid hours "8-12" for "2026-11-07")"));
    }
    SUBCASE("both hours and closed") {
        const std::string e =
            error_for(R"({date: 2026-11-07, hours: "08:00-12:00", closed: true})");
        CHECK_MESSAGE(starts_with(e, "test.yaml:5:50: "), e);
        CHECK(contains(e, R"(exception "2026-11-07" has both hours and closed)"));
    }
    SUBCASE("neither hours nor closed, or closed: false") {
        const std::string e = error_for("{date: 2026-11-07}");
        CHECK_MESSAGE(starts_with(e, "test.yaml:5:9: "), e);
        CHECK(contains(e, R"(exception "2026-11-07" needs "hours", e.g. hours: "08:00-12:00")"));
        CHECK(contains(error_for("{date: 2026-11-07, closed: false}"),
                       "has closed: false; to open that date, write its hours"));
    }
    SUBCASE("a date given twice") {
        const std::string e = load_error(with_jam(R"(    exceptions:
      - {date: 2026-12-31, closed: true}
      - {date: 2026-12-31, hours: "08:00-12:00"}
)"));
        CHECK_MESSAGE(starts_with(e, "test.yaml:6:16: "), e);
        CHECK(contains(e, R"(duplicate exception for "2026-12-31" (first at line 5))"));
    }
    SUBCASE("shape and keys") {
        CHECK(contains(error_for("{tanggal: 2026-11-07, closed: true}"),
                       R"(unknown key "tanggal" in exception)"));
        CHECK(contains(error_for("{hours: \"08:00-12:00\"}"),
                       R"(exception needs "date", e.g. date: 2026-11-07)"));
        CHECK(contains(error_for("2026-11-07"), "expected {date, hours} or {date, closed: true}"));
        const std::string map = load_error(with_jam("    exceptions: {2026-11-07: closed}\n"));
        CHECK_MESSAGE(starts_with(map, "test.yaml:4:17: "), map);
        CHECK(contains(map, R"(expected a list for "exceptions")"));
        CHECK(contains(load_error(with_jam("    exception: []\n")),
                       R"(unknown key "exception" in calendar "jam"; did you mean "exceptions"?)"));
    }
}

TEST_CASE("config: holidays may list files (one per year) and dates together") {
    const config cfg = load_ok(with_jam("    holidays: [" + shipped_holidays +
                                        ", 2027-01-01, {date: 2027-08-17, name: HUT RI}]\n"));
    const service_calendar& cal = cfg.calendars.at("jam");
    REQUIRE(cal.holidays.size() == 27); // 25 from the file, two more
    CHECK(cal.holidays[24] == date(2026, 12, 25));
    CHECK(cal.holidays[25] == date(2027, 1, 1));
    CHECK(cal.holidays[26] == date(2027, 8, 17));

    const std::string missing =
        load_error(with_jam("    holidays: [2026-08-17, calendars/libur-2099.yaml]\n"));
    CHECK_MESSAGE(starts_with(missing, "test.yaml:4:28: "), missing);
    CHECK(contains(missing, R"(cannot read holidays file "calendars/libur-2099.yaml")"));
    // Anything else is a date.
    CHECK(contains(load_error(with_jam("    holidays: [libur-2099.txt]\n")),
                   R"(invalid date "libur-2099.txt")"));
}
