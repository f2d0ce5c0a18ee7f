// Retry delays for notification delivery: exponential backoff with jitter. Pure logic: the
// random draw is passed in.
#pragma once

#include <chrono>
#include <optional>

namespace pantau {

struct backoff_policy {
    std::chrono::milliseconds first{1000}; // delay after the first failed attempt
    std::chrono::milliseconds max{300000}; // the delay never grows beyond this
    double factor = 2.0;
};

// Delay before the next attempt after `failures` failed attempts (1 for the first).
// The exponential delay d = min(first * factor^(failures-1), max) is spread over
// [d/2, d] by `jitter` in [0, 1] (so that many messages failing together do not retry in
// lockstep), and is never shorter than what the receiver asked for (Retry-After), which
// may exceed max.
std::chrono::milliseconds retry_delay(const backoff_policy& p, unsigned failures, double jitter,
                                      std::optional<std::chrono::milliseconds> retry_after);

} // namespace pantau
