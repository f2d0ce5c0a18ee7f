// The outage book's decisions (core/outage_book), time passed in: ids, levels in order,
// acknowledgement, maintenance, dependencies, flapping and restarts.
#include "core/outage_book.hpp"

#include <doctest/doctest.h>

#include <variant>

#include "config/config.hpp"
#include "fake_ledger.hpp"
#include "runtime/coordinator.hpp"
#include "runtime/ledger_data.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using pantau::testing::wib;

namespace {

const std::string policy_yaml = R"(
channels:
  ops: {webhook: {url: "http://127.0.0.1:1/ops"}}
  kadis: {webhook: {url: "http://127.0.0.1:1/kadis"}}
  walikota: {webhook: {url: "http://127.0.0.1:1/walikota"}}
escalation:
  standar:
    - {after: 0s, notify: [ops]}
    - {after: 3s, notify: [kadis]}
    - {after: 6s, notify: [walikota], even_if_acknowledged: true}
agencies:
  - {id: diskominfo, name: Dinas Komunikasi dan Informatika, escalation: standar}
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - id: uplink
    name: Uplink Pusat Data
    agency: diskominfo
    checks: [{id: router, http: {url: "http://127.0.0.1:1/"}}]
  - id: akta-online
    name: Akta Online
    agency: dukcapil
    depends_on: [uplink]
    checks:
      - {id: portal, http: {url: "http://127.0.0.1:1/"}}
  - id: kia
    name: Kartu Identitas Anak
    agency: dukcapil
    checks:
      - {id: portal, http: {url: "http://127.0.0.1:1/"}}
      - {id: siak, http: {url: "http://127.0.0.1:1/"}, depends_on: [diskominfo/uplink]}
)";

outage_rules load(const std::string& extra = {}) {
    auto loaded = load_config_text(policy_yaml + extra, "test.yaml");
    if (const auto* e = std::get_if<config_error>(&loaded)) {
        FAIL(e->to_string());
    }
    return outage_rules_of(std::get<config>(loaded));
}

// Opens an outage of `service` (agency dukcapil unless given) caused by `check`.
opened_outage must_open(outage_book& b, const std::string& agency, const std::string& service,
                        const std::string& check, const std::string& reason, wall_time at) {
    auto o = b.open(agency, service, check, reason, "check " + check + ": " + reason, at);
    REQUIRE(o);
    return *o;
}

// "channel:kind:level" of each message, in order.
std::vector<std::string> summary(const std::vector<outbound>& out) {
    std::vector<std::string> s;
    for (const outbound& o : out) {
        s.push_back(o.channel + ":" + to_string(o.message.kind) + ":" +
                    std::to_string(o.message.level));
    }
    return s;
}

using list = std::vector<std::string>;

} // namespace

TEST_CASE("outage book: ids continue after the ledger's and never repeat; an open outage is "
          "not opened twice") {
    outage_book b(load());
    b.continue_ids_after(41);
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    const opened_outage first = must_open(b, "dukcapil", "kia", "portal", "http 503", t0);
    CHECK(first.id == 42);
    CHECK(first.cause == "check portal: http 503");
    CHECK(first.at == t0);
    CHECK_FALSE(b.open("dukcapil", "kia", "portal", "timeout", "check portal: timeout", t0 + 1s));
    CHECK(b.open_outage("dukcapil/kia") == 42);
    const auto closed = b.close("dukcapil", "kia", t0 + 5s);
    REQUIRE(closed);
    CHECK(closed->id == 42);
    CHECK(closed->at == t0 + 5s);
    CHECK(closed->note.empty());
    CHECK_FALSE(b.close("dukcapil", "kia", t0 + 6s));
    b.continue_ids_after(10); // never backwards
    CHECK(must_open(b, "dukcapil", "kia", "portal", "http 503", t0 + 7s).id == 43);
    CHECK(b.close("dukcapil", "kia", t0 + 8s, "service hours ended")->note ==
          "service hours ended");
}

TEST_CASE("outage book: levels fire in order at their times, with the whole story") {
    outage_book b(load());
    b.continue_ids_after(6);
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    const opened_outage o = must_open(b, "dukcapil", "kia", "portal", "http 503", t0);
    CHECK(o.id == 7);
    CHECK_FALSE(o.planned_until);
    CHECK(o.caused_by == 0);
    CHECK(o.hold == hold_kind::none);

    auto first = b.due(t0);
    REQUIRE(summary(first) == list{"ops:firing:1"});
    const notification& n = first[0].message;
    CHECK(first[0].new_level);
    CHECK(n.idempotency_key == "outage-7/level-1/ops/notify/0");
    CHECK(n.outage_id == 7);
    CHECK(n.agency_name == "Dinas Kependudukan");
    CHECK(n.service_name == "Kartu Identitas Anak");
    CHECK(n.check == "portal");
    CHECK(n.reason == "http 503");
    CHECK(n.since == t0);
    CHECK(b.level("dukcapil/kia") == 1);

    CHECK(b.due(t0 + 2999ms).empty()); // each step once
    CHECK(b.next_due(t0 + 1s) == t0 + 3s);
    CHECK(summary(b.due(t0 + 3s)) == list{"kadis:firing:2"});
    CHECK(summary(b.due(t0 + 6s)) == list{"walikota:firing:3"});
    CHECK(b.level("dukcapil/kia") == 3);

    b.close("dukcapil", "kia", t0 + 10s);
    CHECK(b.level("dukcapil/kia") == 0);
    // Every channel that was told hears the resolution, once.
    CHECK(summary(b.due(t0 + 10s)) ==
          list{"ops:resolved:3", "kadis:resolved:3", "walikota:resolved:3"});
    CHECK(b.due(t0 + 11s).empty());
    CHECK_FALSE(b.next_due(t0 + 11s));
    CHECK(b.active() == 0);
}

TEST_CASE("outage book: an acknowledgement stops the next level but not the leadership level") {
    outage_book b(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    const std::int64_t id = must_open(b, "dukcapil", "kia", "portal", "timeout", t0).id;
    CHECK(summary(b.due(t0)) == list{"ops:firing:1"});
    b.acknowledged(id, t0 + 1s);
    CHECK(b.due(t0 + 3s).empty()); // kadis is not bothered
    CHECK(summary(b.due(t0 + 6s)) == list{"walikota:firing:3"});
    b.close("dukcapil", "kia", t0 + 8s);
    CHECK(summary(b.due(t0 + 8s)) == list{"ops:resolved:3", "walikota:resolved:3"});
}

TEST_CASE("outage book: a service whose dependency is down is not escalated separately") {
    outage_book b(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    const std::int64_t parent =
        must_open(b, "diskominfo", "uplink", "router", "connection refused", t0).id;
    const opened_outage child =
        must_open(b, "dukcapil", "akta-online", "portal", "timeout", t0 + 1s);
    CHECK(child.caused_by == parent);
    CHECK(child.hold == hold_kind::dependency);
    CHECK(b.hold(child.id) == hold_kind::dependency);
    // Only the parent escalates.
    CHECK(summary(b.due(t0 + 1s)) == list{"ops:firing:1"});
    CHECK(summary(b.due(t0 + 6s)) == list{"kadis:firing:2", "walikota:firing:3"});
    for (const auto& o : b.due(t0 + 6s)) {
        CHECK(o.message.outage_id == parent);
    }
    CHECK(b.level("dukcapil/akta-online") == 0);

    SUBCASE("the child recovers with its parent: nobody hears of it") {
        b.close("dukcapil", "akta-online", t0 + 20s);
        b.close("diskominfo", "uplink", t0 + 20s);
        for (const auto& o : b.due(t0 + 20s)) {
            CHECK(o.message.outage_id == parent);
            CHECK(o.message.kind == notification_kind::resolved);
        }
        CHECK(b.active() == 0);
    }
    SUBCASE("the child is still down after its parent recovered: it escalates from then") {
        b.close("diskominfo", "uplink", t0 + 20s);
        const auto out = b.due(t0 + 20s);
        CHECK(summary(out) ==
              list{"ops:resolved:3", "kadis:resolved:3", "walikota:resolved:3", "ops:firing:1"});
        CHECK(out.back().message.outage_id == child.id);
        CHECK(b.hold(child.id) == hold_kind::none);
        CHECK(b.due(t0 + 22s).empty());
        CHECK(summary(b.due(t0 + 23s)) == list{"kadis:firing:2"});
    }
}

TEST_CASE("outage book: a check's own depends_on") {
    outage_book b(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    const std::int64_t parent =
        must_open(b, "diskominfo", "uplink", "router", "connection refused", t0).id;
    // kia's siak check depends on the uplink, its portal check does not.
    CHECK(must_open(b, "dukcapil", "kia", "siak", "timeout", t0).caused_by == parent);
    b.close("dukcapil", "kia", t0 + 1s);
    CHECK(must_open(b, "dukcapil", "kia", "portal", "http 500", t0 + 2s).caused_by == 0);
}

TEST_CASE("outage book: an outage inside a maintenance window is planned") {
    // 2026-12-05 is a Saturday.
    outage_book b(load(R"(
maintenance:
  - {service: kia, weekly: {days: [sat], from: "22:00", to: "02:00"}, reason: backup}
)"));
    const wall_time t0 = wib(2026, 12, 5, 23, 0);
    const opened_outage o = must_open(b, "dukcapil", "kia", "portal", "http 503", t0);
    REQUIRE(o.planned_until);
    CHECK(*o.planned_until == wib(2026, 12, 6, 2, 0));
    CHECK(o.hold == hold_kind::maintenance);
    CHECK(b.hold(o.id) == hold_kind::maintenance);
    CHECK(b.due(t0).empty());
    CHECK(b.next_due(t0) == wib(2026, 12, 6, 2, 0));

    SUBCASE("it recovers inside the window: nothing is sent at all") {
        b.close("dukcapil", "kia", wib(2026, 12, 6, 1, 0));
        CHECK(b.due(wib(2026, 12, 6, 2, 0)).empty());
        CHECK(b.active() == 0);
    }
    SUBCASE("it outlasts the window: escalation starts when the window ends") {
        CHECK(summary(b.due(wib(2026, 12, 6, 2, 0))) == list{"ops:firing:1"});
        CHECK(summary(b.due(wib(2026, 12, 6, 2, 0) + 3s)) == list{"kadis:firing:2"});
    }
    SUBCASE("another service of the agency is not covered") {
        CHECK_FALSE(must_open(b, "dukcapil", "akta-online", "portal", "x", t0).planned_until);
    }
}

TEST_CASE("outage book: a window added at run time holds outages that open after it") {
    outage_book b(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    maintenance_window w;
    w.agency = "dukcapil";
    w.start = t0 - 1h;
    w.end = t0 + 1h;
    const std::string id = b.add_window(w, t0 - 2h).id;
    CHECK(id == "api-" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            (t0 - 2h).time_since_epoch())
                                            .count()));
    CHECK(b.add_window(w, t0 - 2h).id == id + "x"); // ids are unique
    CHECK(b.remove_window(id + "x"));
    CHECK(must_open(b, "dukcapil", "kia", "portal", "x", t0).planned_until == t0 + 1h);
    // A reload keeps windows added through the API.
    b.apply(load());
    CHECK(must_open(b, "dukcapil", "akta-online", "portal", "x", t0).planned_until == t0 + 1h);
    CHECK(b.remove_window(id));
    CHECK_FALSE(b.remove_window(id));
    b.close("dukcapil", "akta-online", t0 + 1s);
    CHECK_FALSE(must_open(b, "dukcapil", "akta-online", "portal", "x", t0 + 2s).planned_until);
}

TEST_CASE("outage book: flapping is said once, and holds escalation until it stops") {
    outage_book b(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    const auto flap = b.flapping("dukcapil", "kia", "portal", true, 42.5, t0);
    REQUIRE(summary(flap) == list{"ops:flapping:0"});
    CHECK(flap[0].message.reason.find("42%") != std::string::npos);
    const std::int64_t id = must_open(b, "dukcapil", "kia", "portal", "http 503", t0 + 1s).id;
    CHECK(b.hold(id) == hold_kind::flapping);
    CHECK(b.due(t0 + 10s).empty());
    CHECK(b.flapping("dukcapil", "kia", "portal", false, 20.0, t0 + 20s).empty());
    CHECK(summary(b.due(t0 + 20s)) == list{"ops:firing:1"});
}

TEST_CASE("outage book: after a restart, sent steps are not repeated and missed ones go once") {
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    outage_history h;
    h.started = t0 + 10s;
    h.max_id = 12;
    recorded_outage o;
    o.id = 12;
    o.agency = "dukcapil";
    o.service = "kia";
    o.started_at = t0;
    o.cause = "check portal: http 503";
    h.open.push_back(o);
    // Level 1 was queued before the daemon stopped.
    h.sent[12].push_back({1, "ops", step_kind::notify, 0});

    outage_book b(load());
    // The daemon comes back at t0 + 10 s: levels 2 and 3 are late, each goes once.
    CHECK(b.restore(h, t0 + 10s).empty());
    CHECK(b.open_outage("dukcapil/kia") == 12);
    const auto out = b.due(t0 + 10s);
    CHECK(summary(out) == list{"kadis:firing:2", "walikota:firing:3"});
    CHECK(out[0].message.check == "portal");
    CHECK(out[0].message.reason == "http 503");
    CHECK(b.due(t0 + 20s).empty());
    // New outages continue after the ledger's ids.
    CHECK(must_open(b, "dukcapil", "akta-online", "portal", "x", t0 + 21s).id == 13);
    CHECK(summary(b.due(t0 + 21s)) == list{"ops:firing:1"});
    b.close("dukcapil", "kia", t0 + 22s);
    CHECK(summary(b.due(t0 + 22s)) ==
          list{"ops:resolved:3", "kadis:resolved:3", "walikota:resolved:3"});
}

TEST_CASE("outage book: a restart holds what the ledger says is planned or caused by a parent, "
          "and closes an outage superseded while the ledger was unavailable") {
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    outage_history h;
    h.started = t0 + 1min;
    h.max_id = 3;
    recorded_outage planned;
    planned.id = 1;
    planned.agency = "dukcapil";
    planned.service = "kia";
    planned.started_at = t0;
    planned.cause = "check portal: http 503";
    planned.planned_until = t0 + 1h;
    recorded_outage parent = planned;
    parent.id = 2;
    parent.agency = "diskominfo";
    parent.service = "uplink";
    parent.planned_until.reset();
    recorded_outage child = planned;
    child.id = 3;
    child.service = "akta-online";
    child.planned_until.reset();
    child.caused_by = 2;
    h.open = {planned, parent, child};

    outage_book b(load());
    // While the ledger could not be read, akta-online went down again as a new outage.
    b.continue_ids_after(1'700'000'000'000);
    const std::int64_t newer = must_open(b, "dukcapil", "akta-online", "portal", "x", t0 + 2min).id;
    const auto superseded = b.restore(h, t0 + 3min);
    REQUIRE(superseded.size() == 1);
    CHECK(superseded[0].id == 3);
    CHECK(superseded[0].at == t0 + 1min);
    CHECK(superseded[0].note == "superseded after restart");
    CHECK(b.open_outage("dukcapil/akta-online") == newer);
    CHECK(b.hold(1) == hold_kind::maintenance);
    CHECK(b.hold(2) == hold_kind::none);
    CHECK(b.next_due(t0 + 3min) == t0 + 3min); // the parent's levels are late
    CHECK(must_open(b, "dukcapil", "ktp", "portal", "x", t0 + 4min).id == newer + 1);
}

TEST_CASE("notifier: a queued message survives the round trip through the ledger's JSON") {
    outbound o;
    o.channel = "ops";
    o.step = {2, "ops", step_kind::reminder, 3};
    o.message.idempotency_key = "outage-3/level-2/ops/reminder/3";
    o.message.kind = notification_kind::reminder;
    o.message.level = 2;
    o.message.agency_name = "Dinas \"Kependudukan\"";
    o.message.service_name = "Akta";
    o.message.check = "portal";
    o.message.reason = "http 503";
    o.message.since = wib(2026, 12, 1, 9, 0);
    o.message.utc_offset = 8h;
    o.message.link = "https://pantau.kota.go.id/api/v1/outages/3";
    const auto back = outbound_from_json(outbound_to_json(o));
    REQUIRE(back);
    CHECK(back->channel == o.channel);
    CHECK(back->step == o.step);
    CHECK(back->message.idempotency_key == o.message.idempotency_key);
    CHECK(back->message.kind == o.message.kind);
    CHECK(back->message.level == 2);
    CHECK(back->message.agency_name == o.message.agency_name);
    CHECK(back->message.reason == o.message.reason);
    CHECK(back->message.since == o.message.since);
    CHECK(back->message.utc_offset == 8h);
    CHECK(back->message.link == o.message.link);
    CHECK_FALSE(outbound_from_json("{\"key\": 1}"));
    CHECK_FALSE(outbound_from_json("not json"));
    CHECK(notification_key(12, o.step) == "outage-12/level-2/ops/reminder/3");
}
