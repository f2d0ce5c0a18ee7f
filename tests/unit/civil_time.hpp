// Instants written as civil dates and times, for tests of calendars and availability
// (Indonesia's zones have fixed offsets: WIB +07:00, WITA +08:00, WIT +09:00).
#pragma once

#include <chrono>

#include "core/availability.hpp"

namespace pantau::test {

inline constexpr std::chrono::minutes wib{7 * 60};
inline constexpr std::chrono::minutes wita{8 * 60};
inline constexpr std::chrono::minutes wit{9 * 60};

// A UTC instant: utc(2026, 3, 2, 9h + 30min).
inline wall_clock::time_point utc(int y, unsigned m, unsigned d,
                                  std::chrono::minutes time = std::chrono::minutes{0}) {
    const std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{m} /
                                    std::chrono::day{d}};
    return wall_clock::time_point{day} + time;
}

// Local time `time` on y-m-d at `offset`, as an instant.
inline wall_clock::time_point local(std::chrono::minutes offset, int y, unsigned m, unsigned d,
                                    std::chrono::minutes time = std::chrono::minutes{0}) {
    return utc(y, m, d, time) - offset;
}

inline std::chrono::year_month_day date(int y, unsigned m, unsigned d) {
    return std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
}

} // namespace pantau::test
