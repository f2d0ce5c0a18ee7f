// An in-memory ledger for tests of code that reads the ledger (the report): holds the
// outages and gaps a test puts in, answers queries the way the interface promises, and
// remembers the queries it was asked.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.hpp"

namespace pantau::testing {

class fake_ledger final : public ledger {
public:
    std::vector<outage_record> outage_rows;
    std::vector<monitoring_gap> gap_rows;
    verify_result verification;

    // What the code under test asked for.
    std::vector<outage_query> outage_queries;
    std::vector<std::pair<wall_time, wall_time>> gap_queries;

    std::error_code append(std::span<ledger_event> /*events*/) override {
        return make_error_code(ledger_errc::read_only);
    }
    std::error_code write_heartbeat(wall_time /*now*/) override {
        return make_error_code(ledger_errc::read_only);
    }
    std::optional<wall_time> last_heartbeat() override { return std::nullopt; }
    std::error_code add_rollups(std::span<const rollup> /*rows*/) override {
        return make_error_code(ledger_errc::read_only);
    }
    std::vector<rollup> rollups(std::int64_t /*from_hour*/, std::int64_t /*to_hour*/) override {
        return {};
    }

    // Outages overlapping [from, to) (an open one overlaps everything after its start).
    std::vector<outage_record> outages(const outage_query& q) override {
        outage_queries.push_back(q);
        std::vector<outage_record> out;
        for (const outage_record& o : outage_rows) {
            const bool before_end = !q.to || o.started_at < *q.to;
            const bool after_start = !q.from || !o.ended_at || *o.ended_at > *q.from;
            const bool agency = !q.agency || *q.agency == o.agency;
            const bool service = !q.service || *q.service == o.service;
            if (before_end && after_start && agency && service) {
                out.push_back(o);
            }
        }
        return out;
    }
    std::optional<outage_record> outage(std::int64_t id) override {
        for (const outage_record& o : outage_rows) {
            if (o.id == id) {
                return o;
            }
        }
        return std::nullopt;
    }
    std::vector<monitoring_gap> gaps(wall_time from, wall_time to) override {
        gap_queries.emplace_back(from, to);
        std::vector<monitoring_gap> out;
        for (const monitoring_gap& g : gap_rows) {
            if (g.from < to && g.to > from) {
                out.push_back(g);
            }
        }
        return out;
    }
    std::int64_t max_outage_id() override {
        std::int64_t id = 0;
        for (const outage_record& o : outage_rows) {
            id = std::max(id, o.id);
        }
        return id;
    }
    std::vector<ledger_event> events(wall_time /*from*/, wall_time /*to*/) override { return {}; }
    verify_result verify() override { return verification; }
};

// A wall time from a local date and time at UTC+07:00 (WIB), like people write it.
inline wall_time wib(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
    using namespace std::chrono;
    return wall_time{sys_days{year{y} / month{mo} / day{d}}} + hours{h} + minutes{mi} - hours{7};
}

} // namespace pantau::testing
