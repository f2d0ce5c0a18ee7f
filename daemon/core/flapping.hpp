// Flap detection for one check: Icinga 2's weighted percent state change over the last
// 20 results. Pure logic: no clock reads, no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pantau {

enum class flap_change : std::uint8_t { started, stopped };

std::string_view to_string(flap_change c);

// Tracks whether one check keeps changing state. Not thread-safe; owned by the event loop.
//
// Formula (as Icinga 2's Checkable::UpdateFlappingStatus): each result after the first is a
// state change when it differs from the result before it. The flags of the last 20 results
// are kept, c_0 (oldest) .. c_19 (newest); slots not filled yet count as no change.
// Newer changes weigh more, linearly: w_i = 0.8 + 0.02 * i (0.80 for the oldest slot, 1.18
// for the newest). The percent state change is
//     percent = 100 * sum(w_i * c_i) / 20
// so a single change in the newest slot gives 5.9 %, and a change on every result 99 %.
// Hysteresis: flapping starts when percent > high and, once flapping, stops when
// percent <= low (Icinga's comparisons). Thresholds are in percent; low <= high expected.
class flap_detector {
public:
    static constexpr std::size_t window = 20;
    static constexpr double default_low = 25.0;
    static constexpr double default_high = 30.0;

    flap_detector() = default;
    flap_detector(double low_percent, double high_percent);

    // Feeds one result (true: ok, false: failed); returns a change of the flapping state.
    std::optional<flap_change> observe(bool ok);

    bool flapping() const { return flapping_; }
    // Weighted percent state change after the last observe(), 0 .. 99.
    double percent() const { return percent_; }
    double low() const { return low_; }
    double high() const { return high_; }

private:
    double low_ = default_low;
    double high_ = default_high;
    std::array<bool, window> changes_{}; // ring buffer of change flags
    std::size_t oldest_ = 0;             // slot to overwrite next: the oldest flag
    std::optional<bool> last_;           // previous result
    bool flapping_ = false;
    double percent_ = 0.0;
};

} // namespace pantau
