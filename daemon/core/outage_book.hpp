// The daemon's outage decisions, in one place: which service has an open outage and under
// which id, whether a new outage is held back from escalating and why, acknowledgements,
// what carries over from before a restart and, through the escalator (core/escalator), who
// hears what and when. The runtime acts on what it returns: the recorder writes it to the
// ledger, the notifier sends the messages.
//
// Ids: an outage keeps its id whatever the ledger's state; ids continue after the highest
// one the ledger has (continue_ids_after) and never repeat.
//
// Holds: an outage is held back from escalating when it opens
//   - planned: inside a maintenance window; escalation starts when the window ends (if the
//     outage is still open then), anchored at that moment;
//   - caused by a parent: while a service it depends_on (or its failing check's
//     depends_on) has an open outage; escalation starts when the parent's outage closes,
//     anchored there;
//   - flapping: while a check of the service flaps; escalation starts when no check of
//     the service flaps any more. A check that starts flapping gets one "flapping"
//     message to the first level's channels instead.
// The hold is decided when the outage opens (and again after a restart, from what the
// ledger says); windows added later do not hold an outage that is already escalating.
//
// Pure logic: no I/O, no clock reads; times are passed in (wall time: outage times come
// from the ledger and must mean the same after a restart). Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/escalator.hpp"
#include "core/maintenance.hpp"

namespace pantau {

// What a held outage waits for.
enum class hold_kind : std::uint8_t { none, maintenance, dependency, flapping };
const char* to_string(hold_kind h);

// Everything the book needs from the configuration, copied across by the runtime.
struct outage_rules {
    escalation_setup escalation;
    // agency/service -> the services ("agency/service") it depends on.
    std::unordered_map<std::string, std::vector<std::string>> depends;
    // agency/service/check -> the services its check depends on.
    std::unordered_map<std::string, std::vector<std::string>> check_depends;
    std::vector<maintenance_window> windows; // from the configuration file
};

// An outage the book opened: the ledger's outage_opened event.
struct opened_outage {
    std::int64_t id = 0;
    std::string agency;
    std::string service;
    std::string cause; // "check portal: http 503"
    wall_time at{};
    std::optional<wall_time> planned_until; // opened inside a maintenance window ending then
    std::int64_t caused_by = 0;             // open outage of a service this one depends on
    hold_kind hold = hold_kind::none;
};

// An outage the book closed: the ledger's outage_closed event.
struct closed_outage {
    std::int64_t id = 0;
    std::string agency;
    std::string service;
    wall_time at{};
    std::string note; // why it ended other than by recovery; empty otherwise
};

// An outage still open in the ledger when the daemon (re)started.
struct recorded_outage {
    std::int64_t id = 0;
    std::string agency;
    std::string service;
    std::string cause; // as the ledger has it: "check portal: http 503"
    wall_time started_at{};
    std::optional<wall_time> acknowledged_at;
    std::optional<wall_time> planned_until;
    std::int64_t caused_by = 0;
};

// What the ledger says about the time before a start.
struct outage_history {
    wall_time started{}; // when this run of the daemon started
    std::int64_t max_id = 0;
    std::vector<recorded_outage> open;
    // Steps already handed to the outbox, by outage id (never due again).
    std::map<std::int64_t, std::vector<escalation_step>> sent;
    // Windows added through the API and not removed (past ones are dropped).
    std::vector<maintenance_window> windows;
};

class outage_book {
public:
    explicit outage_book(outage_rules rules = {});

    // New rules (policies, names, dependencies, the file's windows). Windows added through
    // the API stay; outages already open keep the policy they opened with.
    void apply(outage_rules rules);

    // Ids of outages opened from now on are larger than `last` (the ledger's highest id,
    // or a time-based id while the ledger cannot be read).
    void continue_ids_after(std::int64_t last);

    // The service went DOWN because of `check` (`reason`; `cause` is the text people read).
    // Opens an outage unless the service has one open already (e.g. restored after a
    // restart): then nullopt.
    std::optional<opened_outage> open(const std::string& agency, const std::string& service,
                                      const std::string& check, const std::string& reason,
                                      const std::string& cause, wall_time at);
    // The service is up again, or idle (`note`: "service hours ended"). Closes its open
    // outage; nullopt when there is none. Outages this one held start escalating.
    std::optional<closed_outage> close(const std::string& agency, const std::string& service,
                                       wall_time at, std::string note = {});
    // Outage `id` was acknowledged at `at` (the first acknowledgement counts).
    void acknowledged(std::int64_t id, wall_time at);
    // A check started (true) or stopped flapping. Returns the messages to send when it
    // starts (see escalator::flapping); a stop may release held outages (see due()).
    std::vector<outbound> flapping(const std::string& agency, const std::string& service,
                                   const std::string& check, bool started, double percent,
                                   wall_time at);

    // After a restart: carries on from what the ledger says, at `now`. Outages open in the
    // ledger stay open under their id; their holds are decided again. Returns the outages
    // to close because the service got a newer outage meanwhile (opened while the ledger
    // could not be read): the closure is dated h.started.
    std::vector<closed_outage> restore(outage_history h, wall_time now);

    // One-off windows added (or removed) at run time, e.g. through the API. add_window
    // gives the window its id ("api-<unix ms of now>", made unique) and returns it.
    const maintenance_window& add_window(maintenance_window w, wall_time now);
    bool remove_window(const std::string& id);
    // The file's windows, then the API's.
    const std::vector<maintenance_window>& windows() const { return windows_; }

    // Messages due at `now`, each returned once (the caller must queue them). Outages whose
    // maintenance window has ended start escalating first.
    std::vector<outbound> due(wall_time now);
    // When due() will next have something, given no further events; nullopt: never.
    std::optional<wall_time> next_due(wall_time now) const;

    // The open outage of a service ("agency/service"), if any.
    std::optional<std::int64_t> open_outage(const std::string& service_key) const;
    // Open outages by service key.
    const std::unordered_map<std::string, std::int64_t>& open_outages() const { return open_; }
    // Highest level notified for the open outage of a service; 0 when none.
    std::size_t level(const std::string& service_key) const;
    // Why an open outage is held (none when it escalates or is unknown).
    hold_kind hold(std::int64_t id) const;
    // Outages open or with resolutions still due.
    std::size_t active() const;

private:
    struct tracked {
        outage_facts facts;
        std::vector<escalation_rule> policy; // as when it opened
        hold_kind held = hold_kind::none;
        std::optional<wall_time> hold_until; // maintenance: the window's end
        std::int64_t parent = 0;             // dependency: the parent's outage
        std::optional<wall_time> acked;
        std::vector<escalation_step> sent; // restored, for when it starts escalating
    };

    void escalate(tracked& t, wall_time anchor);
    // Whether a check of the service ("agency/service") is flapping.
    bool flapping_in(const std::string& service_key) const;
    void release_windows(wall_time now);

    escalator escalator_;
    std::unordered_map<std::string, std::vector<std::string>> depends_;
    std::unordered_map<std::string, std::vector<std::string>> check_depends_;
    std::vector<maintenance_window> windows_;     // from the file, then the API's
    std::vector<maintenance_window> api_windows_; // added at run time
    std::map<std::int64_t, tracked> open_by_id_;
    std::unordered_map<std::string, std::int64_t> open_; // agency/service -> open outage
    std::set<std::string> flapping_;                     // agency/service/check
    std::int64_t last_id_ = 0;
};

} // namespace pantau
