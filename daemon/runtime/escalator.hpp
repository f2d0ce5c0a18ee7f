// Decides who hears about which outage, when: one escalation engine (core/escalation) per
// open outage, plus the rules that hold an outage back from escalating:
//   - planned: it opened inside a maintenance window; escalation starts when the window
//     ends (if the outage is still open then), anchored at that moment;
//   - caused by a parent: it opened while a service it depends_on was down; escalation
//     starts when the parent's outage closes, anchored there;
//   - flapping: a check of the service was flapping when it opened; escalation starts
//     when no check of the service flaps any more. A check that starts flapping gets one
//     "flapping" message to the first level's channels instead.
// The hold is decided when the outage opens (and again after a restart, from what the
// ledger says); windows added later do not hold an outage that is already escalating.
//
// Pure logic: no I/O, no clock reads; times are passed in. The caller (the notifier)
// writes what due() returns to the ledger and hands it to the channels' outboxes.
// Not thread-safe; owned by the event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "core/escalation.hpp"
#include "ledger/ledger.hpp"
#include "notify/channel.hpp"
#include "runtime/recorder.hpp"

namespace pantau {

// One message for one channel's outbox.
struct outbound {
    std::string channel;
    notification message;   // message.idempotency_key identifies it everywhere
    escalation_step step;   // which step of the outage's escalation (flapping: level 0)
    bool new_level = false; // the first message of a level higher than any before
};

// The ledger data of a notification_queued event, and back (nullopt when malformed).
std::string outbound_to_json(const outbound& o);
std::optional<outbound> outbound_from_json(const std::string& data);

// What a held outage waits for.
enum class hold_kind : std::uint8_t { none, maintenance, dependency, flapping };
const char* to_string(hold_kind h);

class escalator {
public:
    explicit escalator(const config& cfg);

    // Takes the new policies, names, windows and dependencies. Outages already open keep
    // the policy they started with.
    void apply(const config& cfg);

    // Maintenance windows added (or removed) at run time, e.g. through the API.
    void add_window(maintenance_window w);
    bool remove_window(const std::string& id);
    const std::vector<maintenance_window>& windows() const { return windows_; }

    outage_marks opened(std::int64_t id, const std::string& agency, const std::string& service,
                        const std::string& check, const std::string& reason, wall_time at);
    void closed(std::int64_t id, wall_time at);
    void acknowledged(std::int64_t id, wall_time at);
    // A check started (true) or stopped flapping. Returns the one message to send when it
    // starts (empty otherwise, or when the service has no policy).
    std::vector<outbound> flapping(const std::string& agency, const std::string& service,
                                   const std::string& check, bool started, double percent,
                                   wall_time at);

    // After a restart: outages still open, and the notification_queued events of the
    // ledger, whose steps count as sent (they are in the outbox already).
    void restore(const std::vector<outage_record>& open, const std::vector<ledger_event>& queued,
                 wall_time now);

    // Messages due at `now`, each returned once: the caller must queue them.
    std::vector<outbound> due(wall_time now);
    // When due() will next have something, given no further events; nullopt: never.
    std::optional<wall_time> next_due(wall_time now) const;

    // Highest level notified for the open outage of a service ("agency/service"); 0 when
    // none (or no open outage).
    std::size_t level(const std::string& service_key) const;
    // Why an open outage is held (none when it escalates or is unknown).
    hold_kind hold(std::int64_t id) const;
    std::size_t open_outages() const { return outages_.size(); }

    // The ledger's idempotency key of a step: "outage-42/level-1/ops-telegram/notify/0",
    // "outage-42/resolve/ops-telegram".
    static std::string key_of(std::int64_t outage_id, const escalation_step& step);

private:
    struct tracked {
        std::int64_t id = 0;
        std::string agency;
        std::string service;
        std::string check;
        std::string reason;
        wall_time opened{};
        std::vector<escalation_rule> policy;
        hold_kind held = hold_kind::none;
        std::optional<wall_time> hold_until; // maintenance: the window's end
        std::int64_t parent = 0;             // dependency: the parent's outage
        std::optional<escalation> engine;    // once escalating
        std::optional<wall_time> acked;
        std::optional<wall_time> closed;
        std::vector<escalation_step> sent; // restored before the engine existed
    };

    const std::vector<escalation_rule>* policy_of(const std::string& agency,
                                                  const std::string& service) const;
    void start_engine(tracked& t, wall_time anchor);
    // Whether a check of the service ("agency/service") is flapping.
    bool flapping_in(const std::string& service_key) const;
    void release(wall_time now);
    notification message_of(const tracked& t, const escalation_step& step) const;
    std::string service_key(const std::string& agency, const std::string& service) const {
        return agency + "/" + service;
    }

    std::map<std::string, std::vector<escalation_rule>> policies_;
    std::unordered_map<std::string, std::string> agency_policy_;  // agency -> policy
    std::unordered_map<std::string, std::string> service_policy_; // agency/service -> policy
    std::unordered_map<std::string, std::string> agency_names_;
    std::unordered_map<std::string, std::string> service_names_;
    // agency/service -> services it depends on, with its checks' depends_on by check id.
    std::unordered_map<std::string, std::vector<std::string>> depends_;
    std::unordered_map<std::string, std::vector<std::string>> check_depends_;
    std::vector<maintenance_window> windows_;     // from the config, then API ones
    std::vector<maintenance_window> api_windows_; // added at run time
    std::chrono::minutes utc_offset_{7 * 60};
    std::string public_url_;
    std::map<std::int64_t, tracked> outages_;            // open ones, and closed ones
                                                         // whose resolutions are due
    std::unordered_map<std::string, std::int64_t> open_; // agency/service -> open outage
    std::set<std::string> flapping_;                     // agency/service/check
};

} // namespace pantau
