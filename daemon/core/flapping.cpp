#include "core/flapping.hpp"

namespace pantau {

std::string_view to_string(flap_change c) {
    switch (c) {
    case flap_change::started: return "started";
    case flap_change::stopped: return "stopped";
    }
    return "invalid";
}

flap_detector::flap_detector(double low_percent, double high_percent)
    : low_(low_percent)
    , high_(high_percent) {}

std::optional<flap_change> flap_detector::observe(bool ok) {
    const bool changed = last_.has_value() && *last_ != ok;
    last_ = ok;
    changes_[oldest_] = changed;
    oldest_ = (oldest_ + 1) % window;

    // Walk from the oldest flag (weight 0.8) to the newest (0.8 + 0.02 * 19).
    double weighted = 0.0;
    for (std::size_t i = 0; i < window; ++i) {
        if (changes_[(oldest_ + i) % window]) {
            weighted += 0.8 + 0.02 * static_cast<double>(i);
        }
    }
    percent_ = 100.0 * weighted / static_cast<double>(window);

    const bool now_flapping = flapping_ ? percent_ > low_ : percent_ > high_;
    if (now_flapping == flapping_) {
        return std::nullopt;
    }
    flapping_ = now_flapping;
    return flapping_ ? flap_change::started : flap_change::stopped;
}

} // namespace pantau
