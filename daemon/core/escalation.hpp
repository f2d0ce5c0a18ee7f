// Escalation of one outage: which notification steps are due, and when the next one will be.
// Pure logic: no clock reads, no I/O. Times are wall-clock times passed in by the caller,
// because the outage start comes from the ledger and must mean the same after a restart.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.hpp"

namespace pantau {

using wall_time = std::chrono::system_clock::time_point;

// One level of an escalation policy. Mirrors `escalation_level` of the configuration (core
// does not depend on config; the caller copies the four fields across).
struct escalation_rule {
    duration after{0};                 // from outage start
    std::vector<std::string> notify;   // channel names; a repeated name counts once
    std::optional<duration> repeat;    // reminder interval; absent or <= 0 means no reminders
    bool even_if_acknowledged = false; // acknowledgement does not silence this level
};

enum class step_kind : std::uint8_t {
    notify,   // first message of a level to a channel
    reminder, // the level is still unanswered: say it again
    resolve,  // the outage is over
};

std::string_view to_string(step_kind k);

// One message to one channel. (level, channel, kind, repeat) identifies it, e.g. as the
// outbox's idempotency key; the caller reports it back through mark_sent().
struct escalation_step {
    std::size_t level = 0; // 1-based position in the policy
    std::string channel;
    step_kind kind = step_kind::notify;
    // Reminder period: the step belongs to the time started + after + repeat * interval.
    // A reminder has repeat >= 1. A notify has 0, unless it goes out late (e.g. after a
    // restart) when periods have already begun: then it carries the last period begun and
    // stands in for the reminders missed. A resolve has 0.
    std::uint64_t repeat = 0;

    bool operator==(const escalation_step&) const = default;
};

// Escalation engine for ONE outage. Not thread-safe; owned by the event loop.
//
// Contract (times are wall times; "by t" means "at or before t"):
// - Level L fires at started + after(L): one notify step per channel of the level.
// - Reminders: with `repeat`, once the notify of (L, channel) was sent, a reminder falls
//   due at started + after(L) + k * repeat for k = 1, 2, ... Only the latest period begun is
//   due: after a long gap (daemon down) ONE reminder is sent, not one per missed period.
//   Periods are anchored to the outage start, not to when a message was really sent.
// - Acknowledged by now: no notify and no reminder of a level is due any more, unless the
//   level has even_if_acknowledged (so no single official can hold an alarm back). This
//   includes steps whose time came before the acknowledgement but were never sent.
// - Resolved by now: only resolve steps are due, one per channel whose notify was sent
//   (each channel once, even when several levels notified it), until marked sent. Steps that
//   fell due before the resolution but were never sent are dropped.
// - Every step is due until mark_sent() reports it, and never after; rebuilding an engine
//   from the sent steps (from the ledger) after a restart gives the same answers, so a
//   step whose time passed while the daemon was down is sent once.
// - Levels are independent of each other: `after` need not be increasing, and an empty
//   policy never has anything due.
class escalation {
public:
    escalation(std::span<const escalation_rule> policy, wall_time started);

    // First call wins; later calls are ignored (the first acknowledger is on record).
    void acknowledge(wall_time at);
    // First call wins.
    void resolve(wall_time at);
    // Records that a step was handed to the outbox. Steps not in the current policy (it may
    // have been reloaded) are kept too: a channel that was notified is resolved.
    void mark_sent(const escalation_step& step);

    // Steps due at `now` and not sent: in level order, channels in policy order; resolve
    // steps in the order the channels were first notified.
    std::vector<escalation_step> due(wall_time now) const;
    // `now` when due(now) is non-empty; otherwise the earliest later time at which a step
    // falls due, given no further acknowledge()/resolve()/mark_sent(). nullopt when nothing
    // will ever fall due.
    std::optional<wall_time> next_due(wall_time now) const;

    // Highest level (1-based) with a notify sent to at least one channel; 0 before any.
    std::size_t level_reached() const;
    // Channels that were notified and have not been sent their resolution yet, in the order
    // they were first notified.
    std::vector<std::string> channels_to_resolve() const;

    wall_time started() const { return started_; }
    std::optional<wall_time> acknowledged_at() const { return acknowledged_; }
    std::optional<wall_time> resolved_at() const { return resolved_; }

private:
    // What was sent to one channel for one level.
    struct sent_track {
        std::size_t level;
        std::string channel;
        std::uint64_t covered; // highest reminder period sent (0: only the notify)
    };

    const sent_track* find(std::size_t level, const std::string& channel) const;
    bool resolved_by(wall_time t) const;
    bool silenced_by(const escalation_rule& rule, wall_time t) const;
    bool has_resolution(const std::string& channel) const;

    std::vector<escalation_rule> policy_;
    wall_time started_;
    std::optional<wall_time> acknowledged_;
    std::optional<wall_time> resolved_;
    std::vector<sent_track> sent_; // in the order first sent
    std::vector<std::string> resolved_channels_;
};

} // namespace pantau
