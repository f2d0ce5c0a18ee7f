// Verification: walks the hash chain and re-derives the outage table from the events.
#include <map>

#include "ledger/sqlite_detail.hpp"

namespace pantau::sqlite_detail {

namespace {

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

} // namespace

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

} // namespace pantau::sqlite_detail
