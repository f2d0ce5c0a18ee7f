#include "core/text.hpp"

#include <chrono>
#include <string>

#include <doctest/doctest.h>

namespace text = pantau::text;

using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::system_clock;

namespace {

// 28 November 2026, hh:mm:ss UTC.
system_clock::time_point utc(int hh, int mm, int ss = 0) {
    return system_clock::time_point{sys_days{std::chrono::year{2026} / 11 / 28}} +
           std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss};
}

} // namespace

TEST_CASE("text: languages are id and en") {
    CHECK(text::parse_lang("id") == text::lang::id);
    CHECK(text::parse_lang("en") == text::lang::en);
    CHECK_FALSE(text::parse_lang("EN").has_value());
    CHECK_FALSE(text::parse_lang("").has_value());
}

TEST_CASE("text: zone names are what people say in Indonesia, UTC+hh:mm elsewhere") {
    CHECK(text::zone_name(7h) == "WIB");
    CHECK(text::zone_name(8h) == "WITA");
    CHECK(text::zone_name(9h) == "WIT");
    CHECK(text::zone_name(5h + 30min) == "UTC+05:30");
    CHECK(text::zone_name(-3h) == "UTC-03:00");
    CHECK(text::zone_name(0min) == "UTC+00:00");
    CHECK(text::zone_name(0min, text::utc_form::bare) == "UTC");
    CHECK(text::zone_name(7h, text::utc_form::bare) == "WIB");
    CHECK(text::utc_offset_text(-(3h + 30min)) == "-03:30");
    CHECK(text::utc_offset_text(0min) == "+00:00");
}

TEST_CASE("text: Indonesian zone of an offset or a configured time zone") {
    CHECK(text::indonesian_zone(8h) == "WITA");
    CHECK_FALSE(text::indonesian_zone(0min).has_value());
    CHECK(text::indonesian_zone(std::string_view{"Asia/Jakarta"}) == "WIB");
    CHECK(text::indonesian_zone(std::string_view{"Asia/Pontianak"}) == "WIB");
    CHECK(text::indonesian_zone(std::string_view{"Asia/Makassar"}) == "WITA");
    CHECK(text::indonesian_zone(std::string_view{"Asia/Jayapura"}) == "WIT");
    CHECK(text::indonesian_zone(std::string_view{"+09:00"}) == "WIT");
    CHECK_FALSE(text::indonesian_zone(std::string_view{"UTC"}).has_value());
    CHECK_FALSE(text::indonesian_zone(std::string_view{"Europe/Paris"}).has_value());
}

TEST_CASE("text: local dates and times in both languages") {
    const auto t = utc(12, 5, 59); // 19.05 WIB, seconds dropped
    CHECK(text::long_date_time(t, 7h, text::lang::id) == "28 November 2026 19.05 WIB");
    CHECK(text::long_date_time(t, 7h, text::lang::en) == "28 November 2026 19:05 WIB");
    CHECK(text::short_date_time(t, 7h, text::lang::id) == "28 Nov 2026 19.05");
    CHECK(text::numeric_date_time(t, 7h) == "28-11-2026 19:05 WIB");
    CHECK(text::numeric_date_time(t, 0min) == "28-11-2026 12:05 UTC+00:00");
    // The local date turns at local midnight, not at UTC midnight.
    CHECK(text::short_date_time(utc(17, 30), 7h, text::lang::id) == "29 Nov 2026 00.30");
    CHECK(text::short_date_time(utc(0, 30), -3h, text::lang::en) == "27 Nov 2026 21:30");

    const std::chrono::year_month_day aug{std::chrono::year{2026}, std::chrono::August,
                                          std::chrono::day{7}};
    CHECK(text::long_date(aug, text::lang::id) == "7 Agustus 2026");
    CHECK(text::long_date(aug, text::lang::en) == "7 August 2026");
    CHECK(text::short_date(aug, text::lang::id) == "7 Agu 2026");
    CHECK(text::short_date(aug, text::lang::en) == "7 Aug 2026");
    CHECK(text::iso_date(aug) == "2026-08-07");
    CHECK(text::clock_time(7, 0, text::lang::id) == "07.00");
    CHECK(text::clock_time(7, 0, text::lang::en) == "07:00");

    const text::local_minute lm = text::to_local(utc(23, 59, 59), 9h);
    CHECK(lm.date == std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::November,
                                                 std::chrono::day{29}});
    CHECK(lm.hour == 8);
    CHECK(lm.minute == 59);
}

TEST_CASE("text: durations in the two largest adjacent units") {
    using text::human_duration;
    CHECK(human_duration(2h + 15min + 30s, text::lang::id) == "2 jam 15 menit");
    CHECK(human_duration(3 * 24h + 4h, text::lang::en) == "3 d 4 h");
    CHECK(human_duration(45s, text::lang::en) == "45 s");
    CHECK(human_duration(24h + 5min, text::lang::id) == "1 hari");
    CHECK(human_duration(0s, text::lang::id) == "0 menit");
    CHECK(human_duration(-5s, text::lang::en) == "0 min");
    CHECK(human_duration(0s, text::lang::id, text::duration_unit::second) == "0 detik");
    CHECK(human_duration(-5s, text::lang::en, text::duration_unit::second) == "0 s");
    CHECK(text::unit_name(text::duration_unit::day, text::lang::id) == " hari");
    CHECK(text::short_duration(90s + 999ms) == "1m30s");
}

TEST_CASE("text: decimals and display names") {
    CHECK(text::decimal(99.5, 2, text::lang::id) == "99,50");
    CHECK(text::decimal(99.5, 2, text::lang::en) == "99.50");
    CHECK(text::decimal(98.0, 0, text::lang::id) == "98");
    CHECK(text::display_name("Layanan Akta", "akta") == "Layanan Akta (akta)");
    CHECK(text::display_name("akta", "akta") == "akta");
    CHECK(text::display_name("", "akta") == "akta");
}
