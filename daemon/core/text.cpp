#include "core/text.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "core/availability.hpp"
#include "core/duration.hpp"

namespace pantau::text {

namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::year_month_day;
using wall_time = std::chrono::system_clock::time_point;

constexpr std::array<std::string_view, 12> months_id = {
    "Januari", "Februari", "Maret",     "April",   "Mei",      "Juni",
    "Juli",    "Agustus",  "September", "Oktober", "November", "Desember"};
constexpr std::array<std::string_view, 12> months_en = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 12> months_short_id = {
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"};
constexpr std::array<std::string_view, 12> months_short_en = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// By duration_unit.
constexpr std::array<std::string_view, 4> units_id = {" hari", " jam", " menit", " detik"};
constexpr std::array<std::string_view, 4> units_en = {" d", " h", " min", " s"};
constexpr std::array<long long, 4> unit_seconds = {86400, 3600, 60, 1};

std::string two_digits(long long v) {
    std::string s = std::to_string(v);
    return s.size() < 2 ? "0" + s : s;
}

std::size_t month_index(year_month_day d) {
    return static_cast<std::size_t>(static_cast<unsigned>(d.month())) - 1;
}

// "28 <month> 2026" with the month from `names`.
std::string day_month_year(year_month_day d, const std::array<std::string_view, 12>& names) {
    return std::to_string(static_cast<unsigned>(d.day())) + " " +
           std::string(names.at(month_index(d))) + " " + std::to_string(static_cast<int>(d.year()));
}

} // namespace

std::optional<lang> parse_lang(std::string_view s) {
    if (s == "id") {
        return lang::id;
    }
    if (s == "en") {
        return lang::en;
    }
    return std::nullopt;
}

std::string utc_offset_text(minutes offset) {
    const long long total = offset.count();
    const long long magnitude = std::llabs(total);
    return std::string(total < 0 ? "-" : "+") + two_digits(magnitude / 60) + ":" +
           two_digits(magnitude % 60);
}

std::optional<std::string_view> indonesian_zone(minutes offset) {
    switch (offset.count()) {
    case 7L * 60: return "WIB";
    case 8L * 60: return "WITA";
    case 9L * 60: return "WIT";
    default: return std::nullopt;
    }
}

std::optional<std::string_view> indonesian_zone(std::string_view timezone) {
    const std::optional<minutes> offset = utc_offset_of(timezone);
    return offset ? indonesian_zone(*offset) : std::nullopt;
}

std::string zone_name(minutes offset, utc_form zero) {
    if (const auto zone = indonesian_zone(offset)) {
        return std::string(*zone);
    }
    if (offset.count() == 0 && zero == utc_form::bare) {
        return "UTC";
    }
    return "UTC" + utc_offset_text(offset);
}

local_minute to_local(wall_time t, minutes offset) {
    const auto local = std::chrono::floor<seconds>(t + offset);
    const auto day = std::chrono::floor<std::chrono::days>(local);
    const std::chrono::hh_mm_ss<seconds> hms{local - day};
    return {year_month_day{day}, static_cast<int>(hms.hours().count()),
            static_cast<int>(hms.minutes().count())};
}

std::string iso_date(year_month_day d) {
    return std::to_string(static_cast<int>(d.year())) + "-" +
           two_digits(static_cast<unsigned>(d.month())) + "-" +
           two_digits(static_cast<unsigned>(d.day()));
}

std::string long_date(year_month_day d, lang l) {
    return day_month_year(d, l == lang::id ? months_id : months_en);
}

std::string short_date(year_month_day d, lang l) {
    return day_month_year(d, l == lang::id ? months_short_id : months_short_en);
}

std::string clock_time(int hour, int minute, lang l) {
    return two_digits(hour) + (l == lang::id ? "." : ":") + two_digits(minute);
}

std::string long_date_time(wall_time t, minutes offset, lang l) {
    const local_minute lt = to_local(t, offset);
    return long_date(lt.date, l) + " " + clock_time(lt.hour, lt.minute, l) + " " +
           zone_name(offset);
}

std::string short_date_time(wall_time t, minutes offset, lang l) {
    const local_minute lt = to_local(t, offset);
    return short_date(lt.date, l) + " " + clock_time(lt.hour, lt.minute, l);
}

std::string numeric_date_time(wall_time t, minutes offset) {
    const local_minute lt = to_local(t, offset);
    return two_digits(static_cast<unsigned>(lt.date.day())) + "-" +
           two_digits(static_cast<unsigned>(lt.date.month())) + "-" +
           std::to_string(static_cast<int>(lt.date.year())) + " " + two_digits(lt.hour) + ":" +
           two_digits(lt.minute) + " " + zone_name(offset);
}

std::string_view unit_name(duration_unit u, lang l) {
    return (l == lang::id ? units_id : units_en).at(static_cast<std::size_t>(u));
}

std::string human_duration(seconds d, lang l, duration_unit zero_unit) {
    long long rest = d.count();
    std::string out;
    int parts = 0;
    for (std::size_t i = 0; i < unit_seconds.size() && parts < 2; ++i) {
        const long long n = rest / unit_seconds.at(i);
        if (n > 0) {
            if (!out.empty()) {
                out += ' ';
            }
            out += std::to_string(n);
            out += unit_name(static_cast<duration_unit>(i), l);
            rest -= n * unit_seconds.at(i);
            ++parts;
        } else if (parts > 0) {
            break; // only adjacent units: "1 hari 5 menit" would read as more precise than it is
        }
    }
    if (out.empty()) {
        return "0" + std::string(unit_name(zero_unit, l));
    }
    return out;
}

std::string short_duration(std::chrono::system_clock::duration d) {
    return format_duration(std::chrono::duration_cast<seconds>(d));
}

std::string decimal(double value, int decimals, lang l) {
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.*f", decimals, value);
    std::string s(buf.data());
    if (l == lang::id) {
        std::replace(s.begin(), s.end(), '.', ',');
    }
    return s;
}

std::string display_name(const std::string& name, const std::string& id) {
    if (name.empty() || name == id) {
        return id;
    }
    return name + " (" + id + ")";
}

} // namespace pantau::text
