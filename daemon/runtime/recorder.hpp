// Writes to the ledger what the runtime tells it: check state changes and flapping, the
// outages the outage book opened and closed (core/outage_book.hpp), acknowledgements,
// notifications, daemon start/stop, reloads, monitoring gaps and hourly rollups of probe
// results. It decides nothing about outages: it writes what it is given, in order.
//
// The ledger may be unwritable (disk full, read-only, missing directory): probing goes on,
// events wait in a bounded queue and are written when the ledger accepts them again.
//
// Time: events carry the time they happened (passed in); the flush timer, the ledger
// heartbeat and the rollup period run on the time_source.
//
// Thread-safety: none; runs on the daemon's event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/outage_book.hpp"
#include "core/time_source.hpp"
#include "ledger/ledger.hpp"
#include "runtime/monitor.hpp"

namespace pantau {

struct recorder_options {
    std::size_t max_pending = 100000; // events kept while the ledger cannot be written
    std::chrono::milliseconds flush_every{1000};
    std::chrono::milliseconds heartbeat_every{5000};
    std::chrono::milliseconds rollup_every{60000};
    // Rollup rows written per flush tick: 100,000 checks are written over a few seconds of
    // small transactions instead of one long one that stalls the event loop.
    std::size_t rollup_rows_per_tick = 5000;
};

struct recorder_stats {
    std::uint64_t write_errors = 0;   // failed ledger writes
    std::uint64_t dropped_events = 0; // lost because the queue was full
    std::uint64_t outages_opened = 0; // since this process started
    std::size_t pending = 0;
    bool ledger_open = false;
};

// What the ledger says about the time before this start, for carrying on (see
// recorder::snapshot).
struct ledger_snapshot {
    wall_time started{}; // this start (recorder::start)
    std::int64_t max_outage_id = 0;
    std::vector<outage_record> open; // outages open when the daemon last stopped
    // The notification events (queued and sent) since the oldest open outage or the last 7
    // days, whichever is earlier, and the maintenance_added/removed events of the last 400
    // days, in chain order.
    std::vector<ledger_event> events;
};

class recorder final {
public:
    using opener = std::function<std::unique_ptr<ledger>(std::string& error)>;

    // `clock` must outlive the recorder.
    recorder(time_source& clock, opener open, recorder_options options = {});
    ~recorder();
    recorder(const recorder&) = delete;
    recorder& operator=(const recorder&) = delete;

    // Opens the ledger, records the daemon's start and the monitoring gap since the last
    // heartbeat (written right after the start, whenever the ledger first opens).
    void start(wall_time now);
    // Records the stop and writes everything pending (one attempt).
    void stop(wall_time now);

    void config_reloaded(wall_time now, bool ok, const std::string& detail);

    // What the ledger said about the time before start(), read once when the ledger first
    // opened (at start(), or later when it becomes available) and before anything of this
    // run was written. Returned once; nullopt before and after.
    std::optional<ledger_snapshot> snapshot();

    // Appends an event (e.g. a notification queued or sent) and tries to write everything
    // pending at once. Returns whether it is in the ledger now; if not, it stays queued.
    bool record(ledger_event e);
    // Tries to write everything pending now; false when something is still pending.
    bool flush();

    // Outages as the outage book decided them; written at once.
    void outage_opened(const opened_outage& o);
    void outage_closed(const closed_outage& c);
    // What the monitor saw (queued; written on the next tick or with the next outage).
    void check_changed(const check_change& c);
    void flapping(const check_runtime& c, flap_change change, wall_time at);
    // Adds a completed probe to its check's hourly rollup.
    void probe_completed(const check_runtime& c, wall_time at);

    // The latest heartbeat_received event of each check (restores heartbeat checks after a
    // restart); empty when the ledger is unavailable.
    std::vector<ledger_event> last_heartbeats();

    // Records an acknowledgement of outage `id` (any outage the ledger has). Returns the
    // outage as the ledger has it now, or nullopt with `error` set ("no outage 12").
    std::optional<outage_record> acknowledge(std::int64_t id, const std::string& by,
                                             const std::string& note, wall_time now,
                                             std::string& error);

    // Queries the ledger after writing what is pending; nullopt when it is unavailable.
    std::optional<std::vector<outage_record>> outages(const outage_query& q);
    std::optional<std::optional<outage_record>> outage(std::int64_t id);
    // Monitoring gaps and hourly rollups (ledger::gaps, ledger::rollups), likewise. Rollups
    // of the current minute are still in memory (they are written once a minute).
    std::optional<std::vector<monitoring_gap>> gaps(wall_time from, wall_time to);
    std::optional<std::vector<rollup>> rollups(std::int64_t from_hour, std::int64_t to_hour);

    recorder_stats stats() const;

private:
    void try_open();
    void take_snapshot();
    void enqueue(ledger_event e);
    // Moves the accumulated rollups into the write queue (every rollup_every).
    void collect_rollups();
    // Writes up to `max_rows` queued rollup rows; false when the ledger refused them.
    bool write_rollups(std::size_t max_rows);
    void arm_timer();
    void on_timer();
    void report_error(const std::string& what);

    time_source& clock_;
    opener open_ledger_;
    recorder_options options_;
    std::unique_ptr<ledger> ledger_;
    std::unique_ptr<timer> timer_;
    std::deque<ledger_event> pending_;
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    // Per check key, the rollup of the current hour since the last collect_rollups: looked
    // up without allocating on every probe result.
    std::unordered_map<std::string, rollup, key_hash, std::equal_to<>> rollups_;
    std::vector<rollup> rollup_queue_; // collected, not yet written
    std::size_t rollup_queue_next_ = 0;
    std::optional<wall_time> started_;
    // The ledger has been open since start(): the gap was looked for, the snapshot taken.
    bool first_open_done_ = false;
    std::optional<ledger_snapshot> snapshot_;
    bool running_ = false;
    recorder_stats stats_;
    // Monotonic times of the last ledger heartbeat, rollup collection and error logged;
    // nullopt: not yet (the first tick does both).
    std::optional<mono_time> last_heartbeat_;
    std::optional<mono_time> last_rollup_;
    std::optional<mono_time> last_error_log_;
};

} // namespace pantau
