// Health state machine of one check (Icinga-style soft/hard states) and the status of a
// service derived from its checks. Pure logic: no clock reads, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/probe_result.hpp"

namespace pantau {

// UNKNOWN: no result yet. UP: hard up. PENDING: failing, but fewer than failure_threshold
// consecutive failures (soft state; re-checked at retry_interval). DOWN: hard down. IDLE:
// outside the hours the check applies in (an activity check's `during`): neither up nor
// down, and an outage it caused ends.
enum class check_state : std::uint8_t { unknown, up, pending, down, idle };

std::string_view to_string(check_state s);

struct thresholds {
    // Consecutive failures that turn UP/PENDING/UNKNOWN into DOWN. At least 1.
    unsigned failure_threshold = 3;
    // Consecutive successes that turn DOWN into UP. At least 1.
    unsigned success_threshold = 1;
};

struct transition {
    check_state from;
    check_state to;
    // Reason of the probe that caused the transition.
    std::string reason;
};

// Tracks one check. Not thread-safe; owned by the event loop.
class health_tracker {
public:
    explicit health_tracker(thresholds t);

    // Feeds one probe outcome; returns the transition when the state changed.
    std::optional<transition> observe(probe_status status, std::string_view reason);

    check_state state() const { return state_; }
    // The last hard state: UNKNOWN, UP or DOWN, never PENDING (a soft failure keeps the
    // hard state it started from, as in Icinga).
    check_state hard_state() const { return hard_; }
    // True while the tracker wants a re-check sooner than the regular interval: a soft
    // failure awaiting confirmation, or a DOWN check collecting successes to recover.
    bool deciding() const;
    unsigned consecutive_failures() const { return failures_; }
    unsigned consecutive_successes() const { return successes_; }
    const thresholds& limits() const { return limits_; }
    void set_limits(thresholds t) { limits_ = t; }

private:
    thresholds limits_;
    check_state state_ = check_state::unknown;
    check_state hard_ = check_state::unknown;
    unsigned failures_ = 0;
    unsigned successes_ = 0;
};

// IDLE: every check of the service is idle (nobody is expected to use it now).
enum class service_state : std::uint8_t { unknown, up, down, idle };

std::string_view to_string(service_state s);

// Default rule over the checks' hard states: DOWN when any check is DOWN; UP when at
// least one is UP and none is DOWN; IDLE when every check is IDLE; UNKNOWN while no
// check has reached a hard state. IDLE checks are left out when others are not idle.
// (A PENDING check is a soft failure: it counts with the hard state it started from.)
service_state derive_service_state(std::span<const check_state> hard_states);

} // namespace pantau
