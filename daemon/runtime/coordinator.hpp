// The outage path of the daemon, one way:
//
//   monitor ──(state changes)──▶ coordinator ──▶ outage_book (core: decides)
//                                     │
//                                     ├──▶ recorder (writes the decision to the ledger)
//                                     └──▶ notifier (sends the messages that are due)
//
// The coordinator is the monitor's only listener, owns the outage book and the escalation
// timer, and is the one place the API changes outages through (acknowledgements,
// maintenance windows). The recorder and the notifier never call it, nor each other's
// decisions: the notifier writes only its own outbox marks through the recorder.
//
// For each event, in this order: the book decides (an outage opens or closes, a hold is
// set or lifted), the recorder writes what was decided, then the messages now due are
// written to the ledger (notification_queued) and handed to the channels.
//
// Start-up: apply() (channels, policies), recorder::start(), then start(), which carries
// on from the ledger (outages still open, the outbox, windows added through the API) as
// soon as the ledger can be read, now or at a later event.
//
// Time: wall time from the time_source stamps decisions; the escalation timer is a
// monotonic timer that looks again at least once a minute (wall time may jump).
//
// Thread-safety: none; everything runs on the daemon's event loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/outage_book.hpp"
#include "core/time_source.hpp"
#include "ledger/ledger.hpp"
#include "runtime/monitor.hpp"

namespace pantau {

class notifier;
class recorder;
struct config;

// The book's rules from a configuration (edge conversion: core knows no config types).
outage_rules outage_rules_of(const config& cfg);

class coordinator final : public monitor_listener {
public:
    // `clock`, `rec` and `n` must outlive the coordinator.
    coordinator(time_source& clock, recorder& rec, notifier& n);
    ~coordinator() override;
    coordinator(const coordinator&) = delete;
    coordinator& operator=(const coordinator&) = delete;

    // Applies a validated configuration: the notifier's channels first (an error, naming
    // the channel, changes nothing), then the book's rules. Returns "" on success.
    std::string apply(const config& cfg);

    // Carries on from the ledger (after recorder::start()) and starts escalating.
    void start();
    // Cancels the escalation timer.
    void stop();

    // Records an acknowledgement in the ledger; escalation levels that an acknowledgement
    // silences are not sent any more. Returns the outage as the ledger has it, or nullopt
    // with `error` set ("no outage 12", or the ledger is unavailable).
    std::optional<outage_record> acknowledge(std::int64_t id, const std::string& by,
                                             const std::string& note, std::string& error);

    // A one-off maintenance window added at run time (the API): recorded in the ledger
    // (maintenance_added) so that it survives restarts, then applied to outages that open
    // from now on. Its id is set here. Returns whether the ledger has it already (false:
    // queued for the ledger).
    bool add_window(maintenance_window& w, const std::string& by);
    // Removes a window added at run time; false when there is none with that id.
    bool remove_window(const std::string& id, const std::string& by);

    // Open outages, holds, levels and windows, for the API, status page and metrics.
    const outage_book& book() const { return book_; }

    // monitor_listener
    void on_check_change(const check_change& c) override;
    void on_service_change(const service_change& c) override;
    void on_flapping(const check_runtime& c, flap_change change, wall_time at) override;
    void on_probe_result(const check_runtime& c, wall_time at) override;

private:
    // Once the ledger can be read: takes over what it says about the time before the start.
    void catch_up();
    // Hands the messages due now to the recorder and notifier; re-arms the timer.
    void escalate();

    time_source& clock_;
    recorder& recorder_;
    notifier& notifier_;
    outage_book book_;
    std::unique_ptr<timer> tick_;
    bool started_ = false;
    bool restored_ = false;
};

} // namespace pantau
