// Who hears about which outage, when: one escalation engine (core/escalation) per outage
// that escalates, the messages it produces (names, link, time zone filled in) and the one
// "flapping" message for the first level's channels when a check starts flapping.
//
// Whether an outage escalates at all, and from when, is the outage book's decision
// (core/outage_book: maintenance, dependencies, flapping); it calls start() once nothing
// holds the outage back any more.
//
// Pure logic: no I/O, no clock reads; times are passed in. Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/escalation.hpp"
#include "core/notification.hpp"

namespace pantau {

// Escalation policies and display names, copied from the configuration by the runtime.
struct escalation_setup {
    std::map<std::string, std::vector<escalation_rule>> policies; // by policy name
    std::unordered_map<std::string, std::string> agency_policy;   // agency -> policy
    std::unordered_map<std::string, std::string> service_policy;  // agency/service -> policy
    std::unordered_map<std::string, std::string> agency_names;    // agency -> name
    std::unordered_map<std::string, std::string> service_names;   // agency/service -> name
    std::chrono::minutes utc_offset{7 * 60};                      // for times people read
    std::string public_url;                                       // links; may be empty
};

// What the messages about an outage tell.
struct outage_facts {
    std::int64_t id = 0;
    std::string agency;
    std::string service;
    std::string check;  // "portal": the check that took the service down
    std::string reason; // "http 503"
    wall_time started{};
};

class escalator {
public:
    escalator() = default;
    explicit escalator(escalation_setup setup);

    // New policies and names. Outages already escalating keep the policy they started with.
    void apply(escalation_setup setup);

    // The policy of a service: its own, else its agency's; empty when it has none.
    std::vector<escalation_rule> policy_of(const std::string& agency,
                                           const std::string& service) const;

    // Outage `o` escalates under `policy`, its levels counted from `anchor` (the outage
    // start, or when what held it back ended). `sent`: steps already handed to the outbox
    // (restored from the ledger), never due again. `acked`: when it was acknowledged.
    // No-op when the outage escalates already.
    void start(const outage_facts& o, std::vector<escalation_rule> policy, wall_time anchor,
               std::span<const escalation_step> sent, std::optional<wall_time> acked);
    void acknowledged(std::int64_t id, wall_time at);
    // The outage is over: the channels told hear it once (due() returns the resolutions),
    // then it is forgotten.
    void closed(std::int64_t id, wall_time at);
    bool escalating(std::int64_t id) const { return outages_.count(id) != 0; }

    // The messages for a check that started flapping: one per channel of the service's
    // first level (the one with the smallest `after`); none without a policy.
    std::vector<outbound> flapping(const std::string& agency, const std::string& service,
                                   const std::string& check, double percent, wall_time at) const;

    // Messages due at `now`, each returned once: the caller must queue them. In outage id
    // order, each outage's in level order.
    std::vector<outbound> due(wall_time now);
    // When due() will next have something, given no further events; nullopt: never.
    std::optional<wall_time> next_due(wall_time now) const;

    // Highest level notified for outage `id`; 0 when none (or not escalating).
    std::size_t level(std::int64_t id) const;
    // Outages escalating or with resolutions still due.
    std::size_t size() const { return outages_.size(); }

private:
    struct tracked {
        outage_facts facts;
        escalation engine;
        bool closed = false;
    };

    notification message_of(const tracked& t, const escalation_step& step) const;

    escalation_setup setup_;
    std::map<std::int64_t, tracked> outages_;
};

} // namespace pantau
