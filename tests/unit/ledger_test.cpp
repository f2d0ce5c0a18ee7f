// The SQLite ledger on a real file in a temporary directory: the hash chain, the outage
// table, heartbeat, gaps, rollups, verify against tampering, and failed writes.
#include <doctest/doctest.h>

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger.hpp"
#include "ledger/sqlite_ledger.hpp"

using namespace pantau;

namespace {

// 2026-01-01T00:00:00Z; test times are offsets from here.
constexpr std::int64_t t0_ms = 1767225600000;

wall_time at(std::int64_t offset_ms) {
    return from_ledger_ms(t0_ms + offset_ms);
}

constexpr std::int64_t minute = 60'000;

// A directory under /tmp, removed with everything in it at the end of the test.
class temp_dir {
public:
    temp_dir() {
        std::string templ = (std::filesystem::temp_directory_path() / "pantau-ledger-XXXXXX");
        if (mkdtemp(templ.data()) == nullptr) {
            FAIL("mkdtemp failed");
        }
        path_ = templ;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

struct db_closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// Runs SQL on the file through a separate connection, as someone tampering would.
void raw_exec(const std::string& path, const std::string& sql) {
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    std::unique_ptr<sqlite3, db_closer> db(raw);
    REQUIRE(rc == SQLITE_OK);
    char* err = nullptr;
    const int exec_rc = sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &err);
    const std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    INFO(sql << ": " << message);
    REQUIRE(exec_rc == SQLITE_OK);
}

// The one integer `sql` returns, read through a separate connection.
std::int64_t raw_int(const std::string& path, const std::string& sql) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    std::unique_ptr<sqlite3, db_closer> db(raw);
    REQUIRE(rc == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    const int step_rc = sqlite3_step(stmt);
    const std::int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    REQUIRE(step_rc == SQLITE_ROW);
    return value;
}

std::unique_ptr<ledger> open_rw(const std::string& path) {
    std::string error;
    auto l = open_sqlite_ledger(path, error);
    INFO(error);
    REQUIRE(l);
    CHECK(error.empty());
    return l;
}

std::unique_ptr<ledger> open_ro(const std::string& path) {
    std::string error;
    auto l = open_sqlite_ledger_readonly(path, error);
    INFO(error);
    REQUIRE(l);
    return l;
}

ledger_event event(ledger_event_kind kind, std::int64_t offset_ms, std::int64_t outage_id = 0,
                   std::string data = "{}", std::string agency = "dukcapil",
                   std::string service = "akta-online") {
    ledger_event e;
    e.kind = kind;
    e.at = at(offset_ms);
    e.agency = std::move(agency);
    e.service = std::move(service);
    e.outage_id = outage_id;
    e.data = std::move(data);
    return e;
}

std::error_code append_one(ledger& l, ledger_event e) {
    std::vector<ledger_event> batch{std::move(e)};
    return l.append(batch);
}

// Six events: start, a check change, outage 1 opened, escalated, acknowledged, closed.
std::vector<ledger_event> sample_events() {
    using k = ledger_event_kind;
    std::vector<ledger_event> v;
    v.push_back(event(k::daemon_started, 0, 0, R"({"version":"0.1.0"})", "", ""));
    ledger_event change = event(k::check_state_changed, 1 * minute, 0,
                                R"({"from":"up","to":"down","reason":"http 503"})");
    change.check = "portal";
    v.push_back(change);
    v.push_back(event(k::outage_opened, 2 * minute, 1, R"({"cause":"check portal: http 503"})"));
    v.push_back(event(k::escalation_reached, 32 * minute, 1, R"({"level":1})"));
    v.push_back(event(k::outage_acknowledged, 40 * minute, 1, R"({"by":"budi","note":"on it"})"));
    v.push_back(event(k::outage_closed, 50 * minute, 1));
    return v;
}

} // namespace

TEST_CASE("ledger: event kinds have names and parse back") {
    using k = ledger_event_kind;
    for (k kind : {k::daemon_started, k::daemon_stopped, k::config_reloaded, k::monitoring_gap,
                   k::check_state_changed, k::outage_opened, k::outage_closed,
                   k::outage_acknowledged, k::escalation_reached, k::notification_sent}) {
        const auto name = to_string(kind);
        CHECK_FALSE(name.empty());
        CHECK(parse_ledger_event_kind(name) == kind);
    }
    CHECK(to_string(k::outage_opened) == "outage_opened");
    CHECK(to_string(k::monitoring_gap) == "monitoring_gap");
    CHECK_FALSE(parse_ledger_event_kind("outage_open"));
    CHECK_FALSE(parse_ledger_event_kind(""));
}

TEST_CASE("ledger: the hash is SHA-256 over the previous hash and netstring fields") {
    // Expected values computed independently (Python hashlib) from the format in ledger.hpp.
    ledger_event first;
    first.seq = 1;
    first.at = from_ledger_ms(1700000000000);
    first.kind = ledger_event_kind::daemon_started;
    first.data = "{}";
    const std::string h1 = ledger_event_hash(ledger_genesis_hash, first);
    CHECK(h1 == "9c3ca2ce702a62d83d6b54fe81a8fe87ce078495cc0a3f1c60a80e9dd9ac4612");

    ledger_event second;
    second.seq = 2;
    second.at = from_ledger_ms(1700000000123) + std::chrono::microseconds(999); // floored
    second.kind = ledger_event_kind::outage_opened;
    second.agency = "dukcapil";
    second.service = "akta-online";
    second.outage_id = 7;
    second.data = "{\"cause\":\"http 503 \xE2\x80\x93 \xC3\xA9\"}"; // UTF-8 bytes are counted
    CHECK(ledger_event_hash(h1, second) ==
          "6fe9b704947b0d0fff7ba2761c17d0a003709336a490cac497c50ebbf4e7b49f");

    // Moving a character from one field to the next changes the hash (length prefixes).
    ledger_event shifted = second;
    shifted.agency = "dukcapila";
    shifted.service = "kta-online";
    CHECK(ledger_event_hash(h1, shifted) != ledger_event_hash(h1, second));
}

TEST_CASE("ledger: append assigns seq and hash and chains the events") {
    temp_dir dir;
    auto l = open_rw(dir.file("ledger.db"));
    CHECK(l->max_outage_id() == 0);
    CHECK(l->verify().ok);
    CHECK(l->verify().events == 0);

    std::vector<ledger_event> batch = sample_events();
    batch[0].data.clear(); // stored as "{}"
    REQUIRE_FALSE(l->append(batch));
    std::string prev{ledger_genesis_hash};
    for (std::size_t i = 0; i < batch.size(); ++i) {
        CHECK(batch[i].seq == static_cast<std::int64_t>(i + 1));
        CHECK(batch[i].hash.size() == 64);
        CHECK(batch[i].hash == ledger_event_hash(prev, batch[i]));
        prev = batch[i].hash;
    }
    CHECK(batch[0].data == "{}");

    // A second batch continues the chain.
    std::vector<ledger_event> more{event(ledger_event_kind::daemon_stopped, 60 * minute)};
    REQUIRE_FALSE(l->append(more));
    CHECK(more[0].seq == 7);
    CHECK(more[0].hash == ledger_event_hash(prev, more[0]));

    // events() returns what was stored, [from, to) by time, in chain order.
    const auto stored = l->events(at(0), at(61 * minute));
    REQUIRE(stored.size() == 7);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        CHECK(stored[i].seq == batch[i].seq);
        CHECK(stored[i].kind == batch[i].kind);
        CHECK(stored[i].at == batch[i].at);
        CHECK(stored[i].agency == batch[i].agency);
        CHECK(stored[i].check == batch[i].check);
        CHECK(stored[i].outage_id == batch[i].outage_id);
        CHECK(stored[i].data == batch[i].data);
        CHECK(stored[i].hash == batch[i].hash);
    }
    const auto window = l->events(at(2 * minute), at(40 * minute));
    REQUIRE(window.size() == 2);
    CHECK(window[0].kind == ledger_event_kind::outage_opened);
    CHECK(window[1].kind == ledger_event_kind::escalation_reached);
}

TEST_CASE("ledger: reopening continues the chain and the outage ids") {
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    std::string last_hash;
    {
        auto l = open_rw(path);
        std::vector<ledger_event> batch = sample_events();
        batch.push_back(event(ledger_event_kind::outage_opened, 55 * minute, 2,
                              R"({"cause":"activity"})", "dinkes", "puskesmas"));
        REQUIRE_FALSE(l->append(batch));
        last_hash = batch.back().hash;
    }
    auto l = open_rw(path);
    CHECK(l->max_outage_id() == 2);
    std::vector<ledger_event> next{event(ledger_event_kind::daemon_started, 70 * minute)};
    REQUIRE_FALSE(l->append(next));
    CHECK(next[0].seq == 8);
    CHECK(next[0].hash == ledger_event_hash(last_hash, next[0]));
    const verify_result v = l->verify();
    CHECK(v.ok);
    CHECK(v.events == 8);
    CHECK(v.last_hash == next[0].hash);
}

TEST_CASE("ledger: the outage table follows the events") {
    using k = ledger_event_kind;
    temp_dir dir;
    auto l = open_rw(dir.file("ledger.db"));
    CHECK_FALSE(l->outage(1));

    REQUIRE_FALSE(append_one(*l, event(k::outage_opened, 0, 1, R"({"cause":"check portal"})")));
    auto o = l->outage(1);
    REQUIRE(o);
    CHECK(o->id == 1);
    CHECK(o->agency == "dukcapil");
    CHECK(o->service == "akta-online");
    CHECK(o->started_at == at(0));
    CHECK_FALSE(o->ended_at);
    CHECK(o->cause == "check portal");
    CHECK(o->level == 0);
    CHECK_FALSE(o->acknowledged_by);
    CHECK_FALSE(o->acknowledged_at);
    CHECK(l->max_outage_id() == 1);

    REQUIRE_FALSE(append_one(*l, event(k::escalation_reached, 30 * minute, 1, R"({"level":2})")));
    CHECK(l->outage(1)->level == 2);
    REQUIRE_FALSE(append_one(*l, event(k::escalation_reached, 31 * minute, 1, R"({"level":1})")));
    CHECK(l->outage(1)->level == 2); // the highest level reached stays

    REQUIRE_FALSE(append_one(
        *l, event(k::outage_acknowledged, 35 * minute, 1, R"({"by":"budi","note":"restarting"})")));
    REQUIRE_FALSE(append_one(
        *l, event(k::outage_acknowledged, 36 * minute, 1, R"({"by":"sari","note":"me too"})")));
    o = l->outage(1);
    REQUIRE(o->acknowledged_by);
    CHECK(*o->acknowledged_by == "budi"); // the first acknowledgement is kept
    CHECK(o->acknowledged_at == at(35 * minute));
    CHECK(o->ack_note == "restarting");

    REQUIRE_FALSE(append_one(*l, event(k::outage_closed, 50 * minute, 1)));
    o = l->outage(1);
    REQUIRE(o->ended_at);
    CHECK(*o->ended_at == at(50 * minute));

    // Events that do not fit are recorded but change nothing, and block nothing after them.
    std::vector<ledger_event> odd{event(k::outage_closed, 51 * minute, 1),
                                  event(k::outage_opened, 52 * minute, 1, R"({"cause":"x"})"),
                                  event(k::outage_acknowledged, 53 * minute, 9, R"({"by":"x"})"),
                                  event(k::outage_opened, 54 * minute, 2, R"({"cause":"y"})")};
    REQUIRE_FALSE(l->append(odd));
    CHECK(l->outage(1) == o);
    CHECK_FALSE(l->outage(9));
    CHECK(l->outage(2));
    CHECK(l->verify().ok);
}

TEST_CASE("ledger: outages() selects by overlap with [from, to), agency and service") {
    using k = ledger_event_kind;
    temp_dir dir;
    auto l = open_rw(dir.file("ledger.db"));
    std::vector<ledger_event> v{
        event(k::outage_opened, 0, 1, R"({"cause":"a"})"),
        event(k::outage_opened, 5 * minute, 2, R"({"cause":"b"})", "dinkes", "puskesmas"),
        event(k::outage_closed, 10 * minute, 1),
        event(k::outage_opened, 20 * minute, 3, R"({"cause":"c"})", "dukcapil", "ktp"),
        event(k::outage_closed, 30 * minute, 3),
        event(k::outage_opened, 40 * minute, 4, R"({"cause":"d"})"), // still open
    };
    REQUIRE_FALSE(l->append(v));

    const auto ids = [&l](const outage_query& q) {
        std::vector<std::int64_t> out;
        for (const outage_record& o : l->outages(q)) {
            out.push_back(o.id);
        }
        return out;
    };
    using ids_t = std::vector<std::int64_t>;
    CHECK(ids({}) == ids_t{1, 2, 3, 4}); // by start time
    outage_query q;
    q.from = at(10 * minute); // outage 1 ended exactly here: not included
    q.to = at(20 * minute);   // outage 3 starts exactly here: not included
    CHECK(ids(q) == ids_t{2});
    q.from = at(9 * minute);
    q.to = at(20 * minute + 1);
    CHECK(ids(q) == ids_t{1, 2, 3});
    q.from = at(1000 * minute); // open outages overlap everything after their start
    q.to = at(2000 * minute);
    CHECK(ids(q) == ids_t{2, 4});
    q.to.reset();
    q.from = at(25 * minute);
    CHECK(ids(q) == ids_t{2, 3, 4});
    q = {};
    q.agency = "dukcapil";
    CHECK(ids(q) == ids_t{1, 3, 4});
    q.service = "ktp";
    CHECK(ids(q) == ids_t{3});
    q = {};
    q.service = "akta-online";
    q.to = at(1 * minute);
    CHECK(ids(q) == ids_t{1});

    const auto open = l->outage(4);
    REQUIRE(open);
    CHECK_FALSE(open->ended_at);
}

TEST_CASE("ledger: heartbeat round trip, kept across reopening") {
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    {
        auto l = open_rw(path);
        CHECK_FALSE(l->last_heartbeat());
        REQUIRE_FALSE(l->write_heartbeat(at(1234)));
        CHECK(l->last_heartbeat() == at(1234));
        REQUIRE_FALSE(l->write_heartbeat(at(5 * minute) + std::chrono::microseconds(700)));
        CHECK(l->last_heartbeat() == at(5 * minute)); // millisecond precision
    }
    auto l = open_rw(path);
    CHECK(l->last_heartbeat() == at(5 * minute));
    CHECK(l->verify().events == 0); // not part of the chain
}

TEST_CASE("ledger: monitoring gaps overlapping a period") {
    using k = ledger_event_kind;
    temp_dir dir;
    auto l = open_rw(dir.file("ledger.db"));
    const auto gap_from = [](std::int64_t offset_ms) {
        return R"({"from":)" + std::to_string(t0_ms + offset_ms) + "}";
    };
    std::vector<ledger_event> v{
        event(k::daemon_started, 0, 0, "{}", "", ""),
        event(k::daemon_started, 60 * minute, 0, "{}", "", ""),
        event(k::monitoring_gap, 60 * minute, 0, gap_from(10 * minute), "", ""), // [10, 60)
        event(k::daemon_started, 200 * minute, 0, "{}", "", ""),
        event(k::monitoring_gap, 200 * minute, 0, gap_from(100 * minute), "", ""), // [100, 200)
    };
    REQUIRE_FALSE(l->append(v));

    auto all = l->gaps(at(0), at(1000 * minute));
    REQUIRE(all.size() == 2);
    CHECK(all[0].from == at(10 * minute));
    CHECK(all[0].to == at(60 * minute));
    CHECK(all[1].from == at(100 * minute));
    CHECK(all[1].to == at(200 * minute));

    const auto count = [&l](std::int64_t from, std::int64_t to) {
        return l->gaps(at(from * minute), at(to * minute)).size();
    };
    CHECK(count(0, 10) == 0); // ends where the first gap starts
    CHECK(count(0, 11) == 1);
    CHECK(count(60, 100) == 0); // between the gaps
    CHECK(count(59, 101) == 2);
    CHECK(count(150, 160) == 1); // inside the second
    CHECK(count(200, 300) == 0);
}

TEST_CASE("ledger: rollups add up per check and hour") {
    temp_dir dir;
    auto l = open_rw(dir.file("ledger.db"));
    const std::int64_t h = t0_ms / 3'600'000;
    const std::vector<rollup> first{
        {"dukcapil/akta-online/portal", h, 100, 2, 12.5, 0.75},
        {"dukcapil/akta-online/portal", h + 1, 120, 0, 10.0, 0.25},
        {"dinkes/puskesmas/api", h, 10, 1, 1.0, 0.5},
    };
    REQUIRE_FALSE(l->add_rollups(first));
    const std::vector<rollup> second{
        {"dukcapil/akta-online/portal", h, 20, 1, 2.5, 0.5}, // lower max: kept 0.75
        {"dinkes/puskesmas/api", h, 5, 0, 0.5, 2.0},         // higher max: 2.0
    };
    REQUIRE_FALSE(l->add_rollups(second));

    const auto rows = l->rollups(h, h + 1);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].check_key == "dinkes/puskesmas/api");
    CHECK(rows[0].hour == h);
    CHECK(rows[0].successes == 15);
    CHECK(rows[0].failures == 1);
    CHECK(rows[0].latency_sum_seconds == doctest::Approx(1.5));
    CHECK(rows[0].latency_max_seconds == doctest::Approx(2.0));
    CHECK(rows[1].check_key == "dukcapil/akta-online/portal");
    CHECK(rows[1].successes == 120);
    CHECK(rows[1].failures == 3);
    CHECK(rows[1].latency_sum_seconds == doctest::Approx(15.0));
    CHECK(rows[1].latency_max_seconds == doctest::Approx(0.75));

    CHECK(l->rollups(h, h + 2).size() == 3);
    CHECK(l->rollups(h + 1, h + 2).size() == 1);
    CHECK(l->rollups(h + 2, h + 10).empty());
    CHECK(l->verify().events == 0); // not part of the chain
}

TEST_CASE("ledger: rollups of two checks across hours round-trip exactly through reopening") {
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    const std::int64_t h = t0_ms / 3'600'000;
    const std::string portal = "dukcapil/akta-online/portal";
    const std::string api = "dinkes/puskesmas/api";
    const std::vector<rollup> first{
        {portal, h, 119, 1, 37.123456, 0.987654},
        {api, h, 60, 0, 0.000001, 0.000001},
        {portal, h + 1, 120, 0, 3599.999999, 29.999999},
        {api, h + 2, 0, 60, 600.5, 10.000001},
    };
    {
        auto l = open_rw(path);
        REQUIRE_FALSE(l->add_rollups(first));
    }
    // Each key is stored once; rows refer to it and keep integer microseconds.
    CHECK(raw_int(path, "SELECT count(*) FROM check_keys") == 2);
    CHECK(raw_int(path, "SELECT count(*) FROM rollups") == 4);
    CHECK(raw_int(path, "SELECT latency_sum_us FROM rollups JOIN check_keys ON id = check_id"
                        " WHERE key = '" +
                            portal + "' AND hour = " + std::to_string(h)) == 37'123'456);

    const auto expect = [](const rollup& got, const rollup& want) {
        CHECK(got.check_key == want.check_key);
        CHECK(got.hour == want.hour);
        CHECK(got.successes == want.successes);
        CHECK(got.failures == want.failures);
        CHECK(got.latency_sum_seconds == want.latency_sum_seconds); // exact, not Approx
        CHECK(got.latency_max_seconds == want.latency_max_seconds);
    };
    auto l = open_rw(path);
    auto rows = l->rollups(h, h + 3);
    REQUIRE(rows.size() == 4);
    expect(rows[0], first[1]); // by hour, then key: "dinkes/..." before "dukcapil/..."
    expect(rows[1], first[0]);
    expect(rows[2], first[2]);
    expect(rows[3], first[3]);

    // A new connection finds the stored keys rather than adding them again.
    const std::vector<rollup> more{
        {api, h, 1, 0, 0.123456, 0.123456},
        {portal, h + 3, 5, 5, 1.5, 0.5},
    };
    REQUIRE_FALSE(l->add_rollups(more));
    CHECK(raw_int(path, "SELECT count(*) FROM check_keys") == 2);
    rows = l->rollups(h, h + 1);
    REQUIRE(rows.size() == 2);
    expect(rows[0], {api, h, 61, 0, 0.123457, 0.123456});
    expect(rows[1], first[0]);
    rows = l->rollups(h + 3, h + 4);
    REQUIRE(rows.size() == 1);
    expect(rows[0], more[1]);
}

TEST_CASE("ledger: a failed add_rollups writes nothing, not even new check keys") {
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    auto l = open_rw(path);
    const std::int64_t h = t0_ms / 3'600'000;
    REQUIRE_FALSE(l->add_rollups(std::vector<rollup>{{"a/b/old", h, 1, 0, 0.5, 0.5}}));

    raw_exec(path, "CREATE TRIGGER fail_here BEFORE INSERT ON rollups WHEN NEW.hour = " +
                       std::to_string(h + 1) +
                       " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    const std::vector<rollup> batch{
        {"a/b/new", h, 2, 0, 1.0, 0.75},    // a new key, inserted before the failure
        {"a/b/old", h + 1, 3, 0, 1.5, 0.5}, // fails
    };
    const auto ec = l->add_rollups(batch);
    CHECK(ec);
    CHECK(ec.category() == ledger_category());
    CHECK(l->last_error().find("injected failure") != std::string::npos);
    CHECK(raw_int(path, "SELECT count(*) FROM check_keys") == 1);
    CHECK(l->rollups(h, h + 2).size() == 1);

    // Once the failure is gone: another new key first, which must not be confused with the
    // id the rolled-back insert had, then the same batch again.
    raw_exec(path, "DROP TRIGGER fail_here");
    REQUIRE_FALSE(l->add_rollups(std::vector<rollup>{{"a/b/other", h, 4, 0, 2.0, 1.0}}));
    REQUIRE_FALSE(l->add_rollups(batch));
    CHECK(raw_int(path, "SELECT count(*) FROM check_keys") == 3);
    const auto rows = l->rollups(h, h + 2);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].check_key == "a/b/new");
    CHECK(rows[0].successes == 2);
    CHECK(rows[1].check_key == "a/b/old");
    CHECK(rows[2].check_key == "a/b/other");
    CHECK(rows[2].successes == 4);
    CHECK(rows[3].check_key == "a/b/old");
    CHECK(rows[3].hour == h + 1);
}

TEST_CASE("ledger: a large batch of rollups goes in at once") {
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    const std::int64_t h = t0_ms / 3'600'000;
    constexpr int checks = 3000;
    std::vector<rollup> batch;
    for (int hour = 0; hour < 2; ++hour) {
        for (int i = 0; i < checks; ++i) {
            batch.push_back(
                {"agency/service-" + std::to_string(i / 4) + "/check-" + std::to_string(i % 4),
                 h + hour, 10, 1, 2.5, 0.5});
        }
    }
    batch.push_back(batch.front()); // the same check and hour twice: added up
    {
        auto l = open_rw(path);
        REQUIRE_FALSE(l->add_rollups(batch));
    }
    CHECK(raw_int(path, "SELECT count(*) FROM check_keys") == checks);
    auto l = open_rw(path);
    const auto rows = l->rollups(h, h + 2);
    REQUIRE(rows.size() == 2 * checks);
    CHECK(rows[0].check_key == "agency/service-0/check-0");
    CHECK(rows[0].successes == 20);
    CHECK(rows[0].latency_sum_seconds == 5.0);
    CHECK(rows[1].successes == 10);
    CHECK(rows.back().hour == h + 1);
}

TEST_CASE("ledger: a rollup latency that is negative or not a number counts as 0") {
    temp_dir dir;
    auto l = open_rw(dir.file("ledger.db"));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_FALSE(l->add_rollups(std::vector<rollup>{{"a/b/c", 1, 1, 0, nan, -0.5}}));
    REQUIRE_FALSE(l->add_rollups(std::vector<rollup>{{"a/b/c", 1, 1, 0, 0.25, nan}}));
    const auto rows = l->rollups(1, 2);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].successes == 2);
    CHECK(rows[0].latency_sum_seconds == 0.25);
    CHECK(rows[0].latency_max_seconds == 0.0);
}

TEST_CASE("ledger: verify reports the count and the last hash of an intact chain") {
    temp_dir dir;
    auto l = open_rw(dir.file("ledger.db"));
    std::vector<ledger_event> v = sample_events();
    REQUIRE_FALSE(l->append(v));
    const verify_result r = l->verify();
    CHECK(r.ok);
    CHECK(r.events == 6);
    CHECK(r.last_hash == v.back().hash);
    CHECK(r.bad_seq == 0);
    CHECK(r.bad_outage == 0);
    CHECK(r.problem.empty());
}

TEST_CASE("ledger: verify names what was tampered with") {
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    std::vector<ledger_event> v = sample_events();
    {
        auto l = open_rw(path);
        REQUIRE_FALSE(l->append(v));
    }

    const auto verify_after = [&path](const std::string& sql) {
        raw_exec(path, sql);
        return open_ro(path)->verify();
    };

    SUBCASE("changed content") {
        const auto r = verify_after(
            R"(UPDATE events SET data = '{"from":"up","to":"up","reason":"ok"}' WHERE seq = 2)");
        CHECK_FALSE(r.ok);
        CHECK(r.bad_seq == 2);
        CHECK(r.problem == "event 2: content changed (hash mismatch)");
    }
    SUBCASE("changed time") {
        const auto r = verify_after("UPDATE events SET at_ms = at_ms + 1 WHERE seq = 4");
        CHECK(r.bad_seq == 4);
        CHECK(r.problem == "event 4: content changed (hash mismatch)");
    }
    SUBCASE("changed kind") {
        const auto r = verify_after("UPDATE events SET kind = 'no_such_kind' WHERE seq = 5");
        CHECK(r.bad_seq == 5);
        CHECK(r.problem == R"(event 5: content changed (unknown kind "no_such_kind"))");
    }
    SUBCASE("deleted event") {
        const auto r = verify_after("DELETE FROM events WHERE seq = 3");
        CHECK_FALSE(r.ok);
        CHECK(r.bad_seq == 3);
        CHECK(r.problem == "event 3: missing (deleted?); the next stored event is 4");
    }
    SUBCASE("deleted first event") {
        const auto r = verify_after("DELETE FROM events WHERE seq = 1");
        CHECK(r.bad_seq == 1);
    }
    SUBCASE("changed content with its own hash recomputed breaks the next link") {
        ledger_event forged = v[1];
        forged.data = R"({"from":"up","to":"up","reason":"ok"})";
        const std::string hash = ledger_event_hash(v[0].hash, forged);
        const auto r = verify_after("UPDATE events SET data = '" + forged.data + "', hash = '" +
                                    hash + "' WHERE seq = 2");
        CHECK_FALSE(r.ok);
        CHECK(r.bad_seq == 3);
    }
    SUBCASE("two events swapped") {
        const auto r = verify_after("UPDATE events SET seq = -seq WHERE seq IN (3, 4);"
                                    "UPDATE events SET seq = 4 WHERE seq = -3;"
                                    "UPDATE events SET seq = 3 WHERE seq = -4;");
        CHECK(r.bad_seq == 3);
        CHECK(r.problem == "event 3: content changed (hash mismatch)");
    }
    SUBCASE("outage row changed directly") {
        const auto r = verify_after("UPDATE outages SET ended_ms = ended_ms + 60000 WHERE id = 1");
        CHECK_FALSE(r.ok);
        CHECK(r.bad_seq == 0);
        CHECK(r.bad_outage == 1);
        CHECK(r.problem == "outage 1: table differs from events (ended_at)");
    }
    SUBCASE("acknowledgement removed from the outage row") {
        const auto r = verify_after("UPDATE outages SET ack_by = NULL, ack_ms = NULL WHERE id = 1");
        CHECK(r.bad_outage == 1);
        CHECK(r.problem == "outage 1: table differs from events (acknowledged_by)");
    }
    SUBCASE("outage row deleted") {
        const auto r = verify_after("DELETE FROM outages WHERE id = 1");
        CHECK(r.bad_outage == 1);
        CHECK(r.problem == "outage 1: table differs from events (missing from the table)");
    }
    SUBCASE("outage row invented") {
        const auto r = verify_after(
            "INSERT INTO outages VALUES (5, 'a', 'b', 0, 1, 'x', 0, NULL, NULL, '', NULL, 0)");
        CHECK(r.bad_outage == 5);
        CHECK(r.problem == "outage 5: table differs from events (no outage_opened event)");
    }
}

TEST_CASE("ledger: a read-only ledger refuses writes and leaves the events as they were") {
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    auto writer = open_rw(path);
    std::vector<ledger_event> v = sample_events();
    REQUIRE_FALSE(writer->append(v));

    auto reader = open_ro(path);
    CHECK(reader->last_error().empty());
    std::vector<ledger_event> more{
        event(ledger_event_kind::daemon_stopped, 60 * minute, 0, R"({"x":1})")};
    const std::error_code ec = reader->append(more);
    REQUIRE(ec);
    CHECK(ec == ledger_errc::read_only);
    CHECK(ec.category() == ledger_category());
    CHECK(std::string{ec.category().name()} == "ledger");
    CHECK_FALSE(reader->last_error().empty());
    CHECK(more[0].seq == 0);
    CHECK(more[0].hash.empty());
    CHECK(more[0].data == R"({"x":1})");

    CHECK(reader->write_heartbeat(at(0)) == ledger_errc::read_only);
    const std::vector<rollup> rows{{"a/b/c", 1, 1, 0, 0.1, 0.1}};
    CHECK(reader->add_rollups(rows) == ledger_errc::read_only);

    CHECK(writer->verify().events == 6);
    CHECK(reader->verify().events == 6);
}

TEST_CASE("ledger: a failed append writes nothing and leaves the events untouched") {
    using k = ledger_event_kind;
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    auto l = open_rw(path);
    REQUIRE_FALSE(append_one(*l, event(k::daemon_started, 0)));

    SUBCASE("data that is not a JSON object") {
        std::vector<ledger_event> batch{event(k::outage_opened, 1, 1, R"({"cause":"a"})"),
                                        event(k::outage_closed, 2, 1, "[1, 2]")};
        const auto ec = l->append(batch);
        CHECK(ec == ledger_errc::invalid_event);
        CHECK(l->last_error().find("not a JSON object") != std::string::npos);
        CHECK(batch[0].seq == 0);
        CHECK(batch[1].hash.empty());
    }

    // Fail at operation N: a trigger makes the N-th write of the batch fail.
    for (int n = 1; n <= 4; ++n) {
        CAPTURE(n);
        // Writes in order: event 2, outage 1, event 3, outage 1 (closed).
        const std::string table = n % 2 == 1 ? "events" : "outages";
        const std::string when =
            n % 2 == 1 ? "NEW.seq = " + std::to_string(n == 1 ? 2 : 3)
                       : std::string{n == 2 ? "NEW.ended_ms IS NULL" : "NEW.ended_ms IS NOT NULL"};
        raw_exec(path, "CREATE TRIGGER fail_here BEFORE INSERT ON " + table + " WHEN " + when +
                           " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        std::vector<ledger_event> batch{event(k::outage_opened, 1, 1, R"({"cause":"a"})"),
                                        event(k::outage_closed, 2, 1)};
        const std::vector<ledger_event> before = batch;
        const auto ec = l->append(batch);
        CHECK(ec);
        CHECK(ec.category() == ledger_category());
        CHECK(l->last_error().find("injected failure") != std::string::npos);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            CHECK(batch[i].seq == 0);
            CHECK(batch[i].hash.empty());
            CHECK(batch[i].data == before[i].data);
        }
        CHECK_FALSE(l->outage(1));
        const verify_result r = l->verify();
        CHECK(r.ok);
        CHECK(r.events == 1);

        // The same events go in once the failure is gone.
        raw_exec(path, "DROP TRIGGER fail_here");
        REQUIRE_FALSE(l->append(batch));
        CHECK(batch[0].seq == 2);
        CHECK(batch[1].seq == 3);
        REQUIRE(l->outage(1));
        CHECK(l->outage(1)->ended_at == at(2));
        raw_exec(path, "DELETE FROM events WHERE seq > 1; DELETE FROM outages");
    }
}

TEST_CASE("ledger: the read-only open works while a writer has the file open in WAL mode") {
    temp_dir dir;
    const std::string path = dir.file("ledger.db");
    auto writer = open_rw(path);
    std::vector<ledger_event> v = sample_events();
    REQUIRE_FALSE(writer->append(v));
    REQUIRE_FALSE(writer->write_heartbeat(at(3 * minute)));
    CHECK(std::filesystem::exists(path + "-wal"));

    auto reader = open_ro(path);
    CHECK(reader->verify().events == 6);
    CHECK(reader->outage(1));
    CHECK(reader->last_heartbeat() == at(3 * minute));

    // The reader sees later commits on its next read.
    std::vector<ledger_event> more{event(ledger_event_kind::daemon_stopped, 60 * minute)};
    REQUIRE_FALSE(writer->append(more));
    const verify_result r = reader->verify();
    CHECK(r.ok);
    CHECK(r.events == 7);
    CHECK(r.last_hash == more[0].hash);
    CHECK(reader->events(at(0), at(100 * minute)).size() == 7);
    // And the writer is not blocked by the reader.
    REQUIRE_FALSE(writer->write_heartbeat(at(61 * minute)));
}

TEST_CASE("ledger: opening fails with a message") {
    temp_dir dir;
    std::string error;

    SUBCASE("directory does not exist") {
        const std::string path = dir.file("missing/ledger.db");
        CHECK_FALSE(open_sqlite_ledger(path, error));
        CHECK(error.find(path) != std::string::npos);
        CHECK(error.find("cannot open") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(path));
    }
    SUBCASE("read-only open never creates a file") {
        const std::string path = dir.file("ledger.db");
        CHECK_FALSE(open_sqlite_ledger_readonly(path, error));
        CHECK(error.find(path) != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(path));
    }
    SUBCASE("read-only open of an empty file") {
        const std::string path = dir.file("ledger.db");
        std::ofstream{path}.flush();
        CHECK_FALSE(open_sqlite_ledger_readonly(path, error));
        CHECK(error.find("empty") != std::string::npos);
    }
    SUBCASE("not an SQLite file") {
        const std::string path = dir.file("ledger.db");
        std::ofstream{path} << "this is not a database, but it is long enough to look like one "
                               "to anyone who only counts the bytes in its header, yes\n";
        CHECK_FALSE(open_sqlite_ledger(path, error));
        CHECK(error.find("not a database") != std::string::npos);
    }
    SUBCASE("a ledger of schema version 1, from a development build") {
        const std::string path = dir.file("ledger.db");
        raw_exec(path, "CREATE TABLE rollups (check_key TEXT); PRAGMA application_id = " +
                           std::to_string(0x50414E54) + "; PRAGMA user_version = 1");
        CHECK_FALSE(open_sqlite_ledger(path, error));
        CHECK(error.find(path) != std::string::npos);
        CHECK(error.find("schema version 1") != std::string::npos);
        error.clear();
        CHECK_FALSE(open_sqlite_ledger_readonly(path, error));
        CHECK(error.find("schema version 1") != std::string::npos);
    }
    SUBCASE("a ledger of schema version 2 is converted when the daemon opens it") {
        const std::string path = dir.file("ledger.db");
        // Version 2's outage table, with one open outage and its event.
        raw_exec(path,
                 "CREATE TABLE events (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, kind TEXT "
                 "NOT NULL, agency TEXT NOT NULL, service TEXT NOT NULL, check_id TEXT NOT NULL, "
                 "outage_id INTEGER NOT NULL, data TEXT NOT NULL, hash TEXT NOT NULL);"
                 "CREATE INDEX events_at ON events (at_ms);"
                 "CREATE INDEX events_kind_at ON events (kind, at_ms);"
                 "CREATE TABLE outages (id INTEGER PRIMARY KEY, agency TEXT NOT NULL, service "
                 "TEXT NOT NULL, started_ms INTEGER NOT NULL, ended_ms INTEGER, cause TEXT NOT "
                 "NULL, level INTEGER NOT NULL, ack_by TEXT, ack_ms INTEGER, ack_note TEXT NOT "
                 "NULL);"
                 "CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER "
                 "NOT NULL);"
                 "CREATE TABLE check_keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);"
                 "CREATE TABLE rollups (hour INTEGER NOT NULL, check_id INTEGER NOT NULL, "
                 "successes INTEGER NOT NULL, failures INTEGER NOT NULL, latency_sum_us INTEGER "
                 "NOT NULL, latency_max_us INTEGER NOT NULL, PRIMARY KEY (hour, check_id)) "
                 "WITHOUT ROWID;"
                 "INSERT INTO outages VALUES (1, 'dukcapil', 'akta', 1000, NULL, 'check p: x', 0, "
                 "NULL, NULL, '');"
                 "PRAGMA application_id = " +
                     std::to_string(0x50414E54) + "; PRAGMA user_version = 2");
        CHECK_FALSE(open_sqlite_ledger_readonly(path, error));
        CHECK(error.find("start the daemon once") != std::string::npos);
        auto l = open_sqlite_ledger(path, error);
        REQUIRE_MESSAGE(l, error);
        const auto o = l->outage(1);
        REQUIRE(o);
        CHECK(o->agency == "dukcapil");
        CHECK_FALSE(o->planned_until);
        CHECK(o->caused_by == 0);
        l.reset();
        CHECK(open_sqlite_ledger_readonly(path, error));
    }
    SUBCASE("another SQLite database") {
        const std::string path = dir.file("other.db");
        raw_exec(path, "CREATE TABLE t (x)");
        CHECK_FALSE(open_sqlite_ledger(path, error));
        CHECK(error.find("not a Pantau ledger") != std::string::npos);
        CHECK_FALSE(open_sqlite_ledger_readonly(path, error));
    }
}
