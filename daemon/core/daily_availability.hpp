// Availability per local day over a window of days (the status page's 90-day bars). Pure
// logic: times are passed in; local days use a fixed UTC offset like the rest of core.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/availability.hpp"

namespace pantau {

// The local day (days since 1970-01-01 at `utc_offset`) that `t` falls in.
std::int32_t local_day_number(wall_clock::time_point t, std::chrono::minutes utc_offset);
// 00:00 local time of a local day number.
wall_clock::time_point local_midnight(std::int32_t day, std::chrono::minutes utc_offset);

struct day_availability {
    // nullopt when the service was not watched that day (not yet configured, daemon down
    // the whole day, or the day has not started).
    std::optional<double> availability;
    std::chrono::seconds down{0}; // downtime inside the watched part of the day
    std::uint32_t outages = 0;    // outages overlapping the watched part of the day
};

struct daily_availability_input {
    std::int32_t first_day = 0; // local day number of the first day in the window
    std::size_t days = 90;
    std::chrono::minutes utc_offset{7 * 60};
    wall_clock::time_point now{}; // the window ends here: later time is not counted
    // One span per outage of the service; an open outage ends at `now`.
    std::span<const time_span> downtime;
    std::span<const time_span> gaps; // monitoring gaps: neither up nor down
    // Local day numbers on which the service was probed at least once, sorted ascending.
    // A day not listed has no availability (grey), whatever the outages say.
    std::span<const std::int32_t> watched_days;
};

struct daily_availability_result {
    std::vector<day_availability> days; // `days` entries, first_day first
    // Over the watched days of the window together (time-weighted, like the report).
    availability_figures total;
};

// Each day is [local midnight, next midnight) cut at `now`, evaluated with
// compute_availability (so a gap hides downtime, as in the report). O(days + spans).
daily_availability_result compute_daily_availability(const daily_availability_input& in);

} // namespace pantau
