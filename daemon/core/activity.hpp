// The Bekasi detector's judgement: a counter of served people (tickets, applications) must
// keep increasing while the service is open, even when every server still answers. Pure
// logic: readings and their times are passed in; no clock reads, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/availability.hpp"
#include "core/probe_result.hpp"

namespace pantau {

struct activity_rule {
    double min_increase = 1;
    std::chrono::milliseconds must_increase_within{std::chrono::hours{1}};
    // What an increase means, for reasons: "tickets served" gives "no tickets served for
    // 60m"; empty: "no increase of <source> for 60m".
    std::string what;
    std::string source; // "/antrian/dilayani_hari_ini" or a metric selector, for reasons
    // Service hours the rule applies in (nullptr: always). Only time inside them counts
    // towards must_increase_within.
    const service_calendar* during = nullptr;
};

struct activity_verdict {
    probe_status status = probe_status::success;
    std::string reason;
};

// Tracks one counter. A reading lower than the previous one is a counter reset (a new day
// starting at zero): the increase counts from zero, as Prometheus' increase() does.
class activity_tracker {
public:
    explicit activity_tracker(activity_rule rule) : rule_(std::move(rule)) {}

    // Whether the rule applies at `at` (inside `during`, or always without one).
    bool applies(wall_clock::time_point at) const;

    // Outside the hours: the next reading starts a new watch (yesterday's last ticket does
    // not count against this morning).
    void idle() { baseline_.reset(); }

    // One reading taken at `at` (applies(at) is expected to hold).
    activity_verdict observe(double value, wall_clock::time_point at);

    const activity_rule& rule() const { return rule_; }

private:
    struct baseline {
        wall_clock::time_point at;
        double value = 0; // the counter when the watch (re)started, for "stuck at"
    };
    std::chrono::nanoseconds counted_since(wall_clock::time_point from,
                                           wall_clock::time_point to) const;
    std::string phrase_none() const;

    activity_rule rule_;
    std::optional<baseline> baseline_;
    double last_ = 0;   // previous reading
    double gained_ = 0; // increase since the baseline, resets counted from zero
};

// "300ms", "45s", "12m", "60m", "119m", "2h30m", "49h": minutes up to two hours read better than
// hours; no days (a daily job is "every 24h").
std::string format_elapsed(std::chrono::nanoseconds d);

// "417", "417.5": a reading as people write it.
std::string format_reading(double v);

} // namespace pantau
