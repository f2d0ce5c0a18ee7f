#include "runtime/recorder.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace pantau {

namespace {

std::int64_t unix_ms(wall_time t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

ledger_event make_event(ledger_event_kind kind, wall_time at, std::string agency = {},
                        std::string service = {}, std::string check = {},
                        std::int64_t outage_id = 0, const nlohmann::json& data = nullptr) {
    ledger_event e;
    e.kind = kind;
    e.at = at;
    e.agency = std::move(agency);
    e.service = std::move(service);
    e.check = std::move(check);
    e.outage_id = outage_id;
    e.data = data.is_null() ? "{}" : data.dump();
    return e;
}

} // namespace

recorder::recorder(time_source& clock, opener open, recorder_options options)
    : clock_(clock)
    , open_ledger_(std::move(open))
    , options_(options)
    , timer_(clock.make_timer()) {}

recorder::~recorder() {
    try {
        timer_->cancel();
    } catch (...) {
        // never throw from a destructor
    }
}

void recorder::start(wall_time now) {
    started_ = now;
    running_ = true;
    enqueue(make_event(ledger_event_kind::daemon_started, now, {}, {}, {}, 0,
                       {{"version", PANTAU_VERSION}}));
    try_open();
    flush();
    arm_timer();
}

void recorder::try_open() {
    if (ledger_) {
        return;
    }
    std::string error;
    ledger_ = open_ledger_(error);
    if (!ledger_) {
        report_error("cannot open the ledger: " + error);
        return;
    }
    spdlog::info("ledger open");
    if (first_open_done_ || !started_) {
        return;
    }
    first_open_done_ = true;
    // A monitoring gap: from the last sign of life to this start.
    if (auto hb = ledger_->last_heartbeat(); hb && *hb < *started_) {
        spdlog::warn("monitoring gap: the daemon was not watching for {}s (since the last "
                     "heartbeat)",
                     std::chrono::duration_cast<std::chrono::seconds>(*started_ - *hb).count());
        ledger_event gap = make_event(ledger_event_kind::monitoring_gap, *started_, {}, {}, {}, 0,
                                      {{"from", unix_ms(*hb)}});
        // Record the gap right after the start event, before anything that follows.
        auto pos = std::find_if(pending_.begin(), pending_.end(), [](const ledger_event& e) {
            return e.kind == ledger_event_kind::daemon_started;
        });
        pending_.insert(pos == pending_.end() ? pending_.begin() : pos + 1, std::move(gap));
    }
    // Read before anything of this run is written: what the ledger had before the start.
    take_snapshot();
}

void recorder::take_snapshot() {
    ledger_snapshot snap;
    snap.started = *started_;
    snap.max_outage_id = ledger_->max_outage_id();
    // Outages open when the daemon stopped: open at the start.
    outage_query q;
    q.from = *started_;
    q.to = *started_ + std::chrono::milliseconds(1);
    wall_time since = *started_ - std::chrono::hours(24 * 7);
    for (outage_record& o : ledger_->outages(q)) {
        if (o.ended_at) {
            continue;
        }
        since = std::min(since, o.started_at);
        snap.open.push_back(std::move(o));
    }
    static constexpr std::array kinds{ledger_event_kind::notification_queued,
                                      ledger_event_kind::notification_sent};
    snap.events = ledger_->events_of_kind(kinds, since);
    // Maintenance windows added through the API may be planned months ahead.
    static constexpr std::array windows{ledger_event_kind::maintenance_added,
                                        ledger_event_kind::maintenance_removed};
    std::vector<ledger_event> added =
        ledger_->events_of_kind(windows, *started_ - std::chrono::hours(24 * 400));
    snap.events.insert(snap.events.end(), std::make_move_iterator(added.begin()),
                       std::make_move_iterator(added.end()));
    std::sort(snap.events.begin(), snap.events.end(),
              [](const ledger_event& a, const ledger_event& b) { return a.seq < b.seq; });
    snapshot_ = std::move(snap);
}

std::optional<ledger_snapshot> recorder::snapshot() {
    std::optional<ledger_snapshot> out = std::move(snapshot_);
    snapshot_.reset();
    return out;
}

bool recorder::record(ledger_event e) {
    enqueue(std::move(e));
    return flush();
}

void recorder::flapping(const check_runtime& c, flap_change change, wall_time at) {
    enqueue(make_event(change == flap_change::started ? ledger_event_kind::flapping_started
                                                      : ledger_event_kind::flapping_stopped,
                       at, c.agency, c.service, c.cfg.id, 0,
                       {{"percent", std::round(c.flapping.percent() * 10) / 10}}));
}

void recorder::stop(wall_time now) {
    if (!running_) {
        return;
    }
    running_ = false;
    timer_->cancel();
    collect_rollups();
    write_rollups(rollup_queue_.size());
    enqueue(make_event(ledger_event_kind::daemon_stopped, now));
    if (ledger_) {
        ledger_->write_heartbeat(now);
    }
    if (!flush() && !pending_.empty()) {
        spdlog::error("{} ledger events could not be written before stopping", pending_.size());
    }
}

void recorder::config_reloaded(wall_time now, bool ok, const std::string& detail) {
    enqueue(make_event(ledger_event_kind::config_reloaded, now, {}, {}, {}, 0,
                       {{"ok", ok}, {"detail", detail}}));
    flush();
}

std::optional<outage_record> recorder::acknowledge(std::int64_t id, const std::string& by,
                                                   const std::string& note, wall_time now,
                                                   std::string& error) {
    if (!flush() || !ledger_) {
        error = "the ledger is not available";
        return std::nullopt;
    }
    std::optional<outage_record> o = ledger_->outage(id);
    if (!o) {
        error = "no outage " + std::to_string(id);
        return std::nullopt;
    }
    enqueue(make_event(ledger_event_kind::outage_acknowledged, now, o->agency, o->service, {}, id,
                       {{"by", by}, {"note", note}}));
    if (!flush()) {
        error = "the acknowledgement is queued but the ledger could not be written";
        return std::nullopt;
    }
    spdlog::info("outage {} of {}/{} acknowledged by {}", id, o->agency, o->service, by);
    return ledger_->outage(id);
}

std::vector<ledger_event> recorder::last_heartbeats() {
    flush();
    if (!ledger_) {
        return {};
    }
    return ledger_->latest_per_check(ledger_event_kind::heartbeat_received);
}

std::optional<std::vector<outage_record>> recorder::outages(const outage_query& q) {
    flush();
    if (!ledger_) {
        return std::nullopt;
    }
    return ledger_->outages(q);
}

std::optional<std::optional<outage_record>> recorder::outage(std::int64_t id) {
    flush();
    if (!ledger_) {
        return std::nullopt;
    }
    return ledger_->outage(id);
}

std::optional<std::vector<monitoring_gap>> recorder::gaps(wall_time from, wall_time to) {
    flush();
    if (!ledger_) {
        return std::nullopt;
    }
    return ledger_->gaps(from, to);
}

std::optional<std::vector<rollup>> recorder::rollups(std::int64_t from_hour, std::int64_t to_hour) {
    flush();
    write_rollups(rollup_queue_.size());
    if (!ledger_) {
        return std::nullopt;
    }
    return ledger_->rollups(from_hour, to_hour);
}

recorder_stats recorder::stats() const {
    recorder_stats s = stats_;
    s.pending = pending_.size();
    s.ledger_open = ledger_ != nullptr;
    return s;
}

void recorder::check_changed(const check_change& c) {
    enqueue(make_event(ledger_event_kind::check_state_changed, c.at, c.check.agency,
                       c.check.service, c.check.cfg.id, 0,
                       {{"from", to_string(c.change.from)},
                        {"to", to_string(c.change.to)},
                        {"reason", c.change.reason}}));
}

void recorder::outage_opened(const opened_outage& o) {
    ++stats_.outages_opened;
    nlohmann::json data{{"cause", o.cause}};
    if (o.planned_until) {
        data["planned_until"] = unix_ms(*o.planned_until);
    }
    if (o.caused_by != 0) {
        data["caused_by"] = o.caused_by;
    }
    enqueue(
        make_event(ledger_event_kind::outage_opened, o.at, o.agency, o.service, {}, o.id, data));
    flush(); // outages are written at once, not on the next tick
}

void recorder::outage_closed(const closed_outage& c) {
    enqueue(
        make_event(ledger_event_kind::outage_closed, c.at, c.agency, c.service, {}, c.id,
                   c.note.empty() ? nlohmann::json::object() : nlohmann::json{{"note", c.note}}));
    flush();
}

void recorder::probe_completed(const check_runtime& c, wall_time at) {
    if (!c.last || c.last->status == probe_status::idle) {
        return; // not judged: neither up nor down in the rollups
    }
    const std::int64_t hour =
        std::chrono::duration_cast<std::chrono::hours>(at.time_since_epoch()).count();
    auto it = rollups_.find(std::string_view{c.key});
    if (it == rollups_.end()) {
        it = rollups_.emplace(c.key, rollup{}).first;
        it->second.check_key = c.key;
        it->second.hour = hour;
    } else if (it->second.hour != hour) {
        if (it->second.successes + it->second.failures > 0) {
            rollup_queue_.push_back(it->second); // the hour ended: keep its row for writing
        }
        it->second = rollup{c.key, hour, 0, 0, 0, 0};
    }
    rollup& r = it->second;
    const double seconds = std::chrono::duration<double>(c.last->elapsed).count();
    if (c.last->status == probe_status::success) {
        ++r.successes;
    } else {
        ++r.failures;
    }
    r.latency_sum_seconds += seconds;
    r.latency_max_seconds = std::max(r.latency_max_seconds, seconds);
}

void recorder::enqueue(ledger_event e) {
    if (pending_.size() >= options_.max_pending) {
        // Keep outage events: drop the oldest routine one instead.
        auto victim = std::find_if(pending_.begin(), pending_.end(), [](const ledger_event& p) {
            return p.kind == ledger_event_kind::check_state_changed;
        });
        pending_.erase(victim == pending_.end() ? pending_.begin() : victim);
        ++stats_.dropped_events;
    }
    pending_.push_back(std::move(e));
}

bool recorder::flush() {
    if (pending_.empty()) {
        return true;
    }
    try_open();
    if (!ledger_) {
        return false;
    }
    std::vector<ledger_event> batch(std::make_move_iterator(pending_.begin()),
                                    std::make_move_iterator(pending_.end()));
    pending_.clear();
    if (std::error_code ec = ledger_->append(batch)) {
        ++stats_.write_errors;
        report_error("cannot write to the ledger: " + ledger_->last_error());
        pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()),
                        std::make_move_iterator(batch.end()));
        return false;
    }
    return true;
}

void recorder::collect_rollups() {
    if (!ledger_ || rollup_queue_.size() - rollup_queue_next_ > 2 * rollups_.size()) {
        return; // the ledger is behind: keep accumulating in place (one row per check)
    }
    for (auto it = rollups_.begin(); it != rollups_.end();) {
        rollup& r = it->second;
        if (r.successes + r.failures == 0) {
            it = rollups_.erase(it); // nothing since the last collection (e.g. a removed check)
            continue;
        }
        rollup_queue_.push_back(r);
        r.successes = r.failures = 0;
        r.latency_sum_seconds = r.latency_max_seconds = 0;
        ++it;
    }
}

bool recorder::write_rollups(std::size_t max_rows) {
    if (rollup_queue_next_ >= rollup_queue_.size() || !ledger_) {
        return rollup_queue_next_ >= rollup_queue_.size();
    }
    const std::size_t n = std::min(max_rows, rollup_queue_.size() - rollup_queue_next_);
    const std::span<const rollup> rows(rollup_queue_.data() + rollup_queue_next_, n);
    if (std::error_code ec = ledger_->add_rollups(rows)) {
        ++stats_.write_errors;
        report_error("cannot write rollups to the ledger: " + ledger_->last_error());
        return false; // kept; retried on the next tick
    }
    rollup_queue_next_ += n;
    if (rollup_queue_next_ >= rollup_queue_.size()) {
        rollup_queue_.clear();
        rollup_queue_next_ = 0;
    }
    return true;
}

void recorder::arm_timer() {
    if (!running_) {
        return;
    }
    timer_->async_wait_until(clock_.mono_now() + options_.flush_every, [this] { on_timer(); });
}

void recorder::on_timer() {
    const mono_time now = clock_.mono_now();
    flush();
    if (ledger_ && (!last_heartbeat_ || now - *last_heartbeat_ >= options_.heartbeat_every)) {
        last_heartbeat_ = now;
        if (std::error_code ec = ledger_->write_heartbeat(clock_.wall_now())) {
            ++stats_.write_errors;
            report_error("cannot write the heartbeat: " + ledger_->last_error());
        }
    }
    if (!last_rollup_ || now - *last_rollup_ >= options_.rollup_every) {
        last_rollup_ = now;
        collect_rollups();
    }
    write_rollups(options_.rollup_rows_per_tick);
    arm_timer();
}

void recorder::report_error(const std::string& what) {
    const mono_time now = clock_.mono_now();
    // One line a minute is enough to tell operations; the metrics count every failure.
    if (!last_error_log_ || now - *last_error_log_ >= std::chrono::minutes(1)) {
        last_error_log_ = now;
        spdlog::error("{} ({} events pending; probing continues)", what, pending_.size());
    }
}

} // namespace pantau
