// Internal to pantau_ledger: what the files of the SQLite ledger share. The ledger class is
// defined over four files: sqlite_ledger.cpp (opening, schema, migrations, statements),
// sqlite_append.cpp (appending to the hash chain, the outage table, heartbeat, rollups),
// sqlite_queries.cpp (reading) and sqlite_verify.cpp (walking the chain).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ledger/ledger.hpp"

namespace pantau::sqlite_detail {

// The columns read_event and read_outage read, in their order.
inline constexpr const char* event_columns =
    "seq, at_ms, kind, agency, service, check_id, outage_id, data, hash";
inline constexpr const char* outage_columns =
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

// The ledger error for an SQLite result code (extended codes allowed).
ledger_errc errc_of(int rc);

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

// Whether events of kind `k` change the outage table (apply_outage_event).
bool is_outage_kind(ledger_event_kind k);

// Reads `event_columns`. Returns false when the stored kind is not a known name.
bool read_event(const run& q, ledger_event& e, std::string& kind_name);

// Reads `outage_columns`.
outage_record read_outage(const run& q);

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

} // namespace pantau::sqlite_detail
