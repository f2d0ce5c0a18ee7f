#include "core/availability.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace pantau {

namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

using span_set = std::vector<time_span>; // sorted, disjoint, non-empty, not touching

constexpr std::array<std::string_view, 5> zone_names{"Asia/Jakarta", "Asia/Pontianak",
                                                     "Asia/Makassar", "Asia/Jayapura", "UTC"};
constexpr std::array<int, 5> zone_hours{7, 7, 8, 9, 0};
static_assert(zone_names.size() == zone_hours.size());

// See the header: the window keeps every difference and sum within 64-bit nanoseconds
// (250 years < 292), and every local day walked stays inside system_clock's range.
constexpr wall_clock::time_point earliest{sys_days{std::chrono::year{1900} / 1 / 1}};
constexpr wall_clock::time_point latest{sys_days{std::chrono::year{2150} / 1 / 1}};

time_span clamped(time_span s) {
    s.from = std::clamp(s.from, earliest, latest);
    s.to = std::clamp(s.to, earliest, latest);
    return s;
}

int digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : -1;
}

// Two digits at text[pos], or -1.
int two_digits(std::string_view text, std::size_t pos) {
    const int tens = digit(text[pos]);
    const int ones = digit(text[pos + 1]);
    return tens < 0 || ones < 0 ? -1 : tens * 10 + ones;
}

// Sorts and joins overlapping or touching spans in place; drops empty ones. Already sorted
// input (the usual case) skips the sort.
void normalise(span_set& spans) {
    std::erase_if(spans, [](const time_span& s) { return s.to <= s.from; });
    const auto by_start = [](const time_span& a, const time_span& b) { return a.from < b.from; };
    if (!std::is_sorted(spans.begin(), spans.end(), by_start)) {
        std::sort(spans.begin(), spans.end(), by_start);
    }
    std::size_t kept = 0;
    for (std::size_t i = 0; i < spans.size(); ++i) {
        if (kept > 0 && spans[i].from <= spans[kept - 1].to) {
            spans[kept - 1].to = std::max(spans[kept - 1].to, spans[i].to);
        } else {
            spans[kept++] = spans[i];
        }
    }
    spans.resize(kept);
}

// `spans` cut to `bounds`, as a span_set.
span_set clipped(const std::vector<time_span>& spans, time_span bounds) {
    span_set out;
    out.reserve(spans.size());
    for (const time_span& s : spans) {
        const time_span c{std::max(s.from, bounds.from), std::min(s.to, bounds.to)};
        if (c.from < c.to) {
            out.push_back(c);
        }
    }
    normalise(out);
    return out;
}

span_set intersection(const span_set& a, const span_set& b) {
    span_set out;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        const auto from = std::max(a[i].from, b[j].from);
        const auto to = std::min(a[i].to, b[j].to);
        if (from < to) {
            out.push_back({from, to});
        }
        if (a[i].to < b[j].to) {
            ++i;
        } else {
            ++j;
        }
    }
    return out;
}

// The parts of `a` outside every span of `b`.
span_set difference(const span_set& a, const span_set& b) {
    span_set out;
    std::size_t j = 0;
    for (const time_span& s : a) {
        while (j < b.size() && b[j].to <= s.from) {
            ++j;
        }
        auto from = s.from;
        // b[k] may reach into the next span of `a`, so j stays at the first overlap.
        for (std::size_t k = j; k < b.size() && b[k].from < s.to; ++k) {
            if (from < b[k].from) {
                out.push_back({from, b[k].from});
            }
            from = std::max(from, b[k].to);
        }
        if (from < s.to) {
            out.push_back({from, s.to});
        }
    }
    return out;
}

nanoseconds total(const span_set& spans) {
    nanoseconds sum{0};
    for (const time_span& s : spans) {
        sum += s.to - s.from;
    }
    return sum;
}

// considered = `time` minus gaps; down = downtime (already without gaps) inside `time`.
availability_figures figures_within(const span_set& time, const span_set& gaps,
                                    const span_set& down_watched) {
    const nanoseconds unmonitored = total(intersection(time, gaps));
    const nanoseconds considered = total(time) - unmonitored;
    const nanoseconds down = total(intersection(time, down_watched));
    availability_figures f;
    f.considered = std::chrono::duration_cast<std::chrono::seconds>(considered);
    f.down = std::chrono::duration_cast<std::chrono::seconds>(down);
    f.unmonitored = std::chrono::duration_cast<std::chrono::seconds>(unmonitored);
    if (considered > nanoseconds::zero()) {
        f.availability =
            1.0 - static_cast<double>(down.count()) / static_cast<double>(considered.count());
    }
    return f;
}

} // namespace

std::optional<minutes> utc_offset_of(std::string_view timezone) {
    for (std::size_t i = 0; i < zone_names.size(); ++i) {
        if (timezone == zone_names[i]) {
            return std::chrono::hours{zone_hours[i]};
        }
    }
    // "+HH:MM" or "-HH:MM".
    if (timezone.size() != 6 || (timezone[0] != '+' && timezone[0] != '-') || timezone[3] != ':') {
        return std::nullopt;
    }
    const int hh = two_digits(timezone, 1);
    const int mm = two_digits(timezone, 4);
    if (hh < 0 || mm < 0 || mm > 59) {
        return std::nullopt;
    }
    const minutes offset{timezone[0] == '-' ? -(hh * 60 + mm) : hh * 60 + mm};
    if (offset < -std::chrono::hours{12} || offset > std::chrono::hours{14}) {
        return std::nullopt;
    }
    return offset;
}

std::span<const std::string_view> known_timezones() noexcept {
    return zone_names;
}

std::optional<year_month_day> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    const int century = two_digits(text, 0);
    const int year_in_century = two_digits(text, 2);
    const int month = two_digits(text, 5);
    const int day = two_digits(text, 8);
    if (century < 0 || year_in_century < 0 || month < 0 || day < 0) {
        return std::nullopt;
    }
    const year_month_day date{std::chrono::year{century * 100 + year_in_century},
                              std::chrono::month{static_cast<unsigned>(month)},
                              std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    return date;
}

std::span<const opening_hours> hours_on(const service_calendar& cal, year_month_day date) {
    const auto exception = std::lower_bound(
        cal.exceptions.begin(), cal.exceptions.end(), date,
        [](const calendar_exception& e, const year_month_day& d) { return e.date < d; });
    if (exception != cal.exceptions.end() && exception->date == date) {
        return exception->hours;
    }
    if (std::binary_search(cal.holidays.begin(), cal.holidays.end(), date)) {
        return {};
    }
    return cal.week[std::chrono::weekday{sys_days{date}}.iso_encoding() - 1];
}

std::vector<time_span> service_hours_within(const service_calendar& cal, time_span span) {
    span = clamped(span);
    std::vector<time_span> out;
    if (span.to <= span.from) {
        return out;
    }
    // Local days are walked as sys_days: day d's local midnight is at UTC d - utc_offset.
    const sys_days first = std::chrono::floor<days>(span.from + cal.utc_offset);
    const auto local_end = span.to + cal.utc_offset;
    for (sys_days day = first; day < local_end; day += days{1}) {
        const wall_clock::time_point midnight = wall_clock::time_point{day} - cal.utc_offset;
        for (const opening_hours& hours : hours_on(cal, year_month_day{day})) {
            const time_span open{std::max(midnight + hours.open, span.from),
                                 std::min(midnight + hours.close, span.to)};
            if (open.from >= open.to) {
                continue;
            }
            if (!out.empty() && out.back().to == open.from) {
                out.back().to = open.to; // e.g. one 24-hour day after another
            } else {
                out.push_back(open);
            }
        }
    }
    // A calendar within its contract is already in order; one that is not still gives a set.
    normalise(out);
    return out;
}

bool in_service_hours(const service_calendar& cal, wall_clock::time_point t) {
    if (t < earliest || t >= latest) {
        return false;
    }
    const auto local = t + cal.utc_offset;
    const sys_days day = std::chrono::floor<days>(local);
    const auto since_midnight = local - wall_clock::time_point{day};
    const auto hours = hours_on(cal, year_month_day{day});
    return std::any_of(hours.begin(), hours.end(), [&](const opening_hours& h) {
        return h.open <= since_midnight && since_midnight < h.close;
    });
}

wall_clock::time_point next_change(const service_calendar& cal, wall_clock::time_point t) {
    constexpr auto never = wall_clock::time_point::max();
    if (t < earliest || t >= latest) {
        return never;
    }
    const bool open = in_service_hours(cal, t);
    // The state can only change where a range opens or closes: try those instants in time
    // order and take the first after `t` whose state differs (touching ranges do not).
    const sys_days first = std::chrono::floor<days>(t + cal.utc_offset);
    for (sys_days day = first; day <= first + next_change_horizon; day += days{1}) {
        const wall_clock::time_point midnight = wall_clock::time_point{day} - cal.utc_offset;
        if (midnight >= latest) {
            break;
        }
        for (const opening_hours& hours : hours_on(cal, year_month_day{day})) {
            for (const minutes at : {hours.open, hours.close}) {
                const wall_clock::time_point candidate = midnight + at;
                if (candidate > t && in_service_hours(cal, candidate) != open) {
                    return candidate;
                }
            }
        }
    }
    return never;
}

availability_result compute_availability(const availability_input& in) {
    const time_span period = clamped(in.period);
    span_set whole;
    if (period.from < period.to) {
        whole.push_back(period);
    }
    const span_set gaps = clipped(in.gaps, period);
    const span_set down_watched = difference(clipped(in.downtime, period), gaps);

    availability_result result;
    result.overall = figures_within(whole, gaps, down_watched);
    if (in.calendar != nullptr) {
        const span_set hours = service_hours_within(*in.calendar, period);
        result.in_service_hours = figures_within(hours, gaps, down_watched);
    }
    return result;
}

} // namespace pantau
