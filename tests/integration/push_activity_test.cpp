// Heartbeat (push) and activity (the Bekasi detector) checks in the real daemon, against
// loopback counters served by the test.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

std::string start(child_process& p) {
    std::string base = wait_for_base_url(p);
    REQUIRE_MESSAGE(!base.empty(), p.output());
    return base;
}

// The check `check` of service `service` as /api/v1/services shows it.
nlohmann::json check_of(const std::string& base, const std::string& service,
                        const std::string& check) {
    const auto reply = http_get(base + "/api/v1/services");
    if (reply.status != 200) {
        return nullptr;
    }
    const auto doc = nlohmann::json::parse(reply.body);
    for (const auto& s : doc["services"]) {
        if (s["id"] != service) {
            continue;
        }
        for (const auto& c : s["checks"]) {
            if (c["id"] == check) {
                nlohmann::json out = c;
                out["service_state"] = s["state"];
                out["service_cause"] = s["cause"];
                return out;
            }
        }
    }
    return nullptr;
}

bool state_becomes(const std::string& base, const std::string& service, const std::string& check,
                   const std::string& state, std::chrono::milliseconds timeout) {
    return eventually([&] { return check_of(base, service, check)["state"] == state; }, timeout);
}

const std::string head = "listen: 127.0.0.1:0\n"
                         "timezone: UTC\n"
                         "agencies:\n"
                         "  - {id: bappeda, name: Bappeda}\n"
                         "services:\n";

std::string heartbeat_config(const std::string& ledger) {
    return "ledger: " + ledger + "\n" + head +
           "  - id: sinkron\n"
           "    agency: bappeda\n"
           "    checks:\n"
           "      - id: harian\n"
           "        interval: 2s\n"
           "        timeout: 500ms\n"
           "        heartbeat: {expect_every: 2s, grace: 1s, token: jobtoken}\n";
}

std::string beat_url(const std::string& base) {
    return base + "/api/v1/heartbeat/sinkron/harian";
}

} // namespace

TEST_CASE("heartbeat: the API and `pantau probe heartbeat` report in, and a heartbeat brings "
          "the check up") {
    // Lateness, recovery and restarts are covered with a manual clock in
    // tests/unit/runtime_test.cpp; this is the HTTP API and the CLI end to end.
    temp_dir dir;
    const auto cfg = dir.write("pantau.yaml", heartbeat_config((dir.path / "l.db").string()));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);

    // The API: wrong token, unknown check, wrong method.
    CHECK(http_post(beat_url(base), "wrong").status == 401);
    CHECK(http_post(base + "/api/v1/heartbeat/sinkron/mingguan", "jobtoken").status == 404);
    CHECK(http_get(beat_url(base)).status == 405);

    const auto first = http_post(beat_url(base), "jobtoken");
    REQUIRE(first.status == 200);
    const auto answer = nlohmann::json::parse(first.body);
    CHECK(answer["service"] == "sinkron");
    CHECK(answer["check"] == "harian");
    CHECK(answer["recorded"] == true);
    CHECK(answer.contains("next_due_by"));
    REQUIRE(state_becomes(base, "sinkron", "harian", "up", 5s));

    // As a job would: `pantau probe heartbeat`, the token read from the configuration.
    const auto sent = run_program(
        {PANTAU_BINARY, "probe", "heartbeat", "sinkron/harian", "--config", cfg, "--url", base});
    REQUIRE_MESSAGE(sent.exit_code == 0, sent.output);
    CHECK(sent.output.find("next_due_by: ") != std::string::npos);
    const auto refused = run_program(
        {PANTAU_BINARY, "probe", "heartbeat", "sinkron/harian", "--token", "wrong", "--url", base});
    CHECK(refused.exit_code == 1);
    CHECK(refused.output.find("heartbeat refused (HTTP 401)") != std::string::npos);
    CHECK(check_of(base, "sinkron", "harian")["reason"].get<std::string>().find(
              "last heartbeat ") == 0);
}

namespace {

// A queue-ticket page: {"antrian": {"dilayani_hari_ini": N}} where N comes from `counter`.
void serve_counter(fixture_server& srv, const std::string& path, std::atomic<long>& counter,
                   long step) {
    srv.set_handler(path, [&counter, step](const request&) {
        response r;
        const long n = counter.fetch_add(step) + step;
        r.headers.emplace_back("Content-Type", "application/json");
        r.body = R"({"antrian": {"dilayani_hari_ini": )" + std::to_string(n) + "}}";
        return r;
    });
}

std::string activity_service(const std::string& id, const std::string& activity) {
    return "  - id: " + id +
           "\n"
           "    agency: bappeda\n"
           "    checks:\n"
           "      - id: antrian\n"
           "        interval: 300ms\n"
           "        timeout: 300ms\n"
           "        failure_threshold: 1\n"
           "        activity: " +
           activity + "\n";
}

} // namespace

TEST_CASE("activity: an advancing counter is up, a stalled one is DOWN with the value") {
    fixture_server srv;
    std::atomic<long> moving{400};
    std::atomic<long> stuck{417};
    serve_counter(srv, "/moving.json", moving, 1);
    serve_counter(srv, "/stuck.json", stuck, 0);
    srv.set_handler("/metrics", [&moving](const request&) {
        response r;
        r.body = "# TYPE tickets_total counter\ntickets_total{loket=\"1\"} " +
                 std::to_string(moving.load()) + "\ntickets_total{loket=\"2\"} 3\n";
        return r;
    });
    temp_dir dir;
    const std::string within = "must_increase_within: 1500ms, what: tickets served}";
    const auto cfg = dir.write(
        "pantau.yaml",
        "ledger: " + (dir.path / "l.db").string() + "\n" + head +
            activity_service("buka", "{url: \"" + srv.url("/moving.json") +
                                         "\", value: /antrian/dilayani_hari_ini, " + within) +
            activity_service("macet", "{url: \"" + srv.url("/stuck.json") +
                                          "\", value: /antrian/dilayani_hari_ini, " + within) +
            activity_service("prom", "{url: \"" + srv.url("/metrics") +
                                         "\", metric: 'tickets_total{loket=\"1\"}', " + within));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);

    REQUIRE(state_becomes(base, "macet", "antrian", "down", 8s));
    const auto stalled = check_of(base, "macet", "antrian");
    CHECK(stalled["service_state"] == "down");
    const std::string cause = stalled["service_cause"];
    CHECK(cause.find("check antrian: no tickets served for ") == 0);
    CHECK(cause.find(" (value stuck at 417)") != std::string::npos);
    CHECK(cause.find("during service hours") == std::string::npos); // no `during`: all hours

    const auto open = check_of(base, "buka", "antrian");
    CHECK(open["state"] == "up");
    CHECK(open["reason"].get<std::string>().find("tickets served in") != std::string::npos);
    CHECK(check_of(base, "prom", "antrian")["state"] == "up");
    CHECK(http_get(base + "/metrics")
              .body.find("pantau_service_up{agency=\"bappeda\",service="
                         "\"buka\"} 1") != std::string::npos);

    // Service resumes at the stalled office: up again.
    serve_counter(srv, "/stuck.json", stuck, 2);
    CHECK(state_becomes(base, "macet", "antrian", "up", 5s));
}

TEST_CASE("activity: a counter that resets at midnight is not an outage") {
    fixture_server srv;
    std::atomic<long> requests{0};
    // 410, 411, ... 417, then the new day: 0, 0, 1, 2, ...
    srv.set_handler("/stats.json", [&requests](const request&) {
        const long i = requests.fetch_add(1);
        const long value = i < 8 ? 410 + i : (i - 9 < 0 ? 0 : i - 9);
        response r;
        r.body = R"({"antrian": {"dilayani_hari_ini": )" + std::to_string(value) + "}}";
        return r;
    });
    temp_dir dir;
    const auto cfg = dir.write(
        "pantau.yaml", "ledger: " + (dir.path / "l.db").string() + "\n" + head +
                           activity_service("kk", "{url: \"" + srv.url("/stats.json") +
                                                      "\", value: /antrian/dilayani_hari_ini, "
                                                      "must_increase_within: 2s}"));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);
    bool saw_reset = false;
    REQUIRE(eventually(
        [&] {
            const auto c = check_of(base, "kk", "antrian");
            CHECK(c["state"] != "down");
            saw_reset =
                saw_reset || (c["reason"].is_string() &&
                              c["reason"].get<std::string>().find("value 0") != std::string::npos);
            return requests.load() >= 20;
        },
        15s));
    CHECK(saw_reset);
    CHECK(check_of(base, "kk", "antrian")["state"] == "up");
    const auto outages = nlohmann::json::parse(http_get(base + "/api/v1/outages").body);
    CHECK(outages["outages"].empty());
}

TEST_CASE("activity: outside its service hours the check is idle, neither up nor down") {
    fixture_server srv;
    std::atomic<long> stuck{417};
    serve_counter(srv, "/stuck.json", stuck, 0);
    // Open for one hour starting two hours from now (UTC): closed now.
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    const int open = (utc.tm_hour + 2) % 24;
    char hours[32];
    std::snprintf(hours, sizeof hours, "\"%02d:00-%02d:00\"", open, open + 1);
    temp_dir dir;
    const auto cfg =
        dir.write("pantau.yaml",
                  "ledger: " + (dir.path / "l.db").string() +
                      "\ncalendars:\n  nanti: {hours: {daily: " + hours + "}}\n" + head +
                      activity_service("malam", "{url: \"" + srv.url("/stuck.json") +
                                                    "\", value: /antrian/dilayani_hari_ini, "
                                                    "must_increase_within: 300ms, during: nanti}"));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);
    REQUIRE(state_becomes(base, "malam", "antrian", "idle", 5s));
    const auto c = check_of(base, "malam", "antrian");
    CHECK(c["service_state"] == "idle");
    CHECK(c["reason"] == "outside service hours (nanti)");
    const std::string metrics = http_get(base + "/metrics").body;
    CHECK(
        metrics.find(
            R"(pantau_check_state{agency="bappeda",service="malam",check="antrian",state="idle"} 1)") !=
        std::string::npos);
    CHECK(metrics.find(R"(pantau_service_up{agency="bappeda",service="malam"})") ==
          std::string::npos);
    CHECK(srv.hits("/stuck.json") == 0); // nothing is fetched while closed
    const std::string page = http_get(base + "/?lang=en").body;
    // "Outside service hours" on the status page, not down.
    CHECK(page.find(R"(<li class="svc st-idle")") != std::string::npos);
    CHECK(page.find(R"(<li class="svc st-down")") == std::string::npos);
    // Stays idle, never down, although the counter never moves: judged a few more times.
    const auto idle_runs = [&] {
        const std::string m = http_get(base + "/metrics").body;
        const std::string series = R"(pantau_probes_total{type="activity",result="idle"} )";
        const auto at = m.find(series);
        return at == std::string::npos ? 0L : std::stol(m.substr(at + series.size()));
    };
    const long runs = idle_runs();
    REQUIRE(eventually([&] { return idle_runs() >= runs + 3; }, 10s));
    CHECK(check_of(base, "malam", "antrian")["state"] == "idle");
}

TEST_CASE("activity: pantau probe activity reads the counter and judges a second reading") {
    fixture_server srv;
    std::atomic<long> moving{400};
    std::atomic<long> stuck{417};
    serve_counter(srv, "/moving.json", moving, 1);
    serve_counter(srv, "/stuck.json", stuck, 0);
    const auto once = run_program({PANTAU_BINARY, "probe", "activity", srv.url("/stuck.json"),
                                   "--value", "/antrian/dilayani_hari_ini"});
    CHECK(once.exit_code == 0);
    CHECK(once.output.find("reason: value 417") != std::string::npos);
    const auto advancing = run_program({PANTAU_BINARY, "probe", "activity", srv.url("/moving.json"),
                                        "--value", "/antrian/dilayani_hari_ini", "--within",
                                        "300ms", "--what", "tickets served"});
    CHECK(advancing.exit_code == 0);
    CHECK(advancing.output.find("reason: 1 tickets served in") != std::string::npos);
    const auto stalled = run_program({PANTAU_BINARY, "probe", "activity", srv.url("/stuck.json"),
                                      "--value", "/antrian/dilayani_hari_ini", "--within", "300ms",
                                      "--what", "tickets served"});
    CHECK(stalled.exit_code == 1);
    CHECK(stalled.output.find("reason: no tickets served for 3") != std::string::npos); // 3xx ms
    CHECK(stalled.output.find("ms (value stuck at 417)") != std::string::npos);
    const auto missing = run_program({PANTAU_BINARY, "probe", "activity", srv.url("/stuck.json"),
                                      "--value", "/antrian/menunggu"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.output.find("no value at /antrian/menunggu in the answer") != std::string::npos);
}
