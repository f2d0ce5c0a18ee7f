// The escalation runtime's decisions, with a manual clock: levels in order,
// acknowledgement, maintenance, dependencies, flapping and restarts.
#include "runtime/escalator.hpp"

#include <doctest/doctest.h>

#include <variant>

#include "fake_ledger.hpp"
#include "runtime/notifier.hpp"

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

config load(const std::string& extra = {}) {
    auto loaded = load_config_text(policy_yaml + extra, "test.yaml");
    if (const auto* e = std::get_if<config_error>(&loaded)) {
        FAIL(e->to_string());
    }
    return std::get<config>(std::move(loaded));
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

TEST_CASE("escalator: levels fire in order at their times, with the whole story") {
    escalator e(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    const outage_marks marks = e.opened(7, "dukcapil", "kia", "portal", "http 503", t0);
    CHECK_FALSE(marks.planned_until);
    CHECK(marks.caused_by == 0);

    auto first = e.due(t0);
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
    CHECK(e.level("dukcapil/kia") == 1);

    CHECK(e.due(t0 + 2999ms).empty()); // each step once
    CHECK(e.next_due(t0 + 1s) == t0 + 3s);
    CHECK(summary(e.due(t0 + 3s)) == list{"kadis:firing:2"});
    CHECK(summary(e.due(t0 + 6s)) == list{"walikota:firing:3"});
    CHECK(e.level("dukcapil/kia") == 3);

    e.closed(7, t0 + 10s);
    // Every channel that was told hears the resolution, once.
    CHECK(summary(e.due(t0 + 10s)) ==
          list{"ops:resolved:3", "kadis:resolved:3", "walikota:resolved:3"});
    CHECK(e.due(t0 + 11s).empty());
    CHECK_FALSE(e.next_due(t0 + 11s));
    CHECK(e.open_outages() == 0);
}

TEST_CASE("escalator: an acknowledgement stops the next level but not the leadership level") {
    escalator e(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    e.opened(8, "dukcapil", "kia", "portal", "timeout", t0);
    CHECK(summary(e.due(t0)) == list{"ops:firing:1"});
    e.acknowledged(8, t0 + 1s);
    CHECK(e.due(t0 + 3s).empty()); // kadis is not bothered
    CHECK(summary(e.due(t0 + 6s)) == list{"walikota:firing:3"});
    e.closed(8, t0 + 8s);
    CHECK(summary(e.due(t0 + 8s)) == list{"ops:resolved:3", "walikota:resolved:3"});
}

TEST_CASE("escalator: a service whose dependency is down is not escalated separately") {
    escalator e(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    e.opened(1, "diskominfo", "uplink", "router", "connection refused", t0);
    const outage_marks child = e.opened(2, "dukcapil", "akta-online", "portal", "timeout", t0 + 1s);
    CHECK(child.caused_by == 1);
    CHECK(e.hold(2) == hold_kind::dependency);
    // Only the parent escalates.
    CHECK(summary(e.due(t0 + 1s)) == list{"ops:firing:1"});
    CHECK(summary(e.due(t0 + 6s)) == list{"kadis:firing:2", "walikota:firing:3"});
    for (const auto& o : e.due(t0 + 6s)) {
        CHECK(o.message.outage_id == 1);
    }
    CHECK(e.level("dukcapil/akta-online") == 0);

    SUBCASE("the child recovers with its parent: nobody hears of it") {
        e.closed(2, t0 + 20s);
        e.closed(1, t0 + 20s);
        for (const auto& o : e.due(t0 + 20s)) {
            CHECK(o.message.outage_id == 1);
            CHECK(o.message.kind == notification_kind::resolved);
        }
        CHECK(e.open_outages() == 0);
    }
    SUBCASE("the child is still down after its parent recovered: it escalates from then") {
        e.closed(1, t0 + 20s);
        const auto out = e.due(t0 + 20s);
        CHECK(summary(out) ==
              list{"ops:resolved:3", "kadis:resolved:3", "walikota:resolved:3", "ops:firing:1"});
        CHECK(out.back().message.outage_id == 2);
        CHECK(e.hold(2) == hold_kind::none);
        CHECK(e.due(t0 + 22s).empty());
        CHECK(summary(e.due(t0 + 23s)) == list{"kadis:firing:2"});
    }
}

TEST_CASE("escalator: a check's own depends_on") {
    escalator e(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    e.opened(1, "diskominfo", "uplink", "router", "connection refused", t0);
    // kia's siak check depends on the uplink, its portal check does not.
    CHECK(e.opened(2, "dukcapil", "kia", "siak", "timeout", t0).caused_by == 1);
    e.closed(2, t0 + 1s);
    CHECK(e.opened(3, "dukcapil", "kia", "portal", "http 500", t0 + 2s).caused_by == 0);
}

TEST_CASE("escalator: an outage inside a maintenance window is planned") {
    // 2026-12-05 is a Saturday.
    escalator e(load(R"(
maintenance:
  - {service: kia, weekly: {days: [sat], from: "22:00", to: "02:00"}, reason: backup}
)"));
    const wall_time t0 = wib(2026, 12, 5, 23, 0);
    const outage_marks marks = e.opened(4, "dukcapil", "kia", "portal", "http 503", t0);
    REQUIRE(marks.planned_until);
    CHECK(*marks.planned_until == wib(2026, 12, 6, 2, 0));
    CHECK(e.hold(4) == hold_kind::maintenance);
    CHECK(e.due(t0).empty());
    CHECK(e.next_due(t0) == wib(2026, 12, 6, 2, 0));

    SUBCASE("it recovers inside the window: nothing is sent at all") {
        e.closed(4, wib(2026, 12, 6, 1, 0));
        CHECK(e.due(wib(2026, 12, 6, 2, 0)).empty());
        CHECK(e.open_outages() == 0);
    }
    SUBCASE("it outlasts the window: escalation starts when the window ends") {
        CHECK(summary(e.due(wib(2026, 12, 6, 2, 0))) == list{"ops:firing:1"});
        CHECK(summary(e.due(wib(2026, 12, 6, 2, 0) + 3s)) == list{"kadis:firing:2"});
    }
    SUBCASE("another service of the agency is not covered") {
        CHECK_FALSE(e.opened(5, "dukcapil", "akta-online", "portal", "x", t0).planned_until);
    }
}

TEST_CASE("escalator: a window added at run time holds outages that open after it") {
    escalator e(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    maintenance_window w;
    w.id = "api-1";
    w.agency = "dukcapil";
    w.start = t0 - 1h;
    w.end = t0 + 1h;
    e.add_window(w);
    CHECK(e.opened(1, "dukcapil", "kia", "portal", "x", t0).planned_until == t0 + 1h);
    // A reload keeps windows added through the API.
    e.apply(load());
    CHECK(e.opened(2, "dukcapil", "akta-online", "portal", "x", t0).planned_until == t0 + 1h);
    CHECK(e.remove_window("api-1"));
    CHECK_FALSE(e.remove_window("api-1"));
    e.closed(2, t0 + 1s);
    CHECK_FALSE(e.opened(3, "dukcapil", "akta-online", "portal", "x", t0 + 2s).planned_until);
}

TEST_CASE("escalator: flapping is said once, and holds escalation until it stops") {
    escalator e(load());
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    const auto flap = e.flapping("dukcapil", "kia", "portal", true, 42.5, t0);
    REQUIRE(summary(flap) == list{"ops:flapping:0"});
    CHECK(flap[0].message.reason.find("42%") != std::string::npos);
    e.opened(9, "dukcapil", "kia", "portal", "http 503", t0 + 1s);
    CHECK(e.hold(9) == hold_kind::flapping);
    CHECK(e.due(t0 + 10s).empty());
    CHECK(e.flapping("dukcapil", "kia", "portal", false, 20.0, t0 + 20s).empty());
    CHECK(summary(e.due(t0 + 20s)) == list{"ops:firing:1"});
}

TEST_CASE("escalator: after a restart, sent steps are not repeated and missed ones go once") {
    const wall_time t0 = wib(2026, 12, 1, 9, 0);
    outage_record o;
    o.id = 12;
    o.agency = "dukcapil";
    o.service = "kia";
    o.started_at = t0;
    o.cause = "check portal: http 503";
    // Level 1 was queued before the daemon stopped.
    ledger_event queued;
    queued.kind = ledger_event_kind::notification_queued;
    queued.outage_id = 12;
    outbound sent;
    sent.channel = "ops";
    sent.step = {1, "ops", step_kind::notify, 0};
    sent.message.idempotency_key = escalator::key_of(12, sent.step);
    sent.message.level = 1;
    queued.data = outbound_to_json(sent);

    escalator e(load());
    // The daemon comes back at t0 + 10 s: levels 2 and 3 are late, each goes once.
    e.restore({o}, {queued}, t0 + 10s);
    const auto out = e.due(t0 + 10s);
    CHECK(summary(out) == list{"kadis:firing:2", "walikota:firing:3"});
    CHECK(out[0].message.check == "portal");
    CHECK(out[0].message.reason == "http 503");
    CHECK(e.due(t0 + 20s).empty());
    e.closed(12, t0 + 30s);
    CHECK(summary(e.due(t0 + 30s)) ==
          list{"ops:resolved:3", "kadis:resolved:3", "walikota:resolved:3"});
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
}
