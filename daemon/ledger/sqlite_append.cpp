// Writing: events appended to the hash chain with the outage table derived in the same
// transaction, the heartbeat, and the hourly rollups.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "ledger/sqlite_detail.hpp"

namespace pantau::sqlite_detail {

namespace {

// Rollup latencies are stored as integer microseconds. Larger values than 10^12 s (31,000
// years) are cut to it, which leaves room for the sums SQLite adds up (int64 holds
// 9.2 * 10^12 s).
constexpr double max_latency_seconds = 1e12;

// Microseconds, rounded to the nearest. A latency that is negative or not a number counts
// as 0: failing the batch would not help, since the recorder keeps a failed batch and
// retries it, so one bad value would stop all later rollups.
std::int64_t to_microseconds(double seconds) {
    if (!(seconds > 0)) {
        return 0;
    }
    return std::llround(std::min(seconds, max_latency_seconds) * 1e6);
}

} // namespace

bool is_outage_kind(ledger_event_kind k) {
    switch (k) {
    case ledger_event_kind::outage_opened:
    case ledger_event_kind::outage_closed:
    case ledger_event_kind::outage_acknowledged:
    case ledger_event_kind::escalation_reached: return true;
    case ledger_event_kind::daemon_started:
    case ledger_event_kind::daemon_stopped:
    case ledger_event_kind::config_reloaded:
    case ledger_event_kind::monitoring_gap:
    case ledger_event_kind::check_state_changed:
    case ledger_event_kind::notification_sent:
    case ledger_event_kind::notification_queued:
    case ledger_event_kind::flapping_started:
    case ledger_event_kind::flapping_stopped:
    case ledger_event_kind::maintenance_added:
    case ledger_event_kind::maintenance_removed:
    case ledger_event_kind::heartbeat_received: return false;
    }
    return false;
}

std::error_code sqlite_ledger::append(std::span<ledger_event> events) {
    if (events.empty()) {
        return {};
    }
    // Work on copies so that the caller's events stay untouched unless everything commits.
    std::vector<ledger_event> out(events.begin(), events.end());
    for (std::size_t i = 0; i < out.size(); ++i) {
        ledger_event& e = out[i];
        if (to_string(e.kind).empty()) {
            return invalid("append: event " + std::to_string(i) + " of the batch has kind " +
                           std::to_string(static_cast<int>(e.kind)) + ", which is not known");
        }
        if (e.data.empty()) {
            e.data = "{}";
        } else if (!nlohmann::json::parse(e.data, nullptr, false).is_object()) {
            return invalid("append: event " + std::to_string(i) + " of the batch (" +
                           std::string{to_string(e.kind)} + ") has data that is not a JSON " +
                           "object: " + e.data.substr(0, 80));
        }
    }

    transaction txn(db_.get(), "BEGIN IMMEDIATE");
    if (int rc = txn.begin_rc(); rc != SQLITE_OK) {
        return fail("append: begin", rc);
    }
    std::int64_t seq = 0;
    std::string prev{ledger_genesis_hash};
    {
        run q(s_.last_event.get());
        const int rc = q.step();
        if (rc == SQLITE_ROW) {
            seq = q.integer(0);
            prev = q.text(1);
        } else if (rc != SQLITE_DONE) {
            return fail("append: read the last event", rc);
        }
    }
    for (ledger_event& e : out) {
        e.seq = ++seq;
        e.hash = ledger_event_hash(prev, e);
        if (e.hash.empty()) {
            last_error_ = "append: SHA-256 failed (OpenSSL)";
            return ledger_errc::storage_failed;
        }
        run q(s_.insert_event.get());
        q.bind(1, e.seq)
            .bind(2, to_ledger_ms(e.at))
            .bind(3, to_string(e.kind))
            .bind(4, e.agency)
            .bind(5, e.service)
            .bind(6, e.check)
            .bind(7, e.outage_id)
            .bind(8, e.data)
            .bind(9, e.hash);
        if (int rc = q.step(); rc != SQLITE_DONE) {
            return fail("append: insert event " + std::to_string(e.seq), rc);
        }
        if (is_outage_kind(e.kind)) {
            std::optional<outage_record> row;
            if (int rc = load_outage(e.outage_id, row); rc != SQLITE_OK) {
                return fail("append: read outage " + std::to_string(e.outage_id), rc);
            }
            if (apply_outage_event(row, e)) {
                if (int rc = store_outage(*row); rc != SQLITE_OK) {
                    return fail("append: write outage " + std::to_string(e.outage_id), rc);
                }
            }
        }
        prev = e.hash;
    }
    if (int rc = txn.commit(); rc != SQLITE_OK) {
        return fail("append: commit", rc);
    }
    std::move(out.begin(), out.end(), events.begin());
    return {};
}

int sqlite_ledger::load_outage(std::int64_t id, std::optional<outage_record>& row) {
    run q(s_.select_outage.get());
    q.bind(1, id);
    const int rc = q.step();
    if (rc == SQLITE_ROW) {
        row = read_outage(q);
        return SQLITE_OK;
    }
    row.reset();
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int sqlite_ledger::store_outage(const outage_record& o) {
    run q(s_.store_outage.get());
    std::optional<std::int64_t> ended;
    if (o.ended_at) {
        ended = to_ledger_ms(*o.ended_at);
    }
    std::optional<std::int64_t> ack;
    if (o.acknowledged_at) {
        ack = to_ledger_ms(*o.acknowledged_at);
    }
    std::optional<std::int64_t> planned;
    if (o.planned_until) {
        planned = to_ledger_ms(*o.planned_until);
    }
    q.bind(1, o.id)
        .bind(2, o.agency)
        .bind(3, o.service)
        .bind(4, to_ledger_ms(o.started_at))
        .bind(5, ended)
        .bind(6, o.cause)
        .bind(7, std::int64_t{o.level})
        .bind(8, o.acknowledged_by)
        .bind(9, ack)
        .bind(10, o.ack_note)
        .bind(11, planned)
        .bind(12, o.caused_by);
    const int rc = q.step();
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

std::error_code sqlite_ledger::write_heartbeat(wall_time now) {
    run q(s_.set_heartbeat.get());
    q.bind(1, to_ledger_ms(now));
    if (int rc = q.step(); rc != SQLITE_DONE) {
        return fail("write_heartbeat", rc);
    }
    return {};
}

int sqlite_ledger::check_id(const std::string& key,
                            std::unordered_map<std::string_view, std::int64_t>& fresh,
                            std::int64_t& id) {
    if (auto it = check_ids_.find(key); it != check_ids_.end()) {
        id = it->second;
        return SQLITE_OK;
    }
    if (auto it = fresh.find(key); it != fresh.end()) {
        id = it->second;
        return SQLITE_OK;
    }
    {
        // Another connection may have added the key since this one last looked.
        run q(s_.find_check_key.get());
        q.bind(1, key);
        const int rc = q.step();
        if (rc == SQLITE_ROW) {
            id = q.integer(0);
        } else if (rc != SQLITE_DONE) {
            return rc;
        } else {
            run insert(s_.insert_check_key.get());
            insert.bind(1, key);
            if (int insert_rc = insert.step(); insert_rc != SQLITE_DONE) {
                return insert_rc;
            }
            id = sqlite3_last_insert_rowid(db_.get());
        }
    }
    fresh.emplace(key, id);
    return SQLITE_OK;
}

std::error_code sqlite_ledger::add_rollups(std::span<const rollup> rows) {
    if (rows.empty()) {
        return {};
    }
    transaction txn(db_.get(), "BEGIN IMMEDIATE");
    if (int rc = txn.begin_rc(); rc != SQLITE_OK) {
        return fail("add_rollups: begin", rc);
    }
    // Keys first seen in this transaction; they join check_ids_ once it commits. The views
    // point into `rows`, which outlives the map.
    std::unordered_map<std::string_view, std::int64_t> fresh;
    for (const rollup& r : rows) {
        std::int64_t id = 0;
        if (int rc = check_id(r.check_key, fresh, id); rc != SQLITE_OK) {
            return fail("add_rollups: check key " + r.check_key, rc);
        }
        run q(s_.add_rollup.get());
        q.bind(1, r.hour)
            .bind(2, id)
            .bind(3, std::int64_t{r.successes})
            .bind(4, std::int64_t{r.failures})
            .bind(5, to_microseconds(r.latency_sum_seconds))
            .bind(6, to_microseconds(r.latency_max_seconds));
        if (int rc = q.step(); rc != SQLITE_DONE) {
            return fail("add_rollups: " + r.check_key, rc);
        }
    }
    if (int rc = txn.commit(); rc != SQLITE_OK) {
        return fail("add_rollups: commit", rc);
    }
    for (const auto& [key, id] : fresh) {
        check_ids_.emplace(std::string{key}, id);
    }
    return {};
}

} // namespace pantau::sqlite_detail
