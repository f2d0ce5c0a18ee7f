// Times, durations and numbers as people read them, in bahasa Indonesia and English: the
// zone names (WIB, WITA, WIT), local dates and clock times, durations, decimals. Shared by
// the notices (notify), the status page (web), the report and the command line, so that
// each writes a time the same way.
//
// Pure functions of their arguments: no clock, no locale, no time zone database. Local
// time is a fixed UTC offset (Indonesia has no daylight saving; see core/availability.hpp
// for the zones a configuration may name). Every result is UTF-8.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pantau::text {

// The language of text for people: bahasa Indonesia (the default everywhere) or English.
enum class lang : std::uint8_t { id, en };

// "id" / "en"; nullopt for anything else.
std::optional<lang> parse_lang(std::string_view s);

// ---------------------------------------------------------------------------------------
// Zones

// "+07:00", "-03:30", "+00:00".
std::string utc_offset_text(std::chrono::minutes offset);

// "WIB", "WITA", "WIT" for +07:00, +08:00, +09:00; nullopt for any other offset.
std::optional<std::string_view> indonesian_zone(std::chrono::minutes offset);

// The same for a time zone as a configuration names it ("Asia/Makassar" -> "WITA", read
// with utc_offset_of); nullopt for other zones and for names utc_offset_of does not know.
std::optional<std::string_view> indonesian_zone(std::string_view timezone);

// How zone_name writes offset 0. Notices and the report have always written "UTC+00:00",
// the status page "UTC"; kept apart so that neither output changes.
enum class utc_form : std::uint8_t { with_offset, bare };

// The zone people say after a local time: "WIB", "WITA", "WIT"; otherwise "UTC+05:30"
// ("UTC-03:00"); offset 0 as `zero` says.
std::string zone_name(std::chrono::minutes offset, utc_form zero = utc_form::with_offset);

// ---------------------------------------------------------------------------------------
// Local dates and times

// A wall-clock time at a UTC offset, to the minute (seconds are dropped, never rounded).
struct local_minute {
    std::chrono::year_month_day date;
    int hour = 0;   // 0-23
    int minute = 0; // 0-59
};

local_minute to_local(std::chrono::system_clock::time_point t, std::chrono::minutes offset);

// "2026-11-28".
std::string iso_date(std::chrono::year_month_day d);

// "28 November 2026" (id and en); "28 Agustus 2026" / "28 August 2026".
std::string long_date(std::chrono::year_month_day d, lang l);

// "28 Nov 2026"; "28 Agu 2026" / "28 Aug 2026".
std::string short_date(std::chrono::year_month_day d, lang l);

// Indonesian writes the time of day with a period ("19.00"), English with a colon ("19:00").
std::string clock_time(int hour, int minute, lang l);

// "28 November 2026 19.00 WIB" (en: "28 November 2026 19:00 WIB"); zone as zone_name.
std::string long_date_time(std::chrono::system_clock::time_point t, std::chrono::minutes offset,
                           lang l);

// "28 Nov 2026 19.00" (en: "28 Nov 2026 19:00"), without the zone.
std::string short_date_time(std::chrono::system_clock::time_point t, std::chrono::minutes offset,
                            lang l);

// "28-11-2026 19:00 WIB": how notices (Telegram, e-mail, Alertmanager) write a time.
std::string numeric_date_time(std::chrono::system_clock::time_point t, std::chrono::minutes offset);

// ---------------------------------------------------------------------------------------
// Durations

enum class duration_unit : std::uint8_t { day, hour, minute, second };

// The unit's word with its leading space, as written after a number: " hari", " jam",
// " menit", " detik" (id); " d", " h", " min", " s" (en).
std::string_view unit_name(duration_unit u, lang l);

// The two largest adjacent units, truncated: "2 jam 15 menit", "3 d 4 h", "45 s", "1 hari"
// (never "1 hari 5 menit", which would read as more precise than it is). Zero and negative
// durations read "0" in `zero_unit`: "0 menit" by default.
std::string human_duration(std::chrono::seconds d, lang l,
                           duration_unit zero_unit = duration_unit::minute);

// "1m30s", "2h", "0s": whole seconds (truncated) in the notation of the configuration file
// (format_duration), for log lines.
std::string short_duration(std::chrono::system_clock::duration d);

// ---------------------------------------------------------------------------------------
// Numbers and names

// `value` with `decimals` digits after the decimal separator, which is a comma in
// Indonesian ("99,50") and a period in English ("99.50"). No thousands separators.
std::string decimal(double value, int decimals, lang l);

// "Layanan Akta Kelahiran Online (akta-online)", or just the id when the name is empty or
// the same. Plain text: callers escape for their markup.
std::string display_name(const std::string& name, const std::string& id);

} // namespace pantau::text
