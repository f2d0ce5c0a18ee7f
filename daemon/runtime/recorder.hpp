// Writes what the monitor sees into the ledger: check state changes, outages opened and
// closed, acknowledgements, daemon start/stop, reloads, monitoring gaps and hourly
// rollups of probe results.
//
// The ledger may be unwritable (disk full, read-only, missing directory): probing goes on,
// events wait in a bounded queue and are written when the ledger accepts them again.
// Outage ids are allocated here, so an outage keeps its id whatever the ledger's state.
//
// Thread-safety: none; runs on the daemon's event loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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

// What the recorder learns about outages, for the escalation runtime. Called on the loop.
struct outage_marks {
    std::optional<wall_time> planned_until; // opened inside a maintenance window ending then
    std::int64_t caused_by = 0;             // outage of a service this one depends on
};

class outage_observer {
public:
    virtual ~outage_observer() = default;
    // Before outage_opened is written, so that the returned marks are part of it.
    virtual outage_marks on_outage_opened(std::int64_t id, const service_runtime& s,
                                          wall_time at) = 0;
    virtual void on_outage_closed(std::int64_t id, wall_time at) = 0;
    virtual void on_outage_acknowledged(const outage_record& o, wall_time at) = 0;
    // Once, when the ledger is first opened: the outages still open from before the start,
    // the notification events (queued and sent) since the oldest of them or of the last 7
    // days, whichever is earlier, and maintenance_added/removed events of the last 400
    // days, in chain order.
    virtual void on_restored(const std::vector<outage_record>& open,
                             const std::vector<ledger_event>& notifications) = 0;
};

class recorder final : public monitor_listener {
public:
    using opener = std::function<std::unique_ptr<ledger>(std::string& error)>;

    recorder(boost::asio::io_context& io, opener open, recorder_options options = {});
    ~recorder() override;
    recorder(const recorder&) = delete;
    recorder& operator=(const recorder&) = delete;

    // Opens the ledger, records the daemon's start and the monitoring gap since the last
    // heartbeat, and restores outages that were open when the daemon last stopped.
    void start(wall_time now);
    // Records the stop and writes everything pending (one attempt).
    void stop(wall_time now);

    void config_reloaded(wall_time now, bool ok, const std::string& detail);

    void set_outage_observer(outage_observer* o) { observer_ = o; }

    // Appends an event (e.g. a notification queued or sent) and tries to write everything
    // pending at once. Returns whether it is in the ledger now; if not, it stays queued.
    bool record(ledger_event e);

    // The latest heartbeat_received event of each check (restores heartbeat checks after a
    // restart); empty when the ledger is unavailable.
    std::vector<ledger_event> last_heartbeats();

    // Records an acknowledgement of outage `id`. Returns the outage, or nullopt with
    // `error` set ("no outage 12").
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

    // The open outage of a service ("agency/service"), if any.
    std::optional<std::int64_t> open_outage(const std::string& service_key) const;
    const std::unordered_map<std::string, std::int64_t>& open_outages() const { return open_; }

    recorder_stats stats() const;

    void on_check_change(const check_change& c) override;
    void on_service_change(const service_change& c) override;
    void on_probe_result(const check_runtime& c, wall_time at) override;
    void on_flapping(const check_runtime& c, flap_change change, wall_time at) override;

private:
    void try_open();
    void enqueue(ledger_event e);
    bool flush();
    // Moves the accumulated rollups into the write queue (every rollup_every).
    void collect_rollups();
    // Writes up to `max_rows` queued rollup rows; false when the ledger refused them.
    bool write_rollups(std::size_t max_rows);
    void arm_timer();
    void on_timer();
    void report_error(const std::string& what);

    boost::asio::io_context& io_;
    opener open_ledger_;
    recorder_options options_;
    std::unique_ptr<ledger> ledger_;
    boost::asio::steady_timer timer_;
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
    std::unordered_map<std::string, std::int64_t> open_; // service key -> outage id
    std::int64_t last_outage_id_ = 0;
    std::optional<wall_time> started_;
    outage_observer* observer_ = nullptr;
    bool restored_ = false;
    bool running_ = false;
    recorder_stats stats_;
    std::chrono::steady_clock::time_point last_heartbeat_{};
    std::chrono::steady_clock::time_point last_rollup_{};
    std::chrono::steady_clock::time_point last_error_log_{};
};

} // namespace pantau
