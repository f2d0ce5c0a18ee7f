#include "ledger/sqlite_ledger.hpp"

#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

namespace pantau {

namespace {

constexpr int schema_version = 3;
constexpr int application_id = 0x50414E54; // "PANT"
constexpr int busy_timeout_ms = 5000;

// Schema version 2. Times are Unix milliseconds. The outage table is derived from the
// events (apply_outage_event) and kept in the same transaction; verify re-derives it.
//
// Rollups are most of the file (one row per check and hour, 87.6 million a year for
// 10,000 checks), so their rows are small: the check's key is stored once in check_keys
// and referenced by its id, and latencies are integer microseconds, which SQLite stores in
// 3 or 4 bytes for an hour's usual values instead of a REAL's 8. check_keys rows are never
// changed or deleted, so an id, once known, stays valid for the life of the file.
//
// Rollups are keyed (hour, check_id), not (check_id, hour): the daemon adds one row per
// check each hour, and with the hour first those rows land side by side at the end of the
// B-tree (a few pages per flush instead of one page per check), and a report's range of
// hours is one contiguous scan instead of a scan of the whole table.
//
// Version 3 added outages.planned_until_ms and outages.caused_by; a version 2 file is
// converted on open (ALTER TABLE, in one transaction).
//
// Version 1 (development builds only) had rollups (check_key TEXT, ..., latency_sum REAL,
// latency_max REAL); it is refused with a message rather than converted.
constexpr const char* schema_sql = R"sql(
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    agency TEXT NOT NULL,
    service TEXT NOT NULL,
    check_id TEXT NOT NULL,
    outage_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX events_at ON events (at_ms);
CREATE INDEX events_kind_at ON events (kind, at_ms);
CREATE TABLE outages (
    id INTEGER PRIMARY KEY,
    agency TEXT NOT NULL,
    service TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    cause TEXT NOT NULL,
    level INTEGER NOT NULL,
    ack_by TEXT,
    ack_ms INTEGER,
    ack_note TEXT NOT NULL,
    planned_until_ms INTEGER,
    caused_by INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
CREATE TABLE check_keys (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);
CREATE TABLE rollups (
    hour INTEGER NOT NULL,
    check_id INTEGER NOT NULL REFERENCES check_keys (id),
    successes INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    latency_sum_us INTEGER NOT NULL,
    latency_max_us INTEGER NOT NULL,
    PRIMARY KEY (hour, check_id)
) WITHOUT ROWID;
)sql";

constexpr const char* event_columns =
    "seq, at_ms, kind, agency, service, check_id, outage_id, data, hash";
constexpr const char* outage_columns =
    "id, agency, service, started_ms, ended_ms, cause, level, ack_by, ack_ms, ack_note, "
    "planned_until_ms, caused_by";

struct db_closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;

struct stmt_finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

ledger_errc errc_of(int rc) {
    switch (rc & 0xFF) {
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return ledger_errc::read_only;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ledger_errc::busy;
    case SQLITE_FULL: return ledger_errc::full;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ledger_errc::corrupt;
    case SQLITE_TOOBIG: return ledger_errc::invalid_event;
    default: return ledger_errc::storage_failed;
    }
}

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

// Dividing (not multiplying by 1e-6) gives the double nearest the exact quotient, so a
// latency with at most six decimals reads back as the same double that was stored.
double to_seconds(std::int64_t microseconds) {
    return static_cast<double>(microseconds) / 1e6;
}

// One execution of a cached statement. Resets it when it goes out of scope, which also
// ends the implicit read transaction a half-read SELECT would otherwise keep open.
class run {
public:
    explicit run(sqlite3_stmt* s) : s_(s) {}
    ~run() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    run(const run&) = delete;
    run& operator=(const run&) = delete;

    // Parameters are numbered from 1. A failed bind makes step() return its error.
    run& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(s_, i, v)); }
    run& bind(int i, std::string_view v) {
        // SQLITE_TRANSIENT: SQLite copies the text, so temporaries are fine.
        return check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    }
    run& bind_null(int i) { return check(sqlite3_bind_null(s_, i)); }
    template <class T>
    run& bind(int i, const std::optional<T>& v) {
        return v ? bind(i, *v) : bind_null(i);
    }

    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return rc_ != SQLITE_OK ? rc_ : sqlite3_step(s_); }

    // Columns are numbered from 0.
    std::int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
    bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    std::string text(int c) const {
        const unsigned char* p = sqlite3_column_text(s_, c);
        const int n = sqlite3_column_bytes(s_, c);
        if (p == nullptr) {
            return {};
        }
        return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
    }
    std::optional<std::int64_t> optional_integer(int c) const {
        return is_null(c) ? std::nullopt : std::optional<std::int64_t>(integer(c));
    }

private:
    run& check(int rc) {
        if (rc_ == SQLITE_OK) {
            rc_ = rc;
        }
        return *this;
    }

    sqlite3_stmt* s_;
    int rc_ = SQLITE_OK;
};

// A transaction that rolls back unless committed. `begin` is "BEGIN" (a read snapshot
// from the first read on) or "BEGIN IMMEDIATE" (takes the write lock at once).
class transaction {
public:
    transaction(sqlite3* db, const char* begin) : db_(db) {
        rc_ = sqlite3_exec(db_, begin, nullptr, nullptr, nullptr);
    }
    ~transaction() {
        // SQLite may already have rolled back after an I/O error or a full disk.
        if (rc_ == SQLITE_OK && !committed_ && sqlite3_get_autocommit(db_) == 0) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;

    int begin_rc() const { return rc_; }
    int commit() {
        const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
        committed_ = rc == SQLITE_OK;
        return rc;
    }

private:
    sqlite3* db_;
    int rc_ = SQLITE_OK;
    bool committed_ = false;
};

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

// Reads `event_columns`. Returns false when the stored kind is not a known name.
bool read_event(const run& q, ledger_event& e, std::string& kind_name) {
    e.seq = q.integer(0);
    e.at = from_ledger_ms(q.integer(1));
    kind_name = q.text(2);
    e.agency = q.text(3);
    e.service = q.text(4);
    e.check = q.text(5);
    e.outage_id = q.integer(6);
    e.data = q.text(7);
    e.hash = q.text(8);
    const auto kind = parse_ledger_event_kind(kind_name);
    if (!kind) {
        return false;
    }
    e.kind = *kind;
    return true;
}

// Reads `outage_columns`.
outage_record read_outage(const run& q) {
    outage_record o;
    o.id = q.integer(0);
    o.agency = q.text(1);
    o.service = q.text(2);
    o.started_at = from_ledger_ms(q.integer(3));
    if (auto ended = q.optional_integer(4)) {
        o.ended_at = from_ledger_ms(*ended);
    }
    o.cause = q.text(5);
    o.level = static_cast<int>(q.integer(6));
    if (!q.is_null(7)) {
        o.acknowledged_by = q.text(7);
    }
    if (auto ack = q.optional_integer(8)) {
        o.acknowledged_at = from_ledger_ms(*ack);
    }
    o.ack_note = q.text(9);
    if (auto until = q.optional_integer(10)) {
        o.planned_until = from_ledger_ms(*until);
    }
    o.caused_by = q.integer(11);
    return o;
}

// The first field in which two outage records differ, or nullptr.
const char* first_difference(const outage_record& a, const outage_record& b) {
    if (a.agency != b.agency) {
        return "agency";
    }
    if (a.service != b.service) {
        return "service";
    }
    if (a.started_at != b.started_at) {
        return "started_at";
    }
    if (a.ended_at != b.ended_at) {
        return "ended_at";
    }
    if (a.cause != b.cause) {
        return "cause";
    }
    if (a.level != b.level) {
        return "level";
    }
    if (a.acknowledged_by != b.acknowledged_by) {
        return "acknowledged_by";
    }
    if (a.acknowledged_at != b.acknowledged_at) {
        return "acknowledged_at";
    }
    if (a.ack_note != b.ack_note) {
        return "ack_note";
    }
    if (a.planned_until != b.planned_until) {
        return "planned_until";
    }
    if (a.caused_by != b.caused_by) {
        return "caused_by";
    }
    return nullptr;
}

// The statements the ledger uses, prepared once.
struct statements {
    stmt_ptr last_event;
    stmt_ptr insert_event;
    stmt_ptr select_outage;
    stmt_ptr store_outage;
    stmt_ptr max_outage_id;
    stmt_ptr query_outages;
    stmt_ptr all_outages;
    stmt_ptr events_between;
    stmt_ptr all_events;
    stmt_ptr events_of_kind;
    stmt_ptr latest_per_check;
    stmt_ptr gaps_after;
    stmt_ptr set_heartbeat;
    stmt_ptr get_heartbeat;
    stmt_ptr find_check_key;
    stmt_ptr insert_check_key;
    stmt_ptr add_rollup;
    stmt_ptr rollups_between;
};

class sqlite_ledger final : public ledger {
public:
    sqlite_ledger(db_ptr db, statements s) : db_(std::move(db)), s_(std::move(s)) {}

    std::error_code append(std::span<ledger_event> events) override;
    std::error_code write_heartbeat(wall_time now) override;
    std::optional<wall_time> last_heartbeat() override;
    std::error_code add_rollups(std::span<const rollup> rows) override;
    std::vector<rollup> rollups(std::int64_t from_hour, std::int64_t to_hour) override;
    std::vector<outage_record> outages(const outage_query& q) override;
    std::optional<outage_record> outage(std::int64_t id) override;
    std::vector<monitoring_gap> gaps(wall_time from, wall_time to) override;
    std::int64_t max_outage_id() override;
    std::vector<ledger_event> events(wall_time from, wall_time to) override;
    std::vector<ledger_event> events_of_kind(std::span<const ledger_event_kind> kinds,
                                             wall_time from) override;
    std::vector<ledger_event> latest_per_check(ledger_event_kind kind) override;
    verify_result verify() override;
    std::string last_error() const override { return last_error_; }

private:
    // Records a failure of `what` with SQLite's message and returns its error code.
    std::error_code fail(std::string_view what, int rc) {
        const char* msg = sqlite3_errmsg(db_.get());
        last_error_ =
            std::string{what} + ": " +
            (sqlite3_errcode(db_.get()) == rc && msg != nullptr ? msg : sqlite3_errstr(rc));
        return errc_of(rc);
    }
    std::error_code invalid(std::string message) {
        last_error_ = std::move(message);
        return ledger_errc::invalid_event;
    }

    // The outage table row `id` as it is now, within the current transaction.
    int load_outage(std::int64_t id, std::optional<outage_record>& row);
    int store_outage(const outage_record& o);
    std::optional<std::string> compare_outages(const std::map<std::int64_t, outage_record>& derived,
                                               std::int64_t& bad_id);
    // The check_keys id of `key`, within the current write transaction: from check_ids_
    // or `fresh`, else read or inserted and then added to `fresh`.
    int check_id(const std::string& key, std::unordered_map<std::string_view, std::int64_t>& fresh,
                 std::int64_t& id);

    db_ptr db_; // declared first: the statements are finalised before the connection closes
    statements s_;
    std::string last_error_;
    // check_keys as far as known: key -> id. Only ids of committed rows are added, so a
    // rolled-back insert never leaves an id here that the file does not have.
    std::unordered_map<std::string, std::int64_t> check_ids_;
};

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

std::optional<wall_time> sqlite_ledger::last_heartbeat() {
    run q(s_.get_heartbeat.get());
    const int rc = q.step();
    if (rc == SQLITE_ROW) {
        return from_ledger_ms(q.integer(0));
    }
    if (rc != SQLITE_DONE) {
        fail("last_heartbeat", rc);
    }
    return std::nullopt;
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

std::vector<rollup> sqlite_ledger::rollups(std::int64_t from_hour, std::int64_t to_hour) {
    std::vector<rollup> out;
    run q(s_.rollups_between.get());
    q.bind(1, from_hour).bind(2, to_hour);
    int rc = SQLITE_OK;
    while ((rc = q.step()) == SQLITE_ROW) {
        rollup r;
        r.check_key = q.text(0);
        r.hour = q.integer(1);
        r.successes = static_cast<std::uint32_t>(q.integer(2));
        r.failures = static_cast<std::uint32_t>(q.integer(3));
        r.latency_sum_seconds = to_seconds(q.integer(4));
        r.latency_max_seconds = to_seconds(q.integer(5));
        out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) {
        fail("rollups", rc);
        out.clear();
    }
    return out;
}

std::vector<outage_record> sqlite_ledger::outages(const outage_query& query) {
    std::vector<outage_record> out;
    run q(s_.query_outages.get());
    if (query.from) {
        q.bind(1, to_ledger_ms(*query.from));
    }
    if (query.to) {
        q.bind(2, to_ledger_ms(*query.to));
    }
    q.bind(3, query.agency).bind(4, query.service);
    int rc = SQLITE_OK;
    while ((rc = q.step()) == SQLITE_ROW) {
        out.push_back(read_outage(q));
    }
    if (rc != SQLITE_DONE) {
        fail("outages", rc);
        out.clear();
    }
    return out;
}

std::optional<outage_record> sqlite_ledger::outage(std::int64_t id) {
    std::optional<outage_record> row;
    if (int rc = load_outage(id, row); rc != SQLITE_OK) {
        fail("outage " + std::to_string(id), rc);
    }
    return row;
}

std::vector<monitoring_gap> sqlite_ledger::gaps(wall_time from, wall_time to) {
    std::vector<monitoring_gap> out;
    const std::int64_t from_ms = to_ledger_ms(from);
    const std::int64_t to_ms = to_ledger_ms(to);
    run q(s_.gaps_after.get());
    q.bind(1, from_ms);
    int rc = SQLITE_OK;
    while ((rc = q.step()) == SQLITE_ROW) {
        // The gap is [data.from, at); it overlaps [from, to) when it starts before `to`.
        const std::int64_t end = q.integer(0);
        const auto data = nlohmann::json::parse(q.text(1), nullptr, false);
        if (!data.is_object()) {
            continue;
        }
        const auto start = data.find("from");
        if (start == data.end() || !start->is_number_integer()) {
            continue;
        }
        const auto start_ms = start->get<std::int64_t>();
        if (start_ms < to_ms && start_ms < end) {
            out.push_back({from_ledger_ms(start_ms), from_ledger_ms(end)});
        }
    }
    if (rc != SQLITE_DONE) {
        fail("gaps", rc);
        out.clear();
    }
    return out;
}

std::int64_t sqlite_ledger::max_outage_id() {
    run q(s_.max_outage_id.get());
    const int rc = q.step();
    if (rc != SQLITE_ROW) {
        fail("max_outage_id", rc);
        return 0;
    }
    return q.integer(0);
}

std::vector<ledger_event> sqlite_ledger::events(wall_time from, wall_time to) {
    std::vector<ledger_event> out;
    run q(s_.events_between.get());
    q.bind(1, to_ledger_ms(from)).bind(2, to_ledger_ms(to));
    int rc = SQLITE_OK;
    std::string kind;
    while ((rc = q.step()) == SQLITE_ROW) {
        ledger_event e;
        if (!read_event(q, e, kind)) {
            last_error_ = "events: event " + std::to_string(e.seq) + " has an unknown kind \"" +
                          kind + "\" (skipped; run `pantau ledger verify`)";
            continue;
        }
        out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) {
        fail("events", rc);
        out.clear();
    }
    return out;
}

std::vector<ledger_event> sqlite_ledger::events_of_kind(std::span<const ledger_event_kind> kinds,
                                                        wall_time from) {
    std::vector<ledger_event> out;
    std::string kind;
    for (const ledger_event_kind k : kinds) {
        run q(s_.events_of_kind.get());
        q.bind(1, to_string(k)).bind(2, to_ledger_ms(from));
        int rc = SQLITE_OK;
        while ((rc = q.step()) == SQLITE_ROW) {
            ledger_event e;
            if (read_event(q, e, kind)) {
                out.push_back(std::move(e));
            }
        }
        if (rc != SQLITE_DONE) {
            fail("events_of_kind", rc);
            return {};
        }
    }
    std::sort(out.begin(), out.end(),
              [](const ledger_event& a, const ledger_event& b) { return a.seq < b.seq; });
    return out;
}

std::vector<ledger_event> sqlite_ledger::latest_per_check(ledger_event_kind kind) {
    std::vector<ledger_event> out;
    std::string kind_name;
    run q(s_.latest_per_check.get());
    q.bind(1, to_string(kind));
    int rc = SQLITE_OK;
    while ((rc = q.step()) == SQLITE_ROW) {
        ledger_event e;
        if (read_event(q, e, kind_name)) {
            out.push_back(std::move(e));
        }
    }
    if (rc != SQLITE_DONE) {
        fail("latest_per_check", rc);
        return {};
    }
    return out;
}

verify_result sqlite_ledger::verify() {
    verify_result r;
    const auto broken = [&r](std::int64_t seq, std::string problem) {
        r.ok = false;
        r.bad_seq = seq;
        r.problem = std::move(problem);
        return r;
    };
    // One snapshot for the events and the outage table, even while a daemon appends.
    transaction txn(db_.get(), "BEGIN");
    if (int rc = txn.begin_rc(); rc != SQLITE_OK) {
        fail("verify", rc);
        return broken(0, "cannot read the ledger: " + last_error_);
    }
    std::map<std::int64_t, outage_record> derived;
    std::string prev{ledger_genesis_hash};
    std::int64_t expected = 1;
    {
        // Streams the chain row by row; only the outages are kept in memory.
        run q(s_.all_events.get());
        ledger_event e;
        std::string kind;
        int rc = SQLITE_OK;
        while ((rc = q.step()) == SQLITE_ROW) {
            const bool known = read_event(q, e, kind);
            if (e.seq != expected) {
                return broken(expected, "event " + std::to_string(expected) +
                                            ": missing (deleted?); the next stored event is " +
                                            std::to_string(e.seq));
            }
            if (!known) {
                return broken(e.seq, "event " + std::to_string(e.seq) +
                                         ": content changed (unknown kind \"" + kind + "\")");
            }
            // A changed field, a changed hash, or an earlier event rewritten together with
            // its own hash: each breaks the link here. Only rewriting every hash from the
            // change to the end goes unseen here; compare the last hash with one recorded
            // elsewhere (the report's footer) to catch that, or events cut off the end.
            if (ledger_event_hash(prev, e) != e.hash) {
                return broken(e.seq, "event " + std::to_string(e.seq) +
                                         ": content changed (hash mismatch)");
            }
            if (is_outage_kind(e.kind)) {
                std::optional<outage_record> row;
                if (auto it = derived.find(e.outage_id); it != derived.end()) {
                    row = it->second;
                }
                if (apply_outage_event(row, e)) {
                    derived[e.outage_id] = std::move(*row);
                }
            }
            prev = std::move(e.hash);
            ++expected;
            ++r.events;
        }
        if (rc != SQLITE_DONE) {
            fail("verify: read events", rc);
            return broken(0, "cannot read event " + std::to_string(expected) + ": " + last_error_);
        }
    }
    std::int64_t bad_id = 0;
    if (auto problem = compare_outages(derived, bad_id)) {
        r.ok = false;
        r.bad_outage = bad_id;
        r.problem = std::move(*problem);
        return r;
    }
    if (r.events > 0) {
        r.last_hash = std::move(prev);
    }
    return r;
}

std::optional<std::string>
sqlite_ledger::compare_outages(const std::map<std::int64_t, outage_record>& derived,
                               std::int64_t& bad_id) {
    const auto differs = [&bad_id](std::int64_t id, const std::string& detail) {
        bad_id = id;
        return "outage " + std::to_string(id) + ": table differs from events (" + detail + ")";
    };
    run q(s_.all_outages.get());
    auto it = derived.begin();
    int rc = SQLITE_OK;
    while ((rc = q.step()) == SQLITE_ROW) {
        const outage_record stored = read_outage(q);
        if (it != derived.end() && it->first < stored.id) {
            return differs(it->first, "missing from the table");
        }
        if (it == derived.end() || it->first > stored.id) {
            return differs(stored.id, "no outage_opened event");
        }
        if (const char* field = first_difference(it->second, stored)) {
            return differs(stored.id, field);
        }
        ++it;
    }
    if (rc != SQLITE_DONE) {
        fail("verify: read outages", rc);
        return "cannot read the outage table: " + last_error_;
    }
    if (it != derived.end()) {
        return differs(it->first, "missing from the table");
    }
    return std::nullopt;
}

int prepare(sqlite3* db, const std::string& sql, stmt_ptr& out) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()) + 1,
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    out.reset(raw);
    return rc;
}

int prepare_all(sqlite3* db, statements& s) {
    const std::string events{event_columns};
    const std::string outages{outage_columns};
    const std::pair<stmt_ptr*, std::string> list[] = {
        {&s.last_event, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"},
        {&s.insert_event,
         "INSERT INTO events (" + events + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
        {&s.select_outage, "SELECT " + outages + " FROM outages WHERE id = ?1"},
        {&s.store_outage, "INSERT OR REPLACE INTO outages (" + outages +
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"},
        {&s.max_outage_id, "SELECT coalesce(max(id), 0) FROM outages"},
        // Outages overlapping [from, to): started before `to`, not ended by `from`.
        {&s.query_outages, "SELECT " + outages +
                               " FROM outages"
                               " WHERE (?1 IS NULL OR ended_ms IS NULL OR ended_ms > ?1)"
                               " AND (?2 IS NULL OR started_ms < ?2)"
                               " AND (?3 IS NULL OR agency = ?3)"
                               " AND (?4 IS NULL OR service = ?4)"
                               " ORDER BY started_ms, id"},
        {&s.all_outages, "SELECT " + outages + " FROM outages ORDER BY id"},
        {&s.events_between,
         "SELECT " + events + " FROM events WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY seq"},
        {&s.all_events, "SELECT " + events + " FROM events ORDER BY seq"},
        {&s.events_of_kind,
         "SELECT " + events + " FROM events WHERE kind = ?1 AND at_ms >= ?2 ORDER BY seq"},
        // events_kind_at narrows to the kind; max(seq) per check is the latest.
        {&s.latest_per_check, "SELECT " + events +
                                  " FROM events WHERE seq IN (SELECT max(seq) FROM events"
                                  " WHERE kind = ?1 GROUP BY agency, service, check_id)"
                                  " ORDER BY seq"},
        {&s.gaps_after, "SELECT at_ms, data FROM events"
                        " WHERE kind = 'monitoring_gap' AND at_ms > ?1 ORDER BY at_ms, seq"},
        {&s.set_heartbeat, "INSERT INTO heartbeat (id, at_ms) VALUES (1, ?1)"
                           " ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms"},
        {&s.get_heartbeat, "SELECT at_ms FROM heartbeat WHERE id = 1"},
        {&s.find_check_key, "SELECT id FROM check_keys WHERE key = ?1"},
        {&s.insert_check_key, "INSERT INTO check_keys (key) VALUES (?1)"},
        {&s.add_rollup, "INSERT INTO rollups"
                        " (hour, check_id, successes, failures, latency_sum_us, latency_max_us)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                        " ON CONFLICT (hour, check_id) DO UPDATE SET"
                        " successes = successes + excluded.successes,"
                        " failures = failures + excluded.failures,"
                        " latency_sum_us = latency_sum_us + excluded.latency_sum_us,"
                        " latency_max_us = max(latency_max_us, excluded.latency_max_us)"},
        // The primary key gives the hours in order; SQLite sorts each hour's rows by key.
        {&s.rollups_between, "SELECT k.key, r.hour, r.successes, r.failures, r.latency_sum_us,"
                             " r.latency_max_us FROM rollups AS r"
                             " JOIN check_keys AS k ON k.id = r.check_id"
                             " WHERE r.hour >= ?1 AND r.hour < ?2 ORDER BY r.hour, k.key"},
    };
    for (const auto& [target, sql] : list) {
        if (int rc = prepare(db, sql, *target); rc != SQLITE_OK) {
            return rc;
        }
    }
    return SQLITE_OK;
}

// Runs a pragma or query that returns one integer.
int query_int(sqlite3* db, const char* sql, std::int64_t& value) {
    stmt_ptr s;
    if (int rc = prepare(db, sql, s); rc != SQLITE_OK) {
        return rc;
    }
    run q(s.get());
    const int rc = q.step();
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }
    value = q.integer(0);
    return SQLITE_OK;
}

struct ledger_file_state {
    std::int64_t application = 0;
    std::int64_t version = 0;
    std::int64_t objects = 0; // tables, indexes, ... in the file
};

int read_file_state(sqlite3* db, ledger_file_state& st) {
    int rc = query_int(db, "PRAGMA application_id", st.application);
    if (rc == SQLITE_OK) {
        rc = query_int(db, "PRAGMA user_version", st.version);
    }
    if (rc == SQLITE_OK) {
        rc = query_int(db, "SELECT count(*) FROM sqlite_schema", st.objects);
    }
    return rc;
}

// Creates the schema in a new, empty file (rechecked under the write lock, in case another
// process created it meanwhile).
int create_schema(sqlite3* db) {
    transaction txn(db, "BEGIN IMMEDIATE");
    if (txn.begin_rc() != SQLITE_OK) {
        return txn.begin_rc();
    }
    ledger_file_state st;
    if (int rc = read_file_state(db, st); rc != SQLITE_OK) {
        return rc;
    }
    if (st.objects == 0) {
        const std::string sql =
            std::string{schema_sql} + "PRAGMA application_id = " + std::to_string(application_id) +
            ";\nPRAGMA user_version = " + std::to_string(schema_version) + ";\n";
        if (int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) {
            return rc;
        }
    }
    return txn.commit();
}

// Version 2 -> 3: two columns of the outage table, both derived from outage_opened data
// that version 2 did not write (so NULL and 0 are what its events say).
int migrate_from_v2(sqlite3* db) {
    transaction txn(db, "BEGIN IMMEDIATE");
    if (txn.begin_rc() != SQLITE_OK) {
        return txn.begin_rc();
    }
    std::int64_t version = 0;
    if (int rc = query_int(db, "PRAGMA user_version", version); rc != SQLITE_OK) {
        return rc;
    }
    if (version == 2) {
        const char* sql = "ALTER TABLE outages ADD COLUMN planned_until_ms INTEGER;"
                          "ALTER TABLE outages ADD COLUMN caused_by INTEGER NOT NULL DEFAULT 0;"
                          "PRAGMA user_version = 3;";
        if (int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
            return rc;
        }
    }
    return txn.commit();
}

std::unique_ptr<ledger> open_ledger(const std::string& path, bool read_only, std::string& error) {
    const int flags =
        (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
        SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    sqlite3* raw = nullptr;
    const int open_rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_ptr db(raw); // closes the handle SQLite returns even when opening failed
    const auto failed = [&](const std::string& what, int rc) {
        const char* msg = db ? sqlite3_errmsg(db.get()) : nullptr;
        error = "ledger " + path + ": " + what + ": " +
                (msg != nullptr && sqlite3_errcode(db.get()) == rc ? msg : sqlite3_errstr(rc));
        return nullptr;
    };
    if (open_rc != SQLITE_OK) {
        return failed("cannot open", open_rc);
    }
    if (!read_only && sqlite3_db_readonly(db.get(), "main") == 1) {
        // SQLite falls back to read-only for a file it may not write; the daemon would
        // then fail on every write. Refuse, so that opening is retried instead.
        error = "ledger " + path + ": the file is not writable";
        return nullptr;
    }
    sqlite3_busy_timeout(db.get(), busy_timeout_ms);

    ledger_file_state st;
    if (int rc = read_file_state(db.get(), st); rc != SQLITE_OK) {
        return failed("cannot read", rc);
    }
    const bool empty = st.objects == 0 && st.version == 0;
    if (!empty && st.application != application_id) {
        error = "ledger " + path + ": not a Pantau ledger (another SQLite database)";
        return nullptr;
    }
    if (st.version > schema_version) {
        error = "ledger " + path + ": written by a newer Pantau (schema version " +
                std::to_string(st.version) + ", this one knows " + std::to_string(schema_version) +
                ")";
        return nullptr;
    }
    if (!empty && st.version == 2 && !read_only) {
        if (int rc = migrate_from_v2(db.get()); rc != SQLITE_OK) {
            return failed("cannot convert schema version 2 to 3", rc);
        }
        st.version = schema_version;
    }
    if (!empty && st.version == 2) {
        error = "ledger " + path +
                ": schema version 2; start the daemon once (pantau run) to "
                "convert it to version 3";
        return nullptr;
    }
    if (!empty && st.version < schema_version) {
        // Only development builds wrote older versions; the project has not shipped one.
        error = "ledger " + path + ": schema version " + std::to_string(st.version) +
                ", from a development build of Pantau; this one needs version " +
                std::to_string(schema_version) +
                " and does not convert it (move the file away to start a new ledger)";
        return nullptr;
    }
    if (read_only && empty) {
        error = "ledger " + path + ": empty, no ledger has been written to it yet";
        return nullptr;
    }
    if (!read_only) {
        // WAL lets readers run during writes; FULL syncs the WAL on every commit, so a
        // committed event survives a power cut. Keep the WAL file from staying huge.
        std::string mode;
        {
            stmt_ptr s;
            int rc = prepare(db.get(), "PRAGMA journal_mode = WAL", s);
            if (rc == SQLITE_OK) {
                run q(s.get());
                rc = q.step();
                if (rc == SQLITE_ROW) {
                    mode = q.text(0);
                    rc = SQLITE_OK;
                }
            }
            if (rc != SQLITE_OK) {
                return failed("cannot switch to WAL mode", rc);
            }
        }
        if (mode != "wal") {
            error = "ledger " + path + ": cannot switch to WAL mode (journal mode is " + mode + ")";
            return nullptr;
        }
        if (int rc = sqlite3_exec(db.get(),
                                  "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = 16777216",
                                  nullptr, nullptr, nullptr);
            rc != SQLITE_OK) {
            return failed("cannot configure", rc);
        }
        if (empty) {
            if (int rc = create_schema(db.get()); rc != SQLITE_OK) {
                return failed("cannot create the schema", rc);
            }
        }
    }
    statements s;
    if (int rc = prepare_all(db.get(), s); rc != SQLITE_OK) {
        return failed("cannot prepare statements", rc);
    }
    return std::make_unique<sqlite_ledger>(std::move(db), std::move(s));
}

} // namespace

std::unique_ptr<ledger> open_sqlite_ledger(const std::string& path, std::string& error) {
    return open_ledger(path, false, error);
}

std::unique_ptr<ledger> open_sqlite_ledger_readonly(const std::string& path, std::string& error) {
    return open_ledger(path, true, error);
}

} // namespace pantau
