#include "core/health.hpp"

#include <algorithm>

namespace pantau {

std::string_view to_string(check_state s) {
    switch (s) {
    case check_state::unknown: return "unknown";
    case check_state::up: return "up";
    case check_state::pending: return "pending";
    case check_state::down: return "down";
    case check_state::idle: return "idle";
    }
    return "invalid";
}

std::string_view to_string(service_state s) {
    switch (s) {
    case service_state::unknown: return "unknown";
    case service_state::up: return "up";
    case service_state::down: return "down";
    case service_state::idle: return "idle";
    }
    return "invalid";
}

health_tracker::health_tracker(thresholds t) : limits_(t) {
    limits_.failure_threshold = std::max(1U, limits_.failure_threshold);
    limits_.success_threshold = std::max(1U, limits_.success_threshold);
}

bool health_tracker::deciding() const {
    switch (state_) {
    case check_state::unknown:
    case check_state::idle:
    case check_state::up: return false;
    case check_state::pending: return true;
    case check_state::down: return successes_ > 0;
    }
    return false;
}

std::optional<transition> health_tracker::observe(probe_status status, std::string_view reason) {
    const check_state before = state_;
    if (status == probe_status::idle) {
        // Not judged: whatever comes next starts afresh, as after a start.
        failures_ = 0;
        successes_ = 0;
        state_ = check_state::idle;
    } else if (status == probe_status::success) {
        failures_ = 0;
        ++successes_;
        switch (state_) {
        case check_state::unknown:
        case check_state::idle:
        case check_state::pending:
            // No outage was declared, so one success is enough.
            state_ = check_state::up;
            break;
        case check_state::up: break;
        case check_state::down:
            if (successes_ >= limits_.success_threshold) {
                state_ = check_state::up;
            }
            break;
        }
    } else {
        successes_ = 0;
        ++failures_;
        switch (state_) {
        case check_state::unknown:
        case check_state::idle:
        case check_state::up:
        case check_state::pending:
            state_ =
                failures_ >= limits_.failure_threshold ? check_state::down : check_state::pending;
            break;
        case check_state::down: break;
        }
    }
    if (state_ != check_state::pending) {
        hard_ = state_;
    }
    if (state_ == before) {
        return std::nullopt;
    }
    return transition{before, state_, std::string(reason)};
}

service_state derive_service_state(std::span<const check_state> hard_states) {
    bool any_up = false;
    bool all_idle = !hard_states.empty();
    for (check_state s : hard_states) {
        all_idle = all_idle && s == check_state::idle;
        switch (s) {
        case check_state::down: return service_state::down;
        case check_state::up:
        case check_state::pending: any_up = true; break;
        case check_state::unknown:
        case check_state::idle: break;
        }
    }
    if (all_idle) {
        return service_state::idle;
    }
    return any_up ? service_state::up : service_state::unknown;
}

} // namespace pantau
