#include "core/daily_availability.hpp"

#include <algorithm>

namespace pantau {

namespace {

constexpr std::int64_t seconds_per_day = 86400;

bool overlaps(const time_span& s, const time_span& period) {
    return s.from < period.to && s.to > period.from && s.from < s.to;
}

} // namespace

std::int32_t local_day_number(wall_clock::time_point t, std::chrono::minutes utc_offset) {
    const auto local = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()) + utc_offset;
    const std::int64_t s = local.count();
    const std::int64_t day = s >= 0 ? s / seconds_per_day : -((-s - 1) / seconds_per_day) - 1;
    return static_cast<std::int32_t>(day);
}

wall_clock::time_point local_midnight(std::int32_t day, std::chrono::minutes utc_offset) {
    return wall_clock::time_point{std::chrono::seconds{std::int64_t{day} * seconds_per_day} -
                                  utc_offset};
}

daily_availability_result compute_daily_availability(const daily_availability_input& in) {
    daily_availability_result result;
    result.days.resize(in.days);
    std::size_t watched = 0;
    std::chrono::seconds considered{0};
    std::chrono::seconds down{0};
    std::chrono::seconds unmonitored{0};
    for (std::size_t i = 0; i < in.days; ++i) {
        const auto day = static_cast<std::int32_t>(in.first_day + static_cast<std::int32_t>(i));
        while (watched < in.watched_days.size() && in.watched_days[watched] < day) {
            ++watched;
        }
        if (watched == in.watched_days.size() || in.watched_days[watched] != day) {
            continue;
        }
        const time_span period{local_midnight(day, in.utc_offset),
                               std::min(local_midnight(day + 1, in.utc_offset), in.now)};
        if (period.to <= period.from) {
            continue;
        }
        // Linear scans: a service has few outages in 90 days, and most days none.
        std::vector<time_span> day_down;
        for (const time_span& s : in.downtime) {
            if (overlaps(s, period)) {
                day_down.push_back(s);
            }
        }
        std::vector<time_span> day_gaps;
        for (const time_span& s : in.gaps) {
            if (overlaps(s, period)) {
                day_gaps.push_back(s);
            }
        }
        day_availability& out = result.days[i];
        if (day_down.empty() && day_gaps.empty()) {
            const auto length =
                std::chrono::duration_cast<std::chrono::seconds>(period.to - period.from);
            out.availability = 1.0;
            considered += length;
            continue;
        }
        availability_input a;
        a.period = period;
        a.downtime = std::move(day_down);
        a.gaps = std::move(day_gaps);
        const availability_result r = compute_availability(a);
        out.availability = r.overall.availability;
        out.down = r.overall.down;
        out.outages = static_cast<std::uint32_t>(a.downtime.size());
        considered += r.overall.considered;
        down += r.overall.down;
        unmonitored += r.overall.unmonitored;
    }
    result.total.considered = considered;
    result.total.down = down;
    result.total.unmonitored = unmonitored;
    if (considered.count() > 0) {
        result.total.availability =
            1.0 - static_cast<double>(down.count()) / static_cast<double>(considered.count());
    }
    return result;
}

} // namespace pantau
