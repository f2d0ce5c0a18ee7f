#include "core/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace pantau {

std::chrono::milliseconds retry_delay(const backoff_policy& p, unsigned failures, double jitter,
                                      std::optional<std::chrono::milliseconds> retry_after) {
    const double first = static_cast<double>(std::max<std::int64_t>(p.first.count(), 1));
    const double max = static_cast<double>(std::max(p.max.count(), p.first.count()));
    const double exponent = failures == 0 ? 0.0 : static_cast<double>(failures - 1);
    // Capped before it can overflow: factor^exponent grows fast.
    const double grown = std::min(first * std::pow(std::max(p.factor, 1.0), exponent), max);
    const double spread = std::clamp(std::isnan(jitter) ? 1.0 : jitter, 0.0, 1.0);
    auto delay = std::chrono::milliseconds{std::llround(grown * (0.5 + 0.5 * spread))};
    if (retry_after && *retry_after > delay) {
        delay = *retry_after;
    }
    return delay;
}

} // namespace pantau
