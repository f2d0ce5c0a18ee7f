// The Bekasi detector (activity checks) and push checks (heartbeats): their judgement with a
// manual clock, and reading a counter out of JSON and Prometheus text.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "core/activity.hpp"
#include "core/heartbeat.hpp"
#include "core/metric_text.hpp"
#include "probes/activity_probe.hpp"

using namespace pantau;
using namespace std::chrono_literals;

namespace {

// Local time in WIB (UTC+7).
wall_clock::time_point wib(int y, unsigned m, unsigned d, int h, int min) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}} + hours{h} + minutes{min} - hours{7};
}

service_calendar office_hours() {
    service_calendar cal;
    cal.id = "jam-layanan";
    for (std::size_t day = 0; day < 4; ++day) { // mon-thu 07:30-16:00
        cal.week[day] = {{7h + 30min, 16h}};
    }
    cal.week[4] = {{7h + 30min, 11h + 30min}, {13h, 16h + 30min}}; // fri, with Friday prayers
    cal.utc_offset = 7h;
    return cal;
}

activity_rule tickets(const service_calendar* during) {
    activity_rule r;
    r.min_increase = 1;
    r.must_increase_within = 60min;
    r.what = "tickets served";
    r.source = "/antrian/dilayani_hari_ini";
    r.during = during;
    return r;
}

} // namespace

TEST_CASE("activity: an advancing counter stays up") {
    const service_calendar cal = office_hours();
    activity_tracker t(tickets(&cal));
    auto at = wib(2026, 11, 30, 8, 0); // Monday
    CHECK(t.observe(400, at).status == probe_status::success);
    for (int i = 1; i <= 8; ++i) {
        at += 15min;
        const auto v = t.observe(400 + i * 3, at);
        CHECK(v.status == probe_status::success);
    }
    const auto v = t.observe(430, at + 15min);
    CHECK(v.status == probe_status::success);
    CHECK(v.reason == "6 tickets served in 15m (value 430)");
}

TEST_CASE("activity: a stalled counter is down after must_increase_within, with the value") {
    const service_calendar cal = office_hours();
    activity_tracker t(tickets(&cal));
    const auto start = wib(2026, 11, 30, 9, 0);
    CHECK(t.observe(417, start).status == probe_status::success);
    const auto waiting = t.observe(417, start + 59min);
    CHECK(waiting.status == probe_status::success); // not yet: 59 of 60 minutes
    const auto stalled = t.observe(417, start + 60min);
    CHECK(stalled.status == probe_status::failure);
    CHECK(stalled.reason == "no tickets served for 60m during service hours (value stuck at 417)");
    // Still stuck later: still down, and the reason says for how long.
    const auto later = t.observe(417, start + 95min);
    CHECK(later.status == probe_status::failure);
    CHECK(later.reason == "no tickets served for 95m during service hours (value stuck at 417)");
    // Service resumes: up at once.
    const auto resumed = t.observe(418, start + 100min);
    CHECK(resumed.status == probe_status::success);
}

TEST_CASE("activity: fewer than min_increase is down, naming how many were served") {
    const service_calendar cal = office_hours();
    activity_rule rule = tickets(&cal);
    rule.min_increase = 5;
    activity_tracker t(rule);
    const auto start = wib(2026, 11, 30, 9, 0);
    t.observe(100, start);
    t.observe(102, start + 30min);
    const auto v = t.observe(102, start + 60min);
    CHECK(v.status == probe_status::failure);
    CHECK(v.reason ==
          "only 2 tickets served in 60m during service hours, at least 5 expected (value 102)");
}

TEST_CASE("activity: a counter reset at midnight counts from zero, not as a fall") {
    activity_tracker t(tickets(nullptr)); // 24-hour service (no `during`)
    auto at = wib(2026, 11, 30, 23, 40);
    t.observe(410, at);
    CHECK(t.observe(417, at + 10min).status == probe_status::success); // 23:50
    // 00:00: the day's counter starts again at 0; 00:10 two served since.
    const auto reset = t.observe(0, at + 20min);
    CHECK(reset.status == probe_status::success);
    const auto after = t.observe(2, at + 30min);
    CHECK(after.status == probe_status::success);
    CHECK(after.reason == "2 tickets served in 20m (value 2)");
    // A reset straight to a higher count counts that count.
    activity_tracker u(tickets(nullptr));
    u.observe(417, at);
    const auto jumped = u.observe(3, at + 20min);
    CHECK(jumped.status == probe_status::success);
    CHECK(jumped.reason == "3 tickets served in 20m (value 3, after a counter reset)");
    // And a reset followed by nothing is a stall measured from the last increase.
    activity_tracker w(tickets(nullptr));
    w.observe(417, at);
    w.observe(0, at + 20min);
    const auto stuck = w.observe(0, at + 60min);
    CHECK(stuck.status == probe_status::failure);
    CHECK(stuck.reason == "no tickets served for 60m (value stuck at 0)");
}

TEST_CASE("activity: only service hours count, and each opening starts a new watch") {
    const service_calendar cal = office_hours();
    activity_tracker t(tickets(&cal));
    CHECK_FALSE(t.applies(wib(2026, 11, 30, 7, 0)));  // Monday before opening
    CHECK(t.applies(wib(2026, 11, 30, 7, 30)));       // opening
    CHECK_FALSE(t.applies(wib(2026, 11, 30, 16, 0))); // Monday closing
    CHECK(t.applies(wib(2026, 12, 4, 16, 15)));       // Friday opens until 16:30
    CHECK_FALSE(t.applies(wib(2026, 12, 4, 12, 0)));  // Friday prayers
    CHECK_FALSE(t.applies(wib(2026, 12, 5, 10, 0)));  // Saturday

    // Friday 11:00 last ticket; break 11:30-13:00 does not count: at 13:45 only 75 minutes
    // have passed in hours... minus the break = 30 + 45 = 75m > 60m: down.
    const auto fri = wib(2026, 12, 4, 11, 0);
    t.observe(50, fri);
    const auto before_break = t.observe(50, wib(2026, 12, 4, 13, 20)); // 30m + 20m = 50m
    CHECK(before_break.status == probe_status::success);
    const auto after_break = t.observe(50, wib(2026, 12, 4, 13, 30)); // 30m + 30m = 60m
    CHECK(after_break.status == probe_status::failure);
    CHECK(after_break.reason ==
          "no tickets served for 60m during service hours (value stuck at 50)");

    // Closed over the weekend: the probe reports idle and forgets the watch; Monday's
    // first reading (even with the same value) starts a fresh hour.
    t.idle();
    const auto monday = wib(2026, 12, 7, 7, 30);
    CHECK(t.observe(50, monday).status == probe_status::success);
    CHECK(t.observe(50, monday + 59min).status == probe_status::success);
    CHECK(t.observe(50, monday + 60min).status == probe_status::failure);
}

TEST_CASE("activity: without what, the reason names the source") {
    activity_rule rule = tickets(nullptr);
    rule.what.clear();
    activity_tracker t(rule);
    const auto at = wib(2026, 11, 30, 9, 0);
    t.observe(7.5, at);
    const auto v = t.observe(7.5, at + 2h);
    CHECK(v.reason == "no increase of /antrian/dilayani_hari_ini for 2h (value stuck at 7.5)");
    CHECK(format_elapsed(3h + 5min) == "3h5m");
    CHECK(format_elapsed(45s) == "45s");
}

TEST_CASE("heartbeat: on time, late, and never") {
    const heartbeat_rule rule{24h, 30min};
    const auto start = wib(2026, 11, 28, 0, 0);
    const auto beat = wib(2026, 11, 28, 2, 14);
    // On time: within 24h30m of the last one.
    auto v = judge_heartbeat(rule, beat, start, beat + 24h + 29min);
    CHECK(v.status == probe_status::success);
    CHECK(v.reason == "last heartbeat 24h29m ago");
    // Late.
    v = judge_heartbeat(rule, beat, start, beat + 24h + 31min);
    CHECK(v.status == probe_status::failure);
    CHECK(v.reason == "no heartbeat for 24h31m (expected every 24h + 30m grace)");
    // Never arrived: counted from when Pantau began watching.
    v = judge_heartbeat(rule, std::nullopt, start, start + 2h);
    CHECK(v.status == probe_status::success);
    v = judge_heartbeat(rule, std::nullopt, start, start + 25h);
    CHECK(v.status == probe_status::failure);
    CHECK(v.reason ==
          "no heartbeat since Pantau began watching 25h ago (expected every 24h + 30m grace)");
}

TEST_CASE("metric text: selectors and sums of matching samples") {
    std::string error;
    const auto sel = parse_metric_selector(R"(antrian_dilayani_total{kantor="bekasi"})", error);
    REQUIRE(sel);
    CHECK(sel->name == "antrian_dilayani_total");
    CHECK(to_string(*sel) == R"(antrian_dilayani_total{kantor="bekasi"})");
    CHECK_FALSE(parse_metric_selector("{a=\"b\"}", error));
    CHECK_FALSE(parse_metric_selector("x{a=b}", error));
    CHECK_FALSE(parse_metric_selector("x y", error));

    const std::string page = R"(# HELP antrian_dilayani_total Tickets served today.
# TYPE antrian_dilayani_total counter
antrian_dilayani_total{kantor="bekasi",loket="1"} 200
antrian_dilayani_total{kantor="bekasi",loket="2"} 217 1764300000000
antrian_dilayani_total{kantor="bogor",loket="1"} 90
antrian_dilayani_total_created{kantor="bekasi",loket="1"} 1.7643e9
antrian_menunggu{kantor="bekasi"} 12
)";
    const metric_reading r = read_metric(page, *sel);
    CHECK(r.samples == 2);
    CHECK(r.sum == doctest::Approx(417));
    const auto one =
        parse_metric_selector(R"(antrian_dilayani_total{loket="1", kantor="bogor"})", error);
    REQUIRE(one);
    CHECK(read_metric(page, *one).sum == doctest::Approx(90));
    const auto absent = parse_metric_selector("antrian_batal_total", error);
    REQUIRE(absent);
    CHECK(read_metric(page, *absent).samples == 0);
}

TEST_CASE("activity: reading the value from JSON and Prometheus text") {
    activity_check spec;
    spec.pointer = "/antrian/dilayani_hari_ini";
    std::string error;
    CHECK(read_activity_value(spec, R"({"antrian": {"dilayani_hari_ini": 417}})", error) == 417);
    CHECK(read_activity_value(spec, R"({"antrian": {"dilayani_hari_ini": "418"}})", error) == 418);
    CHECK_FALSE(read_activity_value(spec, R"({"antrian": {}})", error));
    CHECK(error == "no value at /antrian/dilayani_hari_ini in the answer");
    CHECK_FALSE(read_activity_value(spec, R"({"antrian": {"dilayani_hari_ini": "tutup"}})", error));
    CHECK(error == R"(value at /antrian/dilayani_hari_ini is "tutup", not a number)");
    CHECK_FALSE(read_activity_value(spec, "<html>maintenance</html>", error));
    CHECK(error == "the answer is not JSON (reading /antrian/dilayani_hari_ini)");

    activity_check prom;
    prom.metric = parse_metric_selector("tickets_total", error);
    CHECK(read_activity_value(prom, "tickets_total 5\n", error) == 5);
    CHECK_FALSE(read_activity_value(prom, "other_total 5\n", error));
    CHECK(error == "metric tickets_total is not in the answer");
}
