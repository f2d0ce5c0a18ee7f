#include "core/maintenance.hpp"

#include <algorithm>

namespace pantau {

namespace {

using std::chrono::days;
using std::chrono::minutes;
using time_point = std::chrono::system_clock::time_point;

// Weekday index (0 = Monday) of a local day counted from the Unix epoch, a Thursday.
std::size_t weekday_of(std::chrono::sys_days d) {
    return std::chrono::weekday{d}.iso_encoding() - 1;
}

minutes occurrence_length(const weekly_window& w) {
    return w.to > w.from ? w.to - w.from : w.to + days{1} - w.from;
}

} // namespace

bool covers(const maintenance_window& w, const std::string& agency, const std::string& service) {
    return w.agency == agency && (w.service.empty() || w.service == service);
}

std::optional<std::pair<time_point, time_point>> next_occurrence(const maintenance_window& w,
                                                                 time_point t) {
    if (w.start && w.end) {
        if (*w.end <= t || *w.end <= *w.start) {
            return std::nullopt;
        }
        return std::pair{*w.start, *w.end};
    }
    if (!w.weekly) {
        return std::nullopt;
    }
    const weekly_window& k = *w.weekly;
    const minutes length = occurrence_length(k);
    // Local time of t; an occurrence that is open at t opened on this local day or the one
    // before (length is at most 24 hours). Walk from yesterday for at most 8 days.
    const auto local = std::chrono::floor<minutes>(t) + k.utc_offset;
    const auto today = std::chrono::floor<days>(local);
    for (int i = -1; i <= 7; ++i) {
        const std::chrono::sys_days day = today + days{i};
        if (!k.days[weekday_of(day)]) {
            continue;
        }
        const time_point open = time_point{day.time_since_epoch() + k.from - k.utc_offset};
        const time_point close = open + length;
        if (close > t) {
            return std::pair{open, close};
        }
    }
    return std::nullopt;
}

std::optional<time_point> active_until(const maintenance_window& w, time_point t) {
    const auto occurrence = next_occurrence(w, t);
    if (!occurrence || occurrence->first > t) {
        return std::nullopt;
    }
    return occurrence->second;
}

std::optional<time_point> planned_until(std::span<const maintenance_window> windows,
                                        const std::string& agency, const std::string& service,
                                        time_point t) {
    std::optional<time_point> until;
    for (const maintenance_window& w : windows) {
        if (!covers(w, agency, service)) {
            continue;
        }
        if (const auto end = active_until(w, t)) {
            until = until ? std::max(*until, *end) : *end;
        }
    }
    return until;
}

} // namespace pantau
