#include "core/activity.hpp"

#include <cmath>
#include <cstdio>

namespace pantau {

using std::chrono::duration_cast;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

std::string format_elapsed(nanoseconds d) {
    if (d < nanoseconds{0}) {
        d = nanoseconds{0};
    }
    if (d < seconds{1}) {
        return std::to_string(duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
    }
    if (d < minutes{1}) {
        return std::to_string(duration_cast<seconds>(d).count()) + "s";
    }
    if (d < minutes{120}) {
        return std::to_string(duration_cast<minutes>(d).count()) + "m";
    }
    const auto h = duration_cast<std::chrono::hours>(d);
    const auto m = duration_cast<minutes>(d - h);
    return std::to_string(h.count()) + "h" + (m.count() > 0 ? std::to_string(m.count()) + "m" : "");
}

std::string format_reading(double v) {
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
        return std::to_string(static_cast<long long>(v));
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

bool activity_tracker::applies(wall_clock::time_point at) const {
    if (rule_.during == nullptr) {
        return true;
    }
    return in_service_hours(*rule_.during, at);
}

nanoseconds activity_tracker::counted_since(wall_clock::time_point from,
                                            wall_clock::time_point to) const {
    if (to <= from) {
        return nanoseconds{0};
    }
    if (rule_.during == nullptr) {
        return to - from;
    }
    nanoseconds total{0};
    for (const time_span& s : service_hours_within(*rule_.during, {from, to})) {
        total += s.to - s.from;
    }
    return total;
}

std::string activity_tracker::phrase_none() const {
    return rule_.what.empty() ? "no increase of " + rule_.source : "no " + rule_.what;
}

activity_verdict activity_tracker::observe(double value, wall_clock::time_point at) {
    const std::string hours = rule_.during != nullptr ? " during service hours" : "";
    if (!baseline_) {
        baseline_ = baseline{at, value};
        last_ = value;
        gained_ = 0;
        return {probe_status::success, "value " + format_reading(value) + ", watching for " +
                                           format_reading(rule_.min_increase) + " more within " +
                                           format_elapsed(rule_.must_increase_within) + hours};
    }
    const double step = value >= last_ ? value - last_ : value; // lower: reset, count from 0
    const bool reset = value < last_;
    last_ = value;
    gained_ += step;
    const nanoseconds waited = counted_since(baseline_->at, at);
    if (gained_ >= rule_.min_increase) {
        activity_verdict v{probe_status::success,
                           (rule_.what.empty() ? "+" + format_reading(gained_)
                                               : format_reading(gained_) + " " + rule_.what) +
                               " in " + format_elapsed(waited) + " (value " +
                               format_reading(value) + (reset ? ", after a counter reset" : "") +
                               ")"};
        baseline_ = baseline{at, value};
        gained_ = 0;
        return v;
    }
    if (waited >= rule_.must_increase_within) {
        if (gained_ <= 0) {
            return {probe_status::failure, phrase_none() + " for " + format_elapsed(waited) +
                                               hours + " (value stuck at " + format_reading(value) +
                                               ")"};
        }
        return {probe_status::failure,
                "only " + format_reading(gained_) + " " +
                    (rule_.what.empty() ? "increase of " + rule_.source : rule_.what) + " in " +
                    format_elapsed(waited) + hours + ", at least " +
                    format_reading(rule_.min_increase) + " expected (value " +
                    format_reading(value) + ")"};
    }
    return {probe_status::success,
            "value " + format_reading(value) + ", +" + format_reading(gained_) + " in " +
                format_elapsed(waited) + " (" + format_reading(rule_.min_increase) +
                " expected within " + format_elapsed(rule_.must_increase_within) + hours + ")"};
}

} // namespace pantau
