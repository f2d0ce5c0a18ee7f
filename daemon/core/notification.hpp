// What a notification says, and one message for one channel's outbox. Plain data: the
// escalator (core/escalator.hpp) fills it in, channels (notify/) word and deliver it, the
// notifier (runtime/) keeps it in the durable outbox.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/escalation.hpp"

namespace pantau {

enum class notification_kind : std::uint8_t {
    firing,   // an escalation level was reached
    reminder, // the level's repeat interval passed and the outage is still open
    resolved, // the service recovered
    flapping, // a check keeps changing state; said once instead of on every change
};

// "firing", "reminder", "resolved", "flapping".
const char* to_string(notification_kind k);

// What happened, as the message says it.
struct notification {
    // Stable across retries and restarts (e.g. "outage-42/level-1/firing"): receivers use
    // it to drop duplicates. Printable ASCII without spaces; other bytes are dropped when
    // it is sent as a header.
    std::string idempotency_key;
    std::int64_t outage_id = 0;
    std::string agency;                      // id from the configuration, e.g. "dukcapil"
    std::string agency_name;                 // display name
    std::string service;                     // id, e.g. "akta-online"
    std::string service_name;                // display name
    std::string check;                       // id of the failing check
    std::string reason;                      // what the check saw, e.g. "http 503"
    wall_time since{};                       // outage start
    std::chrono::minutes utc_offset{7 * 60}; // of the city's time zone, for times people read
    int level = 0;                           // escalation level reached, 1 for the first
    notification_kind kind = notification_kind::firing;
    std::string link; // status page or outage URL; may be empty
};

// One message for one channel's outbox.
struct outbound {
    std::string channel;
    notification message;   // message.idempotency_key identifies it everywhere
    escalation_step step;   // which step of the outage's escalation (flapping: level 0)
    bool new_level = false; // the first message of a level higher than any before
};

// The idempotency key of a step of outage `outage_id`:
// "outage-42/level-1/ops-telegram/notify/0", "outage-42/resolve/ops-telegram".
std::string notification_key(std::int64_t outage_id, const escalation_step& step);

} // namespace pantau
