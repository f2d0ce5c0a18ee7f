// Opening a ledger file: the schema, its migrations and the prepared statements.
#include "ledger/sqlite_ledger.hpp"

#include <sqlite3.h>

#include <memory>
#include <string>
#include <utility>

#include "ledger/sqlite_detail.hpp"

namespace pantau::sqlite_detail {

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

} // namespace

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

namespace {

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

} // namespace pantau::sqlite_detail

namespace pantau {

std::unique_ptr<ledger> open_sqlite_ledger(const std::string& path, std::string& error) {
    return sqlite_detail::open_ledger(path, false, error);
}

std::unique_ptr<ledger> open_sqlite_ledger_readonly(const std::string& path, std::string& error) {
    return sqlite_detail::open_ledger(path, true, error);
}

} // namespace pantau
