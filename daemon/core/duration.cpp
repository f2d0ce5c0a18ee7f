#include "core/duration.hpp"

#include <cstdint>
#include <limits>

namespace pantau {

std::optional<duration> parse_duration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::int64_t total_ms = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::int64_t value = 0;
        const std::size_t digits_start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
                return std::nullopt;
            }
            value = value * 10 + (text[pos] - '0');
            ++pos;
        }
        if (pos == digits_start) {
            return std::nullopt;
        }
        std::int64_t unit_ms = 0;
        if (text.substr(pos, 2) == "ms") {
            unit_ms = 1;
            pos += 2;
        } else if (pos < text.size()) {
            switch (text[pos]) {
            case 's': unit_ms = 1000; break;
            case 'm': unit_ms = std::int64_t{60} * 1000; break;
            case 'h': unit_ms = std::int64_t{3600} * 1000; break;
            case 'd': unit_ms = 24LL * 3600 * 1000; break;
            default: return std::nullopt;
            }
            ++pos;
        } else {
            return std::nullopt; // a bare number has no unit
        }
        if (value > (std::numeric_limits<std::int64_t>::max() - total_ms) / unit_ms) {
            return std::nullopt;
        }
        total_ms += value * unit_ms;
    }
    return duration{total_ms};
}

std::string format_duration(duration d) {
    std::int64_t ms = d.count();
    if (ms == 0) {
        return "0s";
    }
    std::string out;
    if (ms < 0) {
        out += '-';
        ms = -ms;
    }
    struct unit {
        std::int64_t ms;
        const char* name;
    };
    static constexpr unit units[] = {{24LL * 3600 * 1000, "d"},
                                     {3600LL * 1000, "h"},
                                     {60LL * 1000, "m"},
                                     {1000, "s"},
                                     {1, "ms"}};
    for (const unit& u : units) {
        if (ms >= u.ms) {
            out += std::to_string(ms / u.ms);
            out += u.name;
            ms %= u.ms;
        }
    }
    return out;
}

} // namespace pantau
