#include "core/time_format.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace pantau {

namespace {

using wall_time = std::chrono::system_clock::time_point;

template <typename T>
bool read_int(std::string_view s, std::size_t pos, std::size_t len, T& out) {
    if (pos + len > s.size()) {
        return false;
    }
    const auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return ec == std::errc{} && end == s.data() + pos + len;
}

} // namespace

std::string format_rfc3339(wall_time t, std::chrono::minutes utc_offset) {
    const auto local = std::chrono::time_point_cast<std::chrono::seconds>(t) + utc_offset;
    const std::time_t secs = std::chrono::system_clock::to_time_t(local);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = buf;
    const auto total = utc_offset.count();
    if (total == 0) {
        return out + "Z";
    }
    const long long abs_minutes = total < 0 ? -total : total;
    std::snprintf(buf, sizeof buf, "%c%02lld:%02lld", total < 0 ? '-' : '+', abs_minutes / 60,
                  abs_minutes % 60);
    return out + buf;
}

std::optional<wall_time> parse_rfc3339_or_date(std::string_view s,
                                               std::chrono::minutes utc_offset) {
    int y = 0;
    unsigned mo = 0;
    unsigned d = 0;
    if (!read_int(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !read_int(s, 5, 2, mo) ||
        s[7] != '-' || !read_int(s, 8, 2, d)) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo},
                                          std::chrono::day{d}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    const wall_time midnight_utc = std::chrono::sys_days{ymd};
    if (s.size() == 10) {
        return midnight_utc - utc_offset;
    }
    int hh = 0;
    int mm = 0;
    int ss = 0;
    if (s.size() < 16 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !read_int(s, 11, 2, hh) || s[13] != ':' || !read_int(s, 14, 2, mm) || hh > 23 || mm > 59) {
        return std::nullopt;
    }
    // Local time without seconds or offset: "2026-11-28 19:00".
    if (s.size() == 16) {
        return midnight_utc + std::chrono::hours{hh} + std::chrono::minutes{mm} - utc_offset;
    }
    if (s.size() < 19 || s[16] != ':' || !read_int(s, 17, 2, ss) || ss > 60) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    std::chrono::milliseconds frac{0};
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        long long ms = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 3) {
                ms = ms * 10 + (s[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        for (int i = digits; i < 3; ++i) {
            ms *= 10;
        }
        frac = std::chrono::milliseconds(ms);
    }
    std::chrono::minutes offset{0};
    const std::string_view zone = s.substr(pos);
    if (zone.empty()) {
        offset = utc_offset; // local time: "2026-11-28T19:00:05"
    } else if (zone == "Z" || zone == "z") {
        offset = std::chrono::minutes{0};
    } else {
        int oh = 0;
        int om = 0;
        if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !read_int(zone, 1, 2, oh) ||
            zone[3] != ':' || !read_int(zone, 4, 2, om)) {
            return std::nullopt;
        }
        offset = std::chrono::minutes{(zone[0] == '-' ? -1 : 1) * (oh * 60 + om)};
    }
    return midnight_utc + std::chrono::hours{hh} + std::chrono::minutes{mm} +
           std::chrono::seconds{ss} + frac - offset;
}

} // namespace pantau
