// Reading: outages, monitoring gaps, events, heartbeat and rollups.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "ledger/sqlite_detail.hpp"

namespace pantau::sqlite_detail {

namespace {

// Dividing (not multiplying by 1e-6) gives the double nearest the exact quotient, so a
// latency with at most six decimals reads back as the same double that was stored.
double to_seconds(std::int64_t microseconds) {
    return static_cast<double>(microseconds) / 1e6;
}

} // namespace

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

} // namespace pantau::sqlite_detail
