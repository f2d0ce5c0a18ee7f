// The real pantau binary against loopback services: detection, metrics, reload, shutdown.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

std::string config_for(const fixture_server& srv, const std::string& extra_service = "") {
    return "listen: 127.0.0.1:0\n"
           "admin_token: rahasia\n"
           "defaults: {interval: 1s, timeout: 800ms, retry_interval: 1s, failure_threshold: 2}\n"
           "agencies:\n"
           "  - {id: dukcapil, name: Dinas Kependudukan}\n"
           "services:\n"
           "  - id: akta\n"
           "    name: Akta Online\n"
           "    agency: dukcapil\n"
           "    checks:\n"
           "      - id: portal\n"
           "        http: {url: \"" +
           srv.url("/akta") +
           "\"}\n"
           "  - id: ktp\n"
           "    agency: dukcapil\n"
           "    checks:\n"
           "      - id: portal\n"
           "        http: {url: \"" +
           srv.url("/ok") + "\"}\n" + extra_service;
}

// Waits for `pantau run` to listen and returns its base URL.
std::string start(child_process& p) {
    std::string base = wait_for_base_url(p);
    REQUIRE_MESSAGE(!base.empty(), p.output());
    return base;
}

bool metric_has(const std::string& base, const std::string& line) {
    return http_get(base + "/metrics").body.find(line) != std::string::npos;
}

// Waits until /metrics shows pantau_service_up{agency,service} == value.
bool service_up_becomes(const std::string& base, const std::string& agency,
                        const std::string& service, int value, std::chrono::milliseconds timeout) {
    const std::string line = "pantau_service_up{agency=\"" + agency + "\",service=\"" + service +
                             "\"} " + std::to_string(value);
    return eventually([&] { return metric_has(base, line); }, timeout);
}

} // namespace

TEST_CASE("daemon: detects an outage and recovery, visible in /metrics and the log") {
    fixture_server srv;
    srv.set_status("/akta", 200);
    temp_dir dir;
    const auto cfg = dir.write("pantau.yaml", config_for(srv));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);

    CHECK(http_get(base + "/-/healthy").status == 200);
    CHECK(http_get(base + "/-/ready").status == 200);

    const std::string akta = R"({agency="dukcapil",service="akta",check="portal"})";
    REQUIRE(service_up_becomes(base, "dukcapil", "akta", 1, 10s));
    const std::string metrics = http_get(base + "/metrics").body;
    CHECK(metrics.find("probe_success" + akta + " 1") != std::string::npos);
    CHECK(metrics.find("probe_http_status_code" + akta + " 200") != std::string::npos);
    CHECK(
        metrics.find(
            R"(pantau_check_state{agency="dukcapil",service="akta",check="portal",state="up"} 1)") !=
        std::string::npos);
    CHECK(
        metrics.find(
            R"(probe_http_duration_seconds{agency="dukcapil",service="akta",check="portal",phase="connect"})") !=
        std::string::npos);
    CHECK(metrics.find(R"(pantau_probes_total{type="http",result="success"})") !=
          std::string::npos);
    CHECK(metrics.find("pantau_schedule_lag_seconds_bucket") != std::string::npos);
    CHECK(metrics.find(R"(pantau_build_info{version=")") != std::string::npos);

    srv.set_status("/akta", 503);
    REQUIRE(service_up_becomes(base, "dukcapil", "akta", 0, 10s));
    CHECK(p.wait_for_output("service dukcapil/akta is DOWN: check portal: http 503", 5s));
    CHECK(metric_has(base, "probe_http_status_code" + akta + " 503"));
    CHECK(metric_has(base, R"(pantau_service_up{agency="dukcapil",service="ktp"} 1)"));
    // Soft state first: one failure is PENDING, the second (after retry_interval) DOWN.
    CHECK(p.wait_for_output("check dukcapil/akta/portal up -> pending: http 503", 5s));

    srv.set_status("/akta", 200);
    REQUIRE(service_up_becomes(base, "dukcapil", "akta", 1, 10s));
    CHECK(p.wait_for_output("service dukcapil/akta is UP again", 5s));

    p.signal(SIGTERM);
    const auto code = p.wait(5s);
    REQUIRE(code);
    CHECK(*code == 0);
}

TEST_CASE("daemon: a bad reload keeps the running configuration, a good one applies") {
    fixture_server srv;
    srv.set_status("/akta", 200);
    temp_dir dir;
    const auto cfg = dir.write("pantau.yaml", config_for(srv));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);
    REQUIRE(service_up_becomes(base, "dukcapil", "akta", 1, 10s));

    dir.write("pantau.yaml", config_for(srv) + "    bogus: 1\n");
    p.signal(SIGHUP);
    REQUIRE(p.wait_for_output("reload (SIGHUP) rejected", 5s));
    CHECK(p.wait_for_output("pantau.yaml:18:5: unknown key", 5s));
    CHECK(metric_has(base, "pantau_config_last_reload_success 0"));
    CHECK(metric_has(base, R"(pantau_service_up{agency="dukcapil",service="akta"} 1)"));

    // HTTP reload needs the admin token.
    CHECK(http_post(base + "/-/reload", "").status == 401);
    CHECK(http_post(base + "/-/reload", "salah").status == 401);
    CHECK(http_post(base + "/-/reload", "rahasia").status == 400);

    dir.write("pantau.yaml", config_for(srv, "  - id: kia\n"
                                             "    agency: dukcapil\n"
                                             "    checks:\n"
                                             "      - id: portal\n"
                                             "        http: {url: \"" +
                                                 srv.url("/ok") + "\"}\n"));
    const auto reply = http_post(base + "/-/reload", "rahasia");
    CHECK(reply.status == 200);
    CHECK(metric_has(base, "pantau_config_last_reload_success 1"));
    REQUIRE(service_up_becomes(base, "dukcapil", "kia", 1, 10s));
    // Unchanged checks kept their state through the reload.
    CHECK(metric_has(base, R"(pantau_service_up{agency="dukcapil",service="akta"} 1)"));
    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 0);
}

TEST_CASE("daemon: SIGTERM stops promptly even with probes hanging") {
    fixture_server srv;
    temp_dir dir;
    const auto cfg = dir.write("pantau.yaml", "listen: 127.0.0.1:0\n"
                                              "defaults: {interval: 10s, timeout: 9s}\n"
                                              "agencies: [{id: a, name: A}]\n"
                                              "services:\n"
                                              "  - id: s\n"
                                              "    agency: a\n"
                                              "    checks: [{id: hang, http: {url: \"" +
                                                  srv.url("/hang") + "\"}}]\n");
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    start(p);
    REQUIRE(srv.wait_for_hits("/hang", 1, 15s));
    const auto t0 = std::chrono::steady_clock::now();
    p.signal(SIGTERM);
    const auto code = p.wait(5s);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}

TEST_CASE("cli: check-config reports FILE:LINE:COL and exits non-zero") {
    temp_dir dir;
    const auto good = dir.write("good.yaml", "agencies: [{id: a, name: A}]\n"
                                             "services:\n"
                                             "  - id: s\n"
                                             "    agency: a\n"
                                             "    checks:\n"
                                             "      - id: c\n"
                                             "        http: {url: \"https://example.go.id/\"}\n");
    const auto ok = run_program({PANTAU_BINARY, "check-config", good});
    CHECK(ok.exit_code == 0);
    CHECK(ok.output.find("OK") != std::string::npos);

    const auto bad = dir.write("bad.yaml", "agencies: [{id: a, name: A}]\n"
                                           "services:\n"
                                           "  - id: s\n"
                                           "    agency: a\n"
                                           "    checks:\n"
                                           "      - id: c\n"
                                           "        intervall: 30s\n"
                                           "        http: {url: \"https://example.go.id/\"}\n");
    const auto res = run_program({PANTAU_BINARY, "check-config", bad});
    CHECK(res.exit_code != 0);
    CHECK_MESSAGE(res.output.find(bad + ":7:9:") == 0, res.output);
    CHECK(res.output.find("did you mean \"interval\"") != std::string::npos);

    const auto missing =
        run_program({PANTAU_BINARY, "check-config", dir.path.string() + "/nope.yaml"});
    CHECK(missing.exit_code != 0);
    CHECK(missing.output.find("nope.yaml") != std::string::npos);
}

TEST_CASE("cli: probe prints what it saw and exits 0/1") {
    fixture_server srv;
    const auto ok = run_program({PANTAU_BINARY, "probe", srv.url("/ok")});
    CHECK(ok.exit_code == 0);
    CHECK(ok.output.find("result: success") != std::string::npos);
    CHECK(ok.output.find("status: 200") != std::string::npos);
    CHECK(ok.output.find("phases: resolve=") != std::string::npos);

    const auto down = run_program({PANTAU_BINARY, "probe", srv.url("/status/503")});
    CHECK(down.exit_code == 1);
    CHECK(down.output.find("reason: http 503") != std::string::npos);

    const auto expected =
        run_program({PANTAU_BINARY, "probe", srv.url("/status/503"), "--expect-status", "200,503"});
    CHECK(expected.exit_code == 0);

    const auto usage = run_program({PANTAU_BINARY, "probe", "--bogus"});
    CHECK(usage.exit_code == 2);
    CHECK(usage.output.find("Usage: pantau probe") != std::string::npos);
}

TEST_CASE("cli: --version and --help") {
    const auto v = run_program({PANTAU_BINARY, "--version"});
    CHECK(v.exit_code == 0);
    CHECK(v.output.rfind("pantau ", 0) == 0);
    for (const char* cmd : {"run", "demo", "check-config", "probe"}) {
        const auto h = run_program({PANTAU_BINARY, cmd, "--help"});
        CHECK(h.exit_code == 0);
        CHECK(h.output.find(std::string("Usage: pantau ") + cmd) != std::string::npos);
    }
    CHECK(run_program({PANTAU_BINARY, "frobnicate"}).exit_code == 2);
}

TEST_CASE("demo: a service goes down and recovers within a minute") {
    temp_dir dir;
    child_process p({PANTAU_BINARY, "demo", "--listen", "127.0.0.1:0", "--dir",
                     (dir.path / "demo").string(), "--for", "80s"});
    const std::string base = start(p);
    CHECK(p.wait_for_output("status page:", 5s)); // the banner follows the log line
    REQUIRE(service_up_becomes(base, "dinkes", "janji-temu", 1, 15s));
    REQUIRE(service_up_becomes(base, "dukcapil", "akta-online", 0, 40s));
    CHECK(p.wait_for_output("service dukcapil/akta-online is DOWN: check portal: http 503", 5s));
    REQUIRE(service_up_becomes(base, "dukcapil", "akta-online", 1, 40s));
    CHECK(p.wait_for_output("service dukcapil/akta-online is UP again", 5s));
    p.signal(SIGINT);
    CHECK(p.wait(5s) == 0);
}

TEST_CASE("daemon: the status page and /api/v1/services show a down and an up service") {
    fixture_server srv;
    srv.set_status("/akta", 503);
    temp_dir dir;
    const auto cfg = dir.write("pantau.yaml",
                               "ledger: " + (dir.path / "ledger.db").string() + "\n" +
                                   "status_page: {title: \"Kota <Contoh>\", footer: Diskominfo}\n" +
                                   config_for(srv, "  - id: kia\n"
                                                   "    name: \"<script>alert(1)</script>\"\n"
                                                   "    agency: dukcapil\n"
                                                   "    checks: [{id: portal, http: {url: \"" +
                                                       srv.url("/ok") + "\"}}]\n"));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);
    REQUIRE(service_up_becomes(base, "dukcapil", "akta", 0, 10s));
    REQUIRE(service_up_becomes(base, "dukcapil", "ktp", 1, 10s));
    REQUIRE(service_up_becomes(base, "dukcapil", "kia", 1, 10s));

    const auto page = http_get(base + "/");
    REQUIRE(page.status == 200);
    const auto has = [](const std::string& body, const std::string& text) {
        return body.find(text) != std::string::npos;
    };
    CHECK(has(page.body, "<html lang=\"id\">"));
    CHECK(has(page.body, "<title>Kota &lt;Contoh&gt;</title>"));
    CHECK(has(page.body, "1 layanan sedang mengalami gangguan"));
    CHECK(has(page.body, "<li class=\"svc st-down\"><div class=\"svc-top\"><span "
                         "class=\"svc-name\">Akta Online</span>"));
    CHECK(has(page.body, "</span>Gangguan</span>"));
    // A service without a name shows its id.
    CHECK(has(page.body, "<li class=\"svc st-up\"><div class=\"svc-top\"><span "
                         "class=\"svc-name\">ktp</span>"));
    CHECK(has(page.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    CHECK_FALSE(has(page.body, "<script>alert(1)"));
    CHECK(has(page.body, "<td data-label=\"Penyebab\">check portal: http 503</td>"));
    CHECK(has(page.body, "<p>Diskominfo</p>"));

    const auto en = http_get(base + "/?lang=en");
    CHECK(has(en.body, "<html lang=\"en\">"));
    CHECK(has(en.body, "1 service is down"));
    CHECK(has(en.body, "</span>Down</span>"));
    CHECK(has(en.body, "</span>Operational</span>"));
    CHECK(http_get(base + "/status.js").body.find("theme-toggle") != std::string::npos);
    CHECK(http_get(base + "/nope").status == 404);

    const auto api = http_get(base + "/api/v1/services");
    REQUIRE(api.status == 200);
    const auto json = nlohmann::json::parse(api.body);
    REQUIRE(json["agencies"].size() == 1);
    CHECK(json["agencies"][0]["name"] == "Dinas Kependudukan");
    const auto& services = json["agencies"][0]["services"];
    REQUIRE(services.size() == 3);
    CHECK(services[0]["id"] == "akta");
    CHECK(services[0]["state"] == "down");
    CHECK(services[0]["open_outage"].is_number_integer());
    CHECK(services[0]["checks"][0]["state"] == "down");
    CHECK(services[0]["checks"][0]["reason"] == "http 503");
    CHECK(services[0]["since"].get<std::string>().ends_with("+07:00"));
    CHECK(services[1]["state"] == "up");
    CHECK(services[1]["open_outage"].is_null());
    CHECK(json["services"].size() == 3);

    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 0);
}
