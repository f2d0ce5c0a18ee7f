// The daemon's runtime (monitor -> coordinator -> outage book -> recorder -> notifier) with
// a manual clock, scripted probes, recording channels and a real SQLite ledger: escalation,
// the outbox across a crash, flapping, maintenance, heartbeats and monitoring gaps, as a
// user would notice them. Time moves only when a test advances it; nothing sleeps.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fake_ledger.hpp"
#include "support/runtime_rig.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using pantau::test::runtime_rig;
using pantau::testing::wib;

namespace {

using list = std::vector<std::string>;

// 1 December 2026, 09:00 WIB: a Tuesday morning.
const wall_time t0 = wib(2026, 12, 1, 9, 0);

const std::string escalation_yaml = R"(
public_url: https://pantau.kota.example
defaults: {interval: 1s, timeout: 800ms, retry_interval: 500ms, failure_threshold: 1}
channels:
  ops-hook: {webhook: {url: "http://127.0.0.1:1/ops"}}
  kadis-telegram: {webhook: {url: "http://127.0.0.1:1/kadis"}}
  walikota-hook: {webhook: {url: "http://127.0.0.1:1/walikota"}}
escalation:
  standar:
    - {after: 0s, notify: [ops-hook]}
    - {after: 3s, notify: [kadis-telegram]}
    - {after: 6s, notify: [walikota-hook], even_if_acknowledged: true}
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - id: akta
    name: Akta Online
    agency: dukcapil
    checks: [{id: portal, http: {url: "http://127.0.0.1:1/akta"}}]
  - id: kia
    name: Kartu Identitas Anak
    agency: dukcapil
    checks: [{id: portal, http: {url: "http://127.0.0.1:1/kia"}}]
)";

// Deliveries of one kind ("firing", "resolved", ...), optionally about one service.
std::vector<test::delivery> of_kind(const std::vector<test::delivery>& all, notification_kind kind,
                                    const std::string& service = {}) {
    std::vector<test::delivery> out;
    for (const test::delivery& d : all) {
        if (d.message.kind == kind && (service.empty() || d.message.service == service)) {
            out.push_back(d);
        }
    }
    return out;
}

// Advances the clock in steps of `step` until `done()` or `limit` has passed; whether it
// became true.
template <typename Pred>
bool advance_until(runtime_rig& r, Pred done, std::chrono::nanoseconds limit,
                   std::chrono::nanoseconds step = 100ms) {
    for (std::chrono::nanoseconds waited{0}; !done(); waited += step) {
        if (waited >= limit) {
            return false;
        }
        r.clock.advance(step);
    }
    return true;
}

} // namespace

TEST_CASE("escalation: levels reach their channels in order at their times; an ack stops "
          "level 2 but not the leadership level; recovery resolves every channel told, once") {
    runtime_rig r(escalation_yaml, t0);
    r.probes.up("dukcapil/akta/portal");
    r.probes.up("dukcapil/kia/portal");
    r.start();
    r.clock.advance(2s);
    REQUIRE(r.service("dukcapil/akta").state == service_state::up);
    CHECK(r.inbox.attempts().empty());

    // Both services go down together.
    r.probes.down("dukcapil/akta/portal");
    r.probes.down("dukcapil/kia/portal");
    r.clock.advance(1s);
    const auto akta = r.book().open_outage("dukcapil/akta");
    const auto kia = r.book().open_outage("dukcapil/kia");
    REQUIRE(akta);
    REQUIRE(kia);

    // Level 1 at once, to ops, about both, with the whole story.
    REQUIRE(r.inbox.summary() == list{"ops-hook:firing:1", "ops-hook:firing:1"});
    for (const test::delivery& d : r.inbox.delivered()) {
        const notification& n = d.message;
        CHECK(d.at == n.since); // sent the moment the outage opened
        CHECK(n.agency_name == "Dinas Kependudukan");
        CHECK(n.check == "portal");
        CHECK(n.reason == "http 503");
        if (n.service == "kia") {
            CHECK(n.outage_id == *kia);
            CHECK(n.service_name == "Kartu Identitas Anak");
            CHECK(n.idempotency_key ==
                  "outage-" + std::to_string(*kia) + "/level-1/ops-hook/notify/0");
            CHECK(n.link == "https://pantau.kota.example/api/v1/outages/" + std::to_string(*kia));
        }
    }

    // kia's outage is acknowledged after level 1.
    std::string error;
    REQUIRE_MESSAGE(
        r.rt().coordinator().acknowledge(*kia, "Kabid Dukcapil", "sedang ditangani", error), error);
    r.clock.advance(10s);

    // Level 2 only for the unacknowledged outage, 3 s after it began.
    const auto kadis = r.inbox.delivered("kadis-telegram");
    REQUIRE(kadis.size() == 1);
    CHECK(kadis[0].message.service == "akta");
    CHECK(kadis[0].message.level == 2);
    CHECK(kadis[0].at - kadis[0].message.since == 3s);
    // Level 3 reaches the mayor for both, 6 s after each began, acknowledged or not.
    const auto walikota = r.inbox.delivered("walikota-hook");
    REQUIRE(walikota.size() == 2);
    for (const test::delivery& d : walikota) {
        CHECK(d.message.level == 3);
        CHECK(d.at - d.message.since == 6s);
    }
    CHECK(r.inbox.summary() == list{"ops-hook:firing:1", "ops-hook:firing:1",
                                    "kadis-telegram:firing:2", "walikota-hook:firing:3",
                                    "walikota-hook:firing:3"});
    CHECK(r.book().level("dukcapil/akta") == 3);
    CHECK(r.book().level("dukcapil/kia") == 3);

    // Recovery: every channel that was told hears it, once; kadis only about akta.
    r.probes.up("dukcapil/akta/portal");
    r.probes.up("dukcapil/kia/portal");
    r.clock.advance(1s);
    const auto all = r.inbox.delivered();
    CHECK(of_kind(all, notification_kind::resolved).size() == 5);
    CHECK(of_kind(r.inbox.delivered("ops-hook"), notification_kind::resolved).size() == 2);
    CHECK(of_kind(r.inbox.delivered("walikota-hook"), notification_kind::resolved).size() == 2);
    const auto kadis_resolved =
        of_kind(r.inbox.delivered("kadis-telegram"), notification_kind::resolved);
    REQUIRE(kadis_resolved.size() == 1);
    CHECK(kadis_resolved[0].message.service == "akta");
    // Nothing more follows.
    const std::size_t attempts = r.inbox.attempts().size();
    r.clock.advance(60s);
    CHECK(r.inbox.attempts().size() == attempts);
    CHECK(r.book().level("dukcapil/akta") == 0);

    // The ledger has the story: the acknowledged outage reached level 3 and ended.
    const auto o = r.outage(*kia);
    REQUIRE(o);
    CHECK(o->level == 3);
    CHECK(o->acknowledged_by == "Kabid Dukcapil");
    CHECK(o->ended_at);
    for (const channel_figures& f : r.rt().notifier().figures()) {
        CHECK(f.pending == 0);
        CHECK(f.failed == 0);
    }
}

TEST_CASE("escalation: a channel down for 30 s gets every message exactly once, across a "
          "daemon crash") {
    runtime_rig r(R"(
defaults: {interval: 1s, timeout: 800ms, retry_interval: 500ms, failure_threshold: 1}
notify_retry: {first: 500ms, max: 2s}
channels:
  ops-hook: {webhook: {url: "http://127.0.0.1:1/ops", timeout: 2s}}
escalation:
  standar:
    - {after: 0s, notify: [ops-hook], repeat: 8s}
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - {id: akta, agency: dukcapil, checks: [{id: portal, http: {url: "http://127.0.0.1:1/"}}]}
)",
                  t0);
    r.inbox.answer("ops-hook", send_result{false, true, std::nullopt, "http 503"});
    r.probes.up("dukcapil/akta/portal");
    r.start();
    r.clock.advance(2s);
    r.probes.down("dukcapil/akta/portal");
    r.clock.advance(1s);
    const auto id = r.book().open_outage("dukcapil/akta");
    REQUIRE(id);
    const wall_time down_at = r.outage(*id)->started_at;
    const std::string first_key = "outage-" + std::to_string(*id) + "/level-1/ops-hook/notify/0";

    // Attempts fail and are retried with backoff.
    r.clock.advance(4s);
    REQUIRE(r.inbox.attempts().size() >= 3);
    for (const test::delivery& d : r.inbox.attempts()) {
        CHECK(d.message.idempotency_key == first_key);
        CHECK_FALSE(d.ok);
    }
    CHECK(r.rt().notifier().figures().at(0).failed >= 3);

    r.crash(); // no chance to tidy up
    r.clock.advance(5s);
    const std::size_t before_restart = r.inbox.attempts().size();
    r.restart();
    r.clock.advance(2s);
    // The message from before the crash is tried again, with the same key.
    REQUIRE(r.inbox.attempts().size() > before_restart);
    CHECK(r.inbox.attempts()[before_restart].message.idempotency_key == first_key);

    // The receiver comes back 30 s after the service went down.
    r.clock.advance(down_at + 30s - r.clock.wall_now());
    r.inbox.answer("ops-hook", std::nullopt);
    r.clock.advance(3s);
    REQUIRE_FALSE(r.inbox.delivered().empty());
    CHECK(r.inbox.delivered()[0].message.idempotency_key == first_key);
    // Reminders fall due every 8 s while it is down; then it recovers.
    r.clock.advance(9s);
    r.probes.up("dukcapil/akta/portal");
    r.clock.advance(1s);
    r.clock.advance(10s);

    // Every key that was ever tried was delivered exactly once.
    std::map<std::string, int> delivered;
    std::set<std::string> tried;
    for (const test::delivery& d : r.inbox.attempts()) {
        tried.insert(d.message.idempotency_key);
        delivered[d.message.idempotency_key] += d.ok ? 1 : 0;
    }
    for (const std::string& key : tried) {
        INFO(key);
        CHECK(delivered[key] == 1);
    }
    CHECK(delivered.count(first_key) == 1);
    CHECK(delivered.count("outage-" + std::to_string(*id) + "/resolve/ops-hook") == 1);
    CHECK(of_kind(r.inbox.delivered(), notification_kind::reminder).size() >= 1);
    CHECK(r.rt().notifier().figures().at(0).pending == 0);
}

TEST_CASE("flapping: said once to the first level; an outage that opens while it flaps "
          "escalates only once the check settles") {
    runtime_rig r(R"(
defaults: {interval: 10s, timeout: 800ms, failure_threshold: 3}
channels:
  ops-hook: {webhook: {url: "http://127.0.0.1:1/ops"}}
  kadis-hook: {webhook: {url: "http://127.0.0.1:1/kadis"}}
escalation:
  standar:
    - {after: 0s, notify: [ops-hook]}
    - {after: 30m, notify: [kadis-hook]}
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - {id: akta, agency: dukcapil, checks: [{id: portal, http: {url: "http://127.0.0.1:1/"}}]}
)",
                  t0);
    const std::string key = "dukcapil/akta/portal";
    r.probes.up(key);
    r.start();
    r.clock.advance(15s);
    // Up, down, up, down, ...: never three failures in a row, so never DOWN; then down
    // for good.
    std::vector<probe_status> flaps;
    for (int i = 0; i < 16; ++i) {
        flaps.push_back(i % 2 == 0 ? probe_status::failure : probe_status::success);
    }
    flaps.push_back(probe_status::failure);
    r.probes.sequence(key, flaps);

    REQUIRE(advance_until(
        r, [&] { return !of_kind(r.inbox.delivered(), notification_kind::flapping).empty(); },
        10min));
    REQUIRE(r.inbox.summary() == list{"ops-hook:flapping:0"});
    const notification said = r.inbox.delivered()[0].message; // a copy: delivered() is a new vector
    CHECK(said.check == "portal");
    CHECK(said.reason.find("% of the last results (flapping)") != std::string::npos);
    CHECK(r.check(key).flapping.flapping());

    // Down for good while still flapping: the outage is recorded, nobody is paged.
    REQUIRE(advance_until(
        r, [&] { return r.book().open_outage("dukcapil/akta").has_value(); }, 10min));
    const std::int64_t id = *r.book().open_outage("dukcapil/akta");
    CHECK(r.book().hold(id) == hold_kind::flapping);
    CHECK(r.check(key).flapping.flapping());
    CHECK(r.inbox.summary() == list{"ops-hook:flapping:0"});

    // It settles (down, steadily): escalation starts then, from level 1.
    REQUIRE(advance_until(
        r, [&] { return !r.check(key).flapping.flapping(); }, 30min));
    CHECK(r.book().hold(id) == hold_kind::none);
    REQUIRE(r.inbox.summary() == list{"ops-hook:flapping:0", "ops-hook:firing:1"});
    const test::delivery fired = r.inbox.delivered()[1];
    CHECK(fired.message.outage_id == id);

    // The ledger has both edges; the first level went out when the flapping stopped.
    std::vector<ledger_event_kind> flaps_seen;
    for (const ledger_event& e : r.read_ledger()->events(wall_time{}, t0 + 24h)) {
        if (e.kind == ledger_event_kind::flapping_started ||
            e.kind == ledger_event_kind::flapping_stopped) {
            flaps_seen.push_back(e.kind);
        }
        if (e.kind == ledger_event_kind::flapping_stopped) {
            CHECK(e.at == std::chrono::floor<std::chrono::milliseconds>(fired.at));
        }
    }
    CHECK(flaps_seen == std::vector<ledger_event_kind>{ledger_event_kind::flapping_started,
                                                       ledger_event_kind::flapping_stopped});
}

TEST_CASE("maintenance: a window added at run time makes an outage planned, nobody is told; "
          "it survives a restart; escalation starts when the window ends") {
    runtime_rig r(R"(
defaults: {interval: 1s, timeout: 800ms, retry_interval: 500ms, failure_threshold: 1}
channels:
  ops-hook: {webhook: {url: "http://127.0.0.1:1/ops"}}
escalation:
  standar: [{after: 0s, notify: [ops-hook]}]
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - {id: akta, agency: dukcapil, checks: [{id: portal, http: {url: "http://127.0.0.1:1/"}}]}
  - {id: kia, agency: dukcapil, checks: [{id: portal, http: {url: "http://127.0.0.1:1/"}}]}
)",
                  t0);
    r.probes.up("dukcapil/akta/portal");
    r.probes.up("dukcapil/kia/portal");
    r.start();
    r.clock.advance(2s);

    maintenance_window w;
    w.agency = "dukcapil";
    w.service = "akta";
    w.start = r.clock.wall_now() - 1h;
    w.end = r.clock.wall_now() + 10min;
    w.reason = "ganti server";
    CHECK(r.rt().coordinator().add_window(w, "Tim TI")); // in the ledger at once
    const std::string window_id = w.id;
    CHECK(window_id.rfind("api-", 0) == 0);

    // The service goes down inside the window: recorded as planned, nobody is told.
    r.probes.down("dukcapil/akta/portal");
    r.clock.advance(2s);
    const auto id = r.book().open_outage("dukcapil/akta");
    REQUIRE(id);
    CHECK(r.book().hold(*id) == hold_kind::maintenance);
    CHECK(r.outage(*id)->planned_until == w.end);
    r.clock.advance(30s);
    CHECK(r.inbox.attempts().empty());
    // Another service of the agency is not covered.
    r.probes.down("dukcapil/kia/portal");
    r.clock.advance(1s);
    CHECK(r.inbox.summary() == list{"ops-hook:firing:1"});
    r.probes.up("dukcapil/kia/portal");
    r.clock.advance(1s);
    r.inbox.clear();

    // Stopped and started again: the window came back from the ledger, the outage is still
    // open under its id and still held.
    r.stop();
    r.clock.advance(5s);
    r.restart();
    REQUIRE(r.book().windows().size() == 1);
    CHECK(r.book().windows()[0].id == window_id);
    CHECK(r.book().windows()[0].reason == "ganti server");
    CHECK(r.book().open_outage("dukcapil/akta") == id);
    CHECK(r.book().hold(*id) == hold_kind::maintenance);
    r.clock.advance(30s);
    CHECK(r.inbox.attempts().empty());

    // Removed through the API: gone (once); the outage stays planned until the end it had.
    CHECK(r.rt().coordinator().remove_window(window_id, "Tim TI"));
    CHECK_FALSE(r.rt().coordinator().remove_window(window_id, "Tim TI"));
    CHECK(r.book().windows().empty());
    r.clock.advance(*w.end - r.clock.wall_now() - 1s);
    CHECK(r.inbox.attempts().empty());
    r.clock.advance(2s);
    REQUIRE(r.inbox.summary() == list{"ops-hook:firing:1"});
    CHECK(r.inbox.delivered()[0].at == *w.end);
}

namespace {

const std::string heartbeat_yaml = R"(
timezone: UTC
agencies:
  - {id: bappeda, name: Bappeda}
services:
  - id: sinkron
    agency: bappeda
    checks:
      - id: harian
        interval: 2s
        timeout: 500ms
        heartbeat: {expect_every: 2s, grace: 1s, token: jobtoken}
)";

const std::string harian = "bappeda/sinkron/harian";

} // namespace

TEST_CASE("heartbeat: on time stays up, late is DOWN with its reason, the next heartbeat "
          "recovers it at once") {
    runtime_rig r(heartbeat_yaml, t0);
    r.start();
    r.beat(harian);
    CHECK(r.check(harian).health.state() == check_state::up);

    // On time for 4 s (twice expect_every): never down.
    for (int i = 0; i < 8; ++i) {
        r.clock.advance(500ms);
        r.beat(harian);
        CHECK(r.check(harian).health.state() == check_state::up);
    }
    const wall_time last = r.clock.wall_now();

    // Late: no heartbeat for more than 2 s + 1 s grace.
    REQUIRE(advance_until(
        r, [&] { return r.check(harian).health.state() == check_state::down; }, 10s));
    const wall_time judged_at = r.check(harian).state_since;
    CHECK(judged_at - last > 3s);
    CHECK(judged_at - last <= 5s); // judged every 2 s
    const service_runtime& s = r.service("bappeda/sinkron");
    CHECK(s.state == service_state::down);
    CHECK(s.cause ==
          "check harian: no heartbeat for " +
              std::to_string(std::chrono::floor<std::chrono::seconds>(judged_at - last).count()) +
              "s (expected every 2s + 1s grace)");
    const auto outage = r.book().open_outage("bappeda/sinkron");
    REQUIRE(outage);

    // A heartbeat brings it back without waiting for the next judgement.
    r.beat(harian);
    CHECK(r.check(harian).health.state() == check_state::up);
    CHECK(r.service("bappeda/sinkron").state == service_state::up);
    CHECK(r.outage(*outage)->ended_at == r.clock.wall_now());
}

TEST_CASE("heartbeat: the last heartbeat survives a restart (kept in the ledger)") {
    runtime_rig r(heartbeat_yaml, t0);
    r.start();
    r.clock.advance(1s);
    r.beat(harian);
    const wall_time beat_at = r.clock.wall_now();
    r.clock.advance(200ms);
    r.stop();
    r.clock.advance(300ms);
    r.restart();
    // Judged from the recorded heartbeat, not from the restart.
    REQUIRE(advance_until(
        r, [&] { return r.check(harian).health.state() == check_state::down; }, 10s));
    CHECK(r.clock.wall_now() - beat_at > 3s);
    CHECK(r.clock.wall_now() - beat_at <= 5s);
    CHECK(r.check(harian).last->reason.rfind("no heartbeat for ", 0) == 0);
    CHECK(r.read_ledger()->verify().ok);
}

TEST_CASE("ledger: a crash is a monitoring gap from the last sign of life to the restart; the "
          "open outage keeps its id; outages last exactly as long as the service was down") {
    recorder_options options;
    options.heartbeat_every = 1s; // a sign of life on every flush tick
    runtime_rig r(R"(
defaults: {interval: 1s, timeout: 800ms, retry_interval: 1s, failure_threshold: 1}
agencies: [{id: dukcapil, name: Dinas Kependudukan}]
services:
  - {id: kk, agency: dukcapil, checks: [{id: portal, http: {url: "http://127.0.0.1:1/"}}]}
  - {id: ktp, agency: dukcapil, checks: [{id: portal, http: {url: "http://127.0.0.1:1/"}}]}
)",
                  t0, options);
    r.probes.up("dukcapil/kk/portal");
    r.probes.up("dukcapil/ktp/portal");
    r.start();
    r.clock.advance(3s);

    // Outage 1: about 3 s, the daemon running throughout.
    r.probes.down("dukcapil/kk/portal");
    r.clock.advance(1s);
    const auto kk = r.book().open_outage("dukcapil/kk");
    REQUIRE(kk);
    r.clock.advance(3s);
    r.probes.up("dukcapil/kk/portal");
    r.clock.advance(1s);
    CHECK_FALSE(r.book().open_outage("dukcapil/kk"));

    // Outage 2 begins; the daemon dies while it is open, and is dead for 4 s.
    r.probes.down("dukcapil/ktp/portal");
    r.clock.advance(1s);
    const auto ktp = r.book().open_outage("dukcapil/ktp");
    REQUIRE(ktp);
    r.clock.advance(1s);
    const wall_time crashed_at = r.clock.wall_now();
    r.crash();
    r.clock.advance(4s);
    const wall_time restarted_at = r.clock.wall_now();
    r.restart();
    r.clock.advance(2s);

    // Still open under the same id, not a new one.
    CHECK(r.book().open_outage("dukcapil/ktp") == ktp);
    CHECK(r.rt().recorder().stats().outages_opened == 0);
    std::string error;
    REQUIRE_MESSAGE(
        r.rt().coordinator().acknowledge(*ktp, "Kepala Dinas", "tim sudah di lokasi", error),
        error);
    r.probes.up("dukcapil/ktp/portal");
    r.clock.advance(1s);
    CHECK_FALSE(r.book().open_outage("dukcapil/ktp"));
    r.stop();

    const auto l = r.read_ledger();
    const auto gaps = l->gaps(wall_time{}, t0 + 24h);
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].from == crashed_at);
    CHECK(gaps[0].to == restarted_at);
    // Each outage lasts from its check's DOWN to its recovery, as the ledger recorded them.
    std::map<std::string, std::vector<wall_time>> changes; // service -> into/out of DOWN
    for (const ledger_event& e : l->events(wall_time{}, t0 + 24h)) {
        if (e.kind == ledger_event_kind::check_state_changed &&
            (e.data.find(R"("to":"down")") != std::string::npos ||
             e.data.find(R"("from":"down")") != std::string::npos)) {
            changes[e.service].push_back(e.at);
        }
    }
    const auto first = l->outage(*kk);
    const auto second = l->outage(*ktp);
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(changes["kk"].size() == 2);
    CHECK(first->started_at == changes["kk"].front());
    CHECK(first->ended_at == changes["kk"].back());
    CHECK(*first->ended_at - first->started_at >= 3s);
    // (After the restart the check is seen DOWN again: the same outage goes on.)
    REQUIRE(changes["ktp"].size() >= 2);
    CHECK(second->started_at == changes["ktp"].front());
    CHECK(second->ended_at == changes["ktp"].back());
    CHECK(second->acknowledged_by == "Kepala Dinas");
    CHECK(l->outages({}).size() == 2);
    CHECK(l->verify().ok);
}
