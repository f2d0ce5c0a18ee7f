// Maintenance windows: planned time during which a service (or every service of an agency)
// is expected to be down. Checks keep running and outages are recorded, but an outage that
// opens inside a window is "planned" and is not escalated. Pure logic: times are passed in;
// local time uses a fixed UTC offset (see availability.hpp).
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pantau {

// A weekly window in local time: it opens at `from` on each listed day and closes at `to`
// on the same day, or on the next day when `to` <= `from` (e.g. sat 22:00 - 02:00 closes
// Sunday 02:00). Days are indexed 0 = Monday ... 6 = Sunday.
struct weekly_window {
    std::array<bool, 7> days{};
    std::chrono::minutes from{0}; // after local midnight, 0 .. 24h
    std::chrono::minutes to{0};
    std::chrono::minutes utc_offset{7 * 60};

    bool operator==(const weekly_window&) const = default;
};

struct maintenance_window {
    std::string id;      // "config-1" (from the file) or "api-7" (added through the API)
    std::string agency;  // agency id
    std::string service; // service id; empty: every service of the agency
    // Exactly one of the two forms is set: a one-off [start, end) or a weekly window.
    std::optional<std::chrono::system_clock::time_point> start;
    std::optional<std::chrono::system_clock::time_point> end;
    std::optional<weekly_window> weekly;
    std::string reason;

    bool operator==(const maintenance_window&) const = default;
};

// Whether the window is about this service of this agency.
bool covers(const maintenance_window& w, const std::string& agency, const std::string& service);

// When `t` lies inside an occurrence of the window, the end of that occurrence (an
// occurrence is [open, close)); nullopt otherwise.
std::optional<std::chrono::system_clock::time_point>
active_until(const maintenance_window& w, std::chrono::system_clock::time_point t);

// The next occurrence that ends after `t` (the current one when `t` is inside one), as
// [open, close); nullopt when there is none (a past one-off window, a weekly window with
// no days).
std::optional<
    std::pair<std::chrono::system_clock::time_point, std::chrono::system_clock::time_point>>
next_occurrence(const maintenance_window& w, std::chrono::system_clock::time_point t);

// Among the windows covering the service, the latest end of those active at `t`: an
// outage opened at `t` is planned until then. nullopt when none is active.
std::optional<std::chrono::system_clock::time_point>
planned_until(std::span<const maintenance_window> windows, const std::string& agency,
              const std::string& service, std::chrono::system_clock::time_point t);

} // namespace pantau
