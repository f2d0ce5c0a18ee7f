// The recorder against a real SQLite ledger that is missing, failing, or restarted, and the
// coordinator's outage decisions as the ledger gets them. Times are passed in; the clock is
// a manual one that never moves, so nothing here waits.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <filesystem>
#include <variant>

#include "config/config.hpp"
#include "fixtures/temp_dir.hpp"
#include "io/curl_multi.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "runtime/coordinator.hpp"
#include "runtime/notifier.hpp"
#include "runtime/recorder.hpp"
#include "support/manual_clock.hpp"
#include "support/recording_channel.hpp"

using namespace pantau;
using pantau::test::manual_clock;
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

// The outage the book would open for service `id` of dukcapil.
opened_outage opened(std::int64_t id, std::string service, wall_time at,
                     std::string cause = "check portal: http 503") {
    opened_outage o;
    o.id = id;
    o.agency = "dukcapil";
    o.service = std::move(service);
    o.cause = std::move(cause);
    o.at = at;
    return o;
}

closed_outage closed(std::int64_t id, std::string service, wall_time at, std::string note = {}) {
    return closed_outage{id, "dukcapil", std::move(service), at, std::move(note)};
}

// A recorder on a manual clock that never moves: its timer never runs.
struct recorder_rig {
    explicit recorder_rig(recorder::opener open, recorder_options options = {})
        : rec(clock, std::move(open), options) {}
    boost::asio::io_context io;
    manual_clock clock{io, t0};
    recorder rec;
};

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

TEST_CASE("recorder: outages are written at once") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    recorder_rig r([&](std::string& e) { return open_sqlite_ledger(path, e); });
    recorder& rec = r.rec;
    rec.start(t0);
    rec.outage_opened(opened(1, "kk", t0 + 10s));
    CHECK(rec.stats().pending == 0);
    rec.outage_closed(closed(1, "kk", t0 + 70s));
    CHECK(rec.stats().pending == 0);
    CHECK(rec.stats().outages_opened == 1);

    const auto o = rec.outage(1);
    REQUIRE(o);
    REQUIRE(*o);
    CHECK((*o)->cause == "check portal: http 503");
    CHECK((*o)->started_at == t0 + 10s);
    CHECK((*o)->ended_at == t0 + 70s);
}

TEST_CASE("recorder: a ledger that cannot be opened loses nothing once it can") {
    temp_dir dir;
    const std::string path = (dir.path / "later" / "ledger.db").string(); // no such folder yet
    recorder_rig r([&](std::string& e) { return open_sqlite_ledger(path, e); });
    recorder& rec = r.rec;
    rec.start(t0);
    CHECK_FALSE(rec.stats().ledger_open);
    CHECK_FALSE(rec.snapshot());
    const std::int64_t id = 1'700'000'000'000; // a time-based id (see outage_book)
    rec.outage_opened(opened(id, "kk", t0 + 5s, "check portal: connection refused"));
    CHECK(rec.stats().pending == 2); // daemon_started, outage_opened
    CHECK_FALSE(rec.outages({}));    // queries say the ledger is unavailable

    std::filesystem::create_directory(dir.path / "later");
    rec.outage_closed(closed(id, "kk", t0 + 65s));
    CHECK(rec.stats().ledger_open);
    // What the ledger had before this run: nothing (read before this run's events).
    const auto snap = rec.snapshot();
    REQUIRE(snap);
    CHECK(snap->open.empty());
    CHECK(snap->max_outage_id == 0);
    CHECK_FALSE(rec.snapshot()); // once
    CHECK(rec.stats().pending == 0);
    const auto events = all_events(path);
    CHECK(kinds(events) == std::vector<ledger_event_kind>{ledger_event_kind::daemon_started,
                                                          ledger_event_kind::outage_opened,
                                                          ledger_event_kind::outage_closed});
    CHECK(events[1].outage_id == id);
    CHECK(events[2].outage_id == id);
    CHECK(events[1].at == t0 + 5s); // the time it happened, not the time it was written
}

TEST_CASE("recorder: failed writes are retried in order; fail at each operation") {
    for (int failures = 1; failures <= 3; ++failures) {
        CAPTURE(failures);
        temp_dir dir;
        const std::string path = (dir.path / "ledger.db").string();
        int fail_appends = 0;
        recorder_rig r([&](std::string& e) -> std::unique_ptr<ledger> {
            auto real = open_sqlite_ledger(path, e);
            if (!real) {
                return nullptr;
            }
            return std::make_unique<flaky_ledger>(std::move(real), fail_appends);
        });
        recorder& rec = r.rec;
        rec.start(t0);
        fail_appends = failures;
        rec.outage_opened(opened(1, "kk", t0 + 1s, "check portal: http 500"));
        rec.outage_closed(closed(1, "kk", t0 + 2s));
        rec.outage_opened(opened(2, "kk", t0 + 3s, "check portal: http 500"));
        rec.outage_closed(closed(2, "kk", t0 + 4s));
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

TEST_CASE("recorder: a restart records the gap and tells what was open before it") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    {
        recorder_rig first([&](std::string& e) { return open_sqlite_ledger(path, e); });
        first.rec.start(t0);
        first.rec.outage_opened(opened(7, "kk", t0 + 10s));
        ledger_event queued;
        queued.kind = ledger_event_kind::notification_queued;
        queued.at = t0 + 10s;
        queued.outage_id = 7;
        queued.data = R"({"key":"outage-7/level-1/ops/notify/0"})";
        first.rec.record(queued);
        std::string error;
        open_sqlite_ledger(path, error)->write_heartbeat(t0 + 20s);
        // killed here: no stop()
    }
    recorder_rig second([&](std::string& e) { return open_sqlite_ledger(path, e); });
    second.rec.start(t0 + 80s);
    const auto snap = second.rec.snapshot();
    REQUIRE(snap);
    CHECK(snap->started == t0 + 80s);
    CHECK(snap->max_outage_id == 7);
    REQUIRE(snap->open.size() == 1);
    CHECK(snap->open[0].id == 7);
    CHECK(snap->open[0].started_at == t0 + 10s);
    REQUIRE(snap->events.size() == 1);
    CHECK(snap->events[0].kind == ledger_event_kind::notification_queued);
    second.rec.outage_closed(closed(7, "kk", t0 + 90s));
    second.rec.stop(t0 + 100s);

    std::string error;
    auto l = open_sqlite_ledger_readonly(path, error);
    const auto gaps = l->gaps(wall_time{}, t0 + 1000h);
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].from == t0 + 20s);
    CHECK(gaps[0].to == t0 + 80s);
    // The gap is written right after the start, before anything of the new run.
    const auto events = all_events(path);
    REQUIRE(events.size() >= 5);
    CHECK(events[3].kind == ledger_event_kind::daemon_started);
    CHECK(events[4].kind == ledger_event_kind::monitoring_gap);
    const auto o = l->outage(7);
    REQUIRE(o);
    CHECK(o->started_at == t0 + 10s);
    CHECK(o->ended_at == t0 + 90s);
    CHECK(l->verify().ok);
}

TEST_CASE("recorder: the pending queue is bounded and keeps outage events") {
    temp_dir dir;
    const std::string path = (dir.path / "missing" / "ledger.db").string();
    recorder_options opts;
    opts.max_pending = 4;
    recorder_rig r([&](std::string& e) { return open_sqlite_ledger(path, e); }, opts);
    recorder& rec = r.rec;
    rec.start(t0);
    rec.outage_opened(opened(1, "kk", t0 + 1s, "x"));
    check_runtime c;
    c.agency = "dukcapil";
    c.service = "kk";
    c.cfg.id = "portal";
    for (int i = 0; i < 10; ++i) {
        rec.check_changed({c, transition{check_state::up, check_state::pending, "flap"},
                           t0 + std::chrono::seconds(2 + i)});
    }
    CHECK(rec.stats().pending == 4);
    CHECK(rec.stats().dropped_events == 8);
    std::filesystem::create_directory(dir.path / "missing");
    // Closing the outage must not be dropped either: the oldest routine event goes.
    rec.outage_closed(closed(1, "kk", t0 + 30s));
    CHECK(rec.stats().dropped_events == 9);
    const auto events = all_events(path);
    CHECK(kinds(events) == std::vector<ledger_event_kind>{ledger_event_kind::daemon_started,
                                                          ledger_event_kind::outage_opened,
                                                          ledger_event_kind::check_state_changed,
                                                          ledger_event_kind::outage_closed});
    CHECK(events[2].at == t0 + 11s); // the newest flap survived
}

namespace {

// The outage path without a monitor: the test plays the monitor's part.
struct flow_rig {
    explicit flow_rig(const std::string& path, wall_time start = t0)
        : clock(io, start)
        , rec(clock, [path](std::string& e) { return open_sqlite_ledger(path, e); })
        , notify(clock, curl, rec, 1, {}, inbox.factory())
        , flow(clock, rec, notify) {
        auto loaded = load_config_text(R"(
agencies: [{id: dukcapil, name: Dinas Kependudukan}]
services:
  - {id: kk, agency: dukcapil, checks: [{id: portal, http: {url: "http://127.0.0.1:1/"}}]}
)",
                                       "test.yaml");
        REQUIRE(std::holds_alternative<config>(loaded));
        REQUIRE(flow.apply(std::get<config>(loaded)).empty());
        rec.start(clock.wall_now());
        flow.start();
    }
    ~flow_rig() { flow.stop(); }

    // The monitor saw service kk of dukcapil change.
    void change(service_state from, service_state to, wall_time at, std::string reason = "") {
        service_runtime s;
        s.agency = "dukcapil";
        s.id = "kk";
        if (to == service_state::down) {
            s.cause = "check portal: " + reason;
            s.cause_check = "portal";
            s.cause_reason = reason;
        }
        flow.on_service_change({s, from, to, at});
    }

    boost::asio::io_context io;
    manual_clock clock;
    curl_multi curl{io};
    test::recording_inbox inbox{io, clock};
    recorder rec;
    notifier notify;
    coordinator flow;
};

} // namespace

TEST_CASE("coordinator: outages get ids and are written at once; the same outage goes on "
          "after a restart") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    std::int64_t id = 0;
    {
        flow_rig r(path);
        r.change(service_state::up, service_state::down, t0 + 10s, "http 503");
        REQUIRE(r.flow.book().open_outage("dukcapil/kk"));
        id = *r.flow.book().open_outage("dukcapil/kk");
        CHECK(id == 1);
        CHECK(r.rec.stats().pending == 0);
        const auto o = r.rec.outage(id);
        REQUIRE(o);
        REQUIRE(*o);
        CHECK((*o)->cause == "check portal: http 503");
        CHECK((*o)->started_at == t0 + 10s);
        // killed here: no stop()
    }
    flow_rig r(path, t0 + 80s);
    CHECK(r.flow.book().open_outage("dukcapil/kk") == id);
    // The service is seen down again after the restart: same outage, nothing new.
    r.change(service_state::unknown, service_state::down, t0 + 82s, "http 503");
    CHECK(r.rec.stats().outages_opened == 0);
    r.change(service_state::down, service_state::up, t0 + 90s);
    CHECK_FALSE(r.flow.book().open_outage("dukcapil/kk"));
    const auto o = r.rec.outage(id);
    REQUIRE(o);
    REQUIRE(*o);
    CHECK((*o)->ended_at == t0 + 90s);
    // The next outage continues after the ledger's ids.
    r.change(service_state::up, service_state::down, t0 + 95s, "timeout");
    CHECK(r.flow.book().open_outage("dukcapil/kk") == id + 1);
}

TEST_CASE("coordinator: while the ledger cannot be opened, outages get time-based ids that "
          "never repeat") {
    temp_dir dir;
    const std::string path = (dir.path / "later" / "ledger.db").string(); // no such folder yet
    flow_rig r(path);
    CHECK_FALSE(r.rec.stats().ledger_open);
    r.change(service_state::up, service_state::down, t0 + 5s, "connection refused");
    const auto id = r.flow.book().open_outage("dukcapil/kk");
    REQUIRE(id); // probing and alerting go on: the outage exists in memory
    CHECK(*id >
          std::chrono::duration_cast<std::chrono::milliseconds>(t0.time_since_epoch()).count());
    std::filesystem::create_directory(dir.path / "later");
    r.change(service_state::down, service_state::up, t0 + 65s);
    CHECK(r.rec.stats().ledger_open);
    r.change(service_state::up, service_state::down, t0 + 70s, "http 500");
    CHECK(r.flow.book().open_outage("dukcapil/kk") == *id + 1);
    const auto events = all_events(path);
    CHECK(kinds(events) == std::vector<ledger_event_kind>{
                               ledger_event_kind::daemon_started, ledger_event_kind::outage_opened,
                               ledger_event_kind::outage_closed, ledger_event_kind::outage_opened});
}

TEST_CASE("coordinator: an outage ends when the service turns idle (outside service hours)") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    flow_rig r(path);
    r.change(service_state::up, service_state::down, t0 + 10min, "no tickets served for 60m");
    REQUIRE(r.flow.book().open_outage("dukcapil/kk"));
    const std::int64_t id = *r.flow.book().open_outage("dukcapil/kk");
    r.change(service_state::down, service_state::idle, t0 + 30min);
    CHECK_FALSE(r.flow.book().open_outage("dukcapil/kk"));
    const auto o = r.rec.outage(id);
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
    r.change(service_state::idle, service_state::up, t0 + 16h);
    CHECK(r.rec.stats().outages_opened == 1);
}

TEST_CASE("recorder: the latest heartbeat of each check, however many arrived") {
    temp_dir dir;
    const std::string path = (dir.path / "ledger.db").string();
    recorder_rig r([&](std::string& e) { return open_sqlite_ledger(path, e); });
    recorder& rec = r.rec;
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
    recorder_options opts;
    opts.rollup_rows_per_tick = 2; // stop() still writes every row
    recorder_rig rig([&](std::string& e) { return open_sqlite_ledger(path, e); }, opts);
    recorder& rec = rig.rec;
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
            rec.probe_completed(c, t0 + std::chrono::seconds(round));
        }
    }
    checks[0].last->status = probe_status::success;
    rec.probe_completed(checks[0], t0 + 1h); // the next hour: its own row
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
