// The recorder against a real SQLite ledger that is missing, failing, or restarted.
// Times are passed in; the event loop is never run, so nothing here waits.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <filesystem>

#include "fixtures/temp_dir.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "runtime/recorder.hpp"

using namespace pantau;
using pantau::test::temp_dir;
using namespace std::chrono_literals;

namespace {

const wall_time t0 = wall_time{} + std::chrono::hours(24 * 365 * 56); // 2026

// Delegates to a real ledger; append fails while `fail_appends` > 0 (counting down).
class flaky_ledger final : public ledger {
public:
    explicit flaky_ledger(std::unique_ptr<ledger> real, int& fail_appends)
        : real_(std::move(real))
        , fail_appends_(fail_appends) {}
    std::error_code append(std::span<ledger_event> events) override {
        if (fail_appends_ > 0) {
            --fail_appends_;
            return make_error_code(ledger_errc::full);
        }
        return real_->append(events);
    }
    std::error_code write_heartbeat(wall_time now) override { return real_->write_heartbeat(now); }
    std::optional<wall_time> last_heartbeat() override { return real_->last_heartbeat(); }
    std::error_code add_rollups(std::span<const rollup> rows) override {
        return real_->add_rollups(rows);
    }
    std::vector<rollup> rollups(std::int64_t a, std::int64_t b) override {
        return real_->rollups(a, b);
    }
    std::vector<outage_record> outages(const outage_query& q) override { return real_->outages(q); }
    std::optional<outage_record> outage(std::int64_t id) override { return real_->outage(id); }
    std::vector<monitoring_gap> gaps(wall_time a, wall_time b) override {
        return real_->gaps(a, b);
    }
    std::int64_t max_outage_id() override { return real_->max_outage_id(); }
    std::vector<ledger_event> events(wall_time a, wall_time b) override {
        return real_->events(a, b);
    }
    verify_result verify() override { return real_->verify(); }
    std::string last_error() const override { return "disk full (test)"; }

private:
    std::unique_ptr<ledger> real_;
    int& fail_appends_;
};

service_runtime service(std::string id, std::string cause = {}) {
    service_runtime s;
    s.agency = "dukcapil";
    s.id = std::move(id);
    s.cause = std::move(cause);
    return s;
}

std::vector<ledger_event> all_events(const std::string& path) {
    std::string error;
    auto l = open_sqlite_ledger_readonly(path, error);
    REQUIRE_MESSAGE(l, error);
    return l->events(wall_time{}, t0 + 1000h);
}

std::vector<ledger_event_kind> kinds(const std::vector<ledger_event>& events) {
    std::vector<ledger_event_kind> out;
    for (const auto& e : events) {
        out.push_back(e.kind);
    }
    return out;
}

} // namespace

TEST_CASE("recorder: outages get ids and are written at once") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    boost::asio::io_context io;
    recorder rec(io, [&](std::string& e) { return open_sqlite_ledger(path, e); });
    rec.start(t0);
    const service_runtime kk = service("kk", "check portal: http 503");
    rec.on_service_change({kk, service_state::up, service_state::down, t0 + 10s});
    REQUIRE(rec.open_outage("dukcapil/kk"));
    const std::int64_t id = *rec.open_outage("dukcapil/kk");
    CHECK(id == 1);
    rec.on_service_change({kk, service_state::down, service_state::up, t0 + 70s});
    CHECK_FALSE(rec.open_outage("dukcapil/kk"));
    CHECK(rec.stats().pending == 0);
    CHECK(rec.stats().outages_opened == 1);

    const auto o = rec.outage(id);
    REQUIRE(o);
    REQUIRE(*o);
    CHECK((*o)->cause == "check portal: http 503");
    CHECK((*o)->started_at == t0 + 10s);
    CHECK((*o)->ended_at == t0 + 70s);
}

TEST_CASE("recorder: a ledger that cannot be opened loses nothing once it can") {
    temp_dir dir;
    const std::string path = (dir.path / "later" / "ledger.db").string(); // no such folder yet
    boost::asio::io_context io;
    recorder rec(io, [&](std::string& e) { return open_sqlite_ledger(path, e); });
    rec.start(t0);
    CHECK_FALSE(rec.stats().ledger_open);
    const service_runtime kk = service("kk", "check portal: connection refused");
    rec.on_service_change({kk, service_state::up, service_state::down, t0 + 5s});
    const auto id = rec.open_outage("dukcapil/kk");
    REQUIRE(id);                     // probing and alerting go on: the outage exists in memory
    CHECK(rec.stats().pending == 2); // daemon_started, outage_opened
    CHECK_FALSE(rec.outages({}));    // queries say the ledger is unavailable

    std::filesystem::create_directory(dir.path / "later");
    rec.on_service_change({kk, service_state::down, service_state::up, t0 + 65s});
    CHECK(rec.stats().ledger_open);
    CHECK(rec.stats().pending == 0);
    const auto events = all_events(path);
    CHECK(kinds(events) == std::vector<ledger_event_kind>{ledger_event_kind::daemon_started,
                                                          ledger_event_kind::outage_opened,
                                                          ledger_event_kind::outage_closed});
    CHECK(events[1].outage_id == *id);
    CHECK(events[2].outage_id == *id);
    CHECK(events[1].at == t0 + 5s); // the time it happened, not the time it was written
}

TEST_CASE("recorder: failed writes are retried in order; fail at each operation") {
    for (int failures = 1; failures <= 3; ++failures) {
        CAPTURE(failures);
        temp_dir dir;
        const std::string path = (dir.path / "ledger.db").string();
        int fail_appends = 0;
        boost::asio::io_context io;
        recorder rec(io, [&](std::string& e) -> std::unique_ptr<ledger> {
            auto real = open_sqlite_ledger(path, e);
            if (!real) {
                return nullptr;
            }
            return std::make_unique<flaky_ledger>(std::move(real), fail_appends);
        });
        rec.start(t0);
        fail_appends = failures;
        const service_runtime kk = service("kk", "check portal: http 500");
        rec.on_service_change({kk, service_state::up, service_state::down, t0 + 1s});
        rec.on_service_change({kk, service_state::down, service_state::up, t0 + 2s});
        rec.on_service_change({kk, service_state::up, service_state::down, t0 + 3s});
        rec.on_service_change({kk, service_state::down, service_state::up, t0 + 4s});
        CHECK(rec.stats().write_errors == static_cast<std::uint64_t>(failures));
        CHECK(rec.stats().pending == 0);
        const auto events = all_events(path);
        REQUIRE(events.size() == 5);
        CHECK(events[1].outage_id == 1);
        CHECK(events[2].outage_id == 1);
        CHECK(events[3].outage_id == 2);
        CHECK(events[4].kind == ledger_event_kind::outage_closed);
        for (std::size_t i = 1; i < events.size(); ++i) {
            CHECK(events[i].at > events[i - 1].at);
        }
        std::string error;
        CHECK(open_sqlite_ledger_readonly(path, error)->verify().ok);
    }
}

TEST_CASE("recorder: a restart keeps the open outage and records the gap") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    std::int64_t id = 0;
    {
        boost::asio::io_context io;
        recorder first(io, [&](std::string& e) { return open_sqlite_ledger(path, e); });
        first.start(t0);
        first.on_service_change({service("kk", "check portal: http 503"), service_state::up,
                                 service_state::down, t0 + 10s});
        id = *first.open_outage("dukcapil/kk");
        std::string error;
        open_sqlite_ledger(path, error)->write_heartbeat(t0 + 20s);
        // killed here: no stop()
    }
    boost::asio::io_context io;
    recorder second(io, [&](std::string& e) { return open_sqlite_ledger(path, e); });
    second.start(t0 + 80s);
    REQUIRE(second.open_outage("dukcapil/kk"));
    CHECK(*second.open_outage("dukcapil/kk") == id);
    // The service is seen down again after the restart: same outage, nothing new.
    const service_runtime kk = service("kk", "check portal: http 503");
    second.on_service_change({kk, service_state::unknown, service_state::down, t0 + 82s});
    CHECK(second.stats().outages_opened == 0);
    second.on_service_change({kk, service_state::down, service_state::up, t0 + 90s});
    second.stop(t0 + 100s);

    std::string error;
    auto l = open_sqlite_ledger_readonly(path, error);
    const auto gaps = l->gaps(wall_time{}, t0 + 1000h);
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].from == t0 + 20s);
    CHECK(gaps[0].to == t0 + 80s);
    const auto o = l->outage(id);
    REQUIRE(o);
    CHECK(o->started_at == t0 + 10s);
    CHECK(o->ended_at == t0 + 90s);
    CHECK(l->max_outage_id() == id);
    CHECK(l->verify().ok);
}

TEST_CASE("recorder: the pending queue is bounded and keeps outage events") {
    temp_dir dir;
    const std::string path = (dir.path / "missing" / "ledger.db").string();
    boost::asio::io_context io;
    recorder_options opts;
    opts.max_pending = 4;
    recorder rec(
        io, [&](std::string& e) { return open_sqlite_ledger(path, e); }, opts);
    rec.start(t0);
    rec.on_service_change({service("kk", "x"), service_state::up, service_state::down, t0 + 1s});
    check_runtime c;
    c.agency = "dukcapil";
    c.service = "kk";
    c.cfg.id = "portal";
    for (int i = 0; i < 10; ++i) {
        rec.on_check_change({c, transition{check_state::up, check_state::pending, "flap"},
                             t0 + std::chrono::seconds(2 + i)});
    }
    CHECK(rec.stats().pending == 4);
    CHECK(rec.stats().dropped_events == 8);
    std::filesystem::create_directory(dir.path / "missing");
    // Closing the outage must not be dropped either: the oldest routine event goes.
    rec.on_service_change({service("kk"), service_state::down, service_state::up, t0 + 30s});
    CHECK(rec.stats().dropped_events == 9);
    const auto events = all_events(path);
    CHECK(kinds(events) == std::vector<ledger_event_kind>{ledger_event_kind::daemon_started,
                                                          ledger_event_kind::outage_opened,
                                                          ledger_event_kind::check_state_changed,
                                                          ledger_event_kind::outage_closed});
    CHECK(events[2].at == t0 + 11s); // the newest flap survived
}

TEST_CASE("recorder: an outage ends when the service turns idle (outside service hours)") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    boost::asio::io_context io;
    recorder rec(io, [&](std::string& e) { return open_sqlite_ledger(path, e); });
    rec.start(t0);
    const service_runtime kk = service("antrian", "check dilayani: no tickets served for 60m");
    rec.on_service_change({kk, service_state::up, service_state::down, t0 + 10min});
    REQUIRE(rec.open_outage("dukcapil/antrian"));
    const std::int64_t id = *rec.open_outage("dukcapil/antrian");
    rec.on_service_change({kk, service_state::down, service_state::idle, t0 + 30min});
    CHECK_FALSE(rec.open_outage("dukcapil/antrian"));
    const auto o = rec.outage(id);
    REQUIRE(o);
    REQUIRE(*o);
    CHECK((*o)->ended_at == t0 + 30min);
    bool noted = false;
    for (const ledger_event& e : all_events(path)) {
        noted = noted || (e.kind == ledger_event_kind::outage_closed &&
                          e.data == R"({"note":"service hours ended"})");
    }
    CHECK(noted);
    // The next morning up again: no outage to close, none opened.
    rec.on_service_change({kk, service_state::idle, service_state::up, t0 + 16h});
    CHECK(rec.stats().outages_opened == 1);
}

TEST_CASE("recorder: the latest heartbeat of each check, however many arrived") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    boost::asio::io_context io;
    recorder rec(io, [&](std::string& e) { return open_sqlite_ledger(path, e); });
    rec.start(t0);
    for (int day = 0; day < 3; ++day) {
        for (const char* check : {"harian", "mingguan"}) {
            ledger_event e;
            e.at = t0 + std::chrono::hours(24 * day) + (check[0] == 'h' ? 2h : 3h);
            e.kind = ledger_event_kind::heartbeat_received;
            e.agency = "bappeda";
            e.service = "sinkron";
            e.check = check;
            REQUIRE(rec.record(e));
        }
    }
    const auto last = rec.last_heartbeats();
    REQUIRE(last.size() == 2);
    CHECK(last[0].check == "harian");
    CHECK(last[0].at == t0 + 48h + 2h);
    CHECK(last[1].check == "mingguan");
    CHECK(last[1].at == t0 + 48h + 3h);
}

TEST_CASE("recorder: rollups sum each check's results per hour, across hours and chunks") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    boost::asio::io_context io;
    recorder_options opts;
    opts.rollup_rows_per_tick = 2; // stop() still writes every row
    recorder rec(
        io, [&](std::string& e) { return open_sqlite_ledger(path, e); }, opts);
    rec.start(t0);
    std::vector<check_runtime> checks(5);
    for (std::size_t i = 0; i < checks.size(); ++i) {
        checks[i].key = "dukcapil/kk/c" + std::to_string(i);
        checks[i].last = probe_result{};
    }
    for (int round = 0; round < 3; ++round) {
        for (check_runtime& c : checks) {
            c.last->status = round == 2 ? probe_status::failure : probe_status::success;
            c.last->elapsed = std::chrono::milliseconds(10 * (round + 1));
            rec.on_probe_result(c, t0 + std::chrono::seconds(round));
        }
    }
    checks[0].last->status = probe_status::success;
    rec.on_probe_result(checks[0], t0 + 1h); // the next hour: its own row
    rec.stop(t0 + 1h + 1s);

    const std::int64_t hour =
        std::chrono::duration_cast<std::chrono::hours>(t0.time_since_epoch()).count();
    std::string error;
    auto l = open_sqlite_ledger_readonly(path, error);
    REQUIRE_MESSAGE(l, error);
    const std::vector<rollup> rows = l->rollups(hour, hour + 2);
    REQUIRE(rows.size() == 6);
    for (const rollup& r : rows) {
        if (r.hour == hour + 1) {
            CHECK(r.check_key == "dukcapil/kk/c0");
            CHECK(r.successes == 1);
            continue;
        }
        CHECK(r.hour == hour);
        CHECK(r.successes == 2);
        CHECK(r.failures == 1);
        CHECK(r.latency_max_seconds == doctest::Approx(0.03));
        CHECK(r.latency_sum_seconds == doctest::Approx(0.06));
    }
}
