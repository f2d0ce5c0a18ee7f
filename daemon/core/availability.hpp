// Availability arithmetic for reports: how much of a period a service was up, overall and
// within its service hours, leaving out the time nobody was watching. Pure logic: all
// times are passed in; local time uses a fixed UTC offset (Indonesia has no daylight
// saving: WIB +07:00, WITA +08:00, WIT +09:00). libstdc++ 12 has the <chrono> calendar
// types but no time zone database, hence the offset instead of a zone.
//
// Times are clamped to [1900-01-01, 2150-01-01) UTC, so that every sum of durations fits
// system_clock's 64-bit nanoseconds; spans outside that window count as empty.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pantau {

using wall_clock = std::chrono::system_clock;

struct time_span {
    wall_clock::time_point from{};
    wall_clock::time_point to{}; // exclusive; empty when to <= from

    bool operator==(const time_span&) const = default;
};

// "Asia/Jakarta", "Asia/Pontianak" (+7), "Asia/Makassar" (+8), "Asia/Jayapura" (+9),
// "UTC", or a literal offset "+07:00" / "-03:30" (from -12:00 to +14:00, sign required).
// nullopt for anything else.
std::optional<std::chrono::minutes> utc_offset_of(std::string_view timezone);

// The zone names utc_offset_of knows, for messages ("accepted: ...").
std::span<const std::string_view> known_timezones() noexcept;

// A calendar date written YYYY-MM-DD that exists (2026-02-30 does not); nullopt otherwise.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);

// Opening hours within one local day, [open, close) as minutes after local midnight;
// close may be 24h (midnight at the end of the day).
struct opening_hours {
    std::chrono::minutes open{0};
    std::chrono::minutes close{0};

    bool operator==(const opening_hours&) const = default;
};

// A date with its own opening hours, overriding both the weekday's hours and a holiday on
// that date: a Saturday service day, shortened hours, or a working day closed.
struct calendar_exception {
    std::chrono::year_month_day date;
    std::vector<opening_hours> hours; // in time order, no overlaps; empty: closed all day

    bool operator==(const calendar_exception&) const = default;
};

// A service-hours calendar: opening hours per weekday (index 0 = Monday ... 6 = Sunday),
// each day's list in time order without overlaps, closed on the listed local dates except
// where an exception gives that date its own hours. Local time is UTC + utc_offset (the
// calendar's own zone; the configuration's top-level timezone unless it names another).
struct service_calendar {
    std::string id;
    std::array<std::vector<opening_hours>, 7> week;
    std::vector<std::chrono::year_month_day> holidays; // sorted, no duplicates
    std::vector<calendar_exception> exceptions;        // sorted by date, one per date
    std::chrono::minutes utc_offset{7 * 60};           // WIB unless set

    bool operator==(const service_calendar&) const = default;
};

// The opening hours of one local date: its exception's, none on a holiday, else the
// weekday's. The span refers into `cal`.
std::span<const opening_hours> hours_on(const service_calendar& cal,
                                        std::chrono::year_month_day date);

// The parts of [span.from, span.to) that fall in service hours, in time order, disjoint;
// spans that touch (e.g. 24-hour days) are joined. Walks the local days (in the calendar's
// utc_offset) that overlap the span: O(days + spans).
std::vector<time_span> service_hours_within(const service_calendar& cal, time_span span);

// Whether instant `t` is within the calendar's service hours (opening instant included,
// closing instant excluded), in the calendar's own zone. False outside 1900-2149.
bool in_service_hours(const service_calendar& cal, wall_clock::time_point t);

// How far next_change looks ahead: past that, a calendar is taken never to change.
inline constexpr std::chrono::days next_change_horizon{400};

// The first instant after `t` at which in_service_hours changes (the next opening when
// closed at `t`, the next closing when open), looking at most next_change_horizon ahead;
// time_point::max() when it does not change within that (a calendar open around the clock,
// or never open). Ranges that touch (12:00-13:00 then 13:00-16:00, or 24h days) are not a
// change.
wall_clock::time_point next_change(const service_calendar& cal, wall_clock::time_point t);

struct availability_input {
    time_span period;                           // the report's period
    std::vector<time_span> downtime;            // outages (open ones end at the period's end)
    std::vector<time_span> gaps;                // monitoring gaps: neither up nor down
    const service_calendar* calendar = nullptr; // when set, also compute within its hours
};

// Durations are exact sums truncated to whole seconds at the end.
struct availability_figures {
    std::chrono::seconds considered{0};  // period (or its service hours) minus gaps
    std::chrono::seconds down{0};        // downtime inside considered time
    std::chrono::seconds unmonitored{0}; // gaps inside the period (or its service hours)
    // 1 - down / considered (from the exact sums); nullopt when nothing was considered.
    std::optional<double> availability;
};

struct availability_result {
    availability_figures overall;
    std::optional<availability_figures> in_service_hours; // when a calendar is set
};

// Overlapping or unsorted inputs are allowed; only the parts inside the period count;
// downtime during a gap counts as a gap. O(n log n) for the sort, linear after it.
availability_result compute_availability(const availability_input& in);

} // namespace pantau
