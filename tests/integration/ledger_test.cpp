// The ledger end to end: outages survive kill -9, the dead time is a monitoring gap, the
// report shows it all, and tampering is caught. Exact durations and gap bounds are covered
// with a manual clock in tests/unit/runtime_test.cpp; here nothing waits for a fixed time.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

std::string base_url(child_process& p) {
    std::string base = wait_for_base_url(p);
    REQUIRE_MESSAGE(!base.empty(), p.output());
    return base;
}

// The outages of one service from the API.
json outages_of(const std::string& base, const std::string& service) {
    const auto reply = http_get(base + "/api/v1/outages?service=" + service);
    if (reply.status != 200) {
        return json::array();
    }
    return json::parse(reply.body)["outages"];
}

bool has_open_outage(const std::string& base, const std::string& service) {
    for (const auto& o : outages_of(base, service)) {
        if (o["ended_at"].is_null()) {
            return true;
        }
    }
    return false;
}

bool has_closed_outage(const std::string& base, const std::string& service, std::size_t n) {
    std::size_t closed = 0;
    for (const auto& o : outages_of(base, service)) {
        closed += o["ended_at"].is_null() ? 0 : 1;
    }
    return closed >= n;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string today_local(int offset_hours) {
    const std::time_t t = std::time(nullptr) + offset_hours * 3600;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

} // namespace

TEST_CASE("ledger: two outages, kill -9 during the second, report, verify, tamper") {
    fixture_server srv;
    srv.set_status("/kk", 200);
    srv.set_status("/ktp", 200);
    temp_dir tmp;
    const std::string ledger = (tmp.path / "ledger.db").string();
    const std::string cfg = (tmp.path / "pantau.yaml").string();
    std::ofstream(cfg) << "listen: 127.0.0.1:0\n"
                          "ledger: " +
                              ledger +
                              "\n"
                              "admin_token: rahasia\n"
                              "timezone: Asia/Jakarta\n"
                              "defaults: {interval: 1s, timeout: 800ms, retry_interval: 1s, "
                              "failure_threshold: 1}\n"
                              "agencies: [{id: dukcapil, name: Dinas Kependudukan}]\n"
                              "services:\n"
                              "  - id: kk\n"
                              "    name: Kartu Keluarga\n"
                              "    agency: dukcapil\n"
                              "    objective: 99.5%\n"
                              "    checks: [{id: portal, http: {url: \"" +
                              srv.url("/kk") +
                              "\"}}]\n"
                              "  - id: ktp\n"
                              "    name: KTP Elektronik\n"
                              "    agency: dukcapil\n"
                              "    checks: [{id: portal, http: {url: \"" +
                              srv.url("/ktp") + "\"}}]\n";

    double truth_kk = 0;
    double truth_ktp = 0;
    std::int64_t ktp_outage_id = 0;
    std::chrono::steady_clock::time_point ktp_down;
    {
        child_process first({PANTAU_BINARY, "run", "--config", cfg});
        const std::string base = base_url(first);
        REQUIRE(eventually([&] { return http_get(base + "/-/ready").status == 200; }, 5s));
        REQUIRE(eventually(
            [&] { return first.output().find("service dukcapil/kk is up") != std::string::npos; },
            10s));

        // Outage 1, the daemon running throughout.
        const auto kk_down = std::chrono::steady_clock::now();
        srv.set_status("/kk", 503);
        REQUIRE(eventually([&] { return has_open_outage(base, "kk"); }, 10s));
        srv.set_status("/kk", 200);
        truth_kk = seconds_since(kk_down);
        REQUIRE(eventually([&] { return has_closed_outage(base, "kk", 1); }, 10s));

        // Outage 2 begins; the daemon is killed while it is open.
        ktp_down = std::chrono::steady_clock::now();
        srv.set_status("/ktp", 503);
        REQUIRE(eventually([&] { return has_open_outage(base, "ktp"); }, 10s));
        const json open = outages_of(base, "ktp");
        REQUIRE(open.size() == 1);
        ktp_outage_id = open[0]["id"].get<std::int64_t>();
        first.signal(SIGKILL);
        REQUIRE(first.wait(5s));
    }

    {
        child_process second({PANTAU_BINARY, "run", "--config", cfg});
        const std::string base = base_url(second);
        REQUIRE(eventually([&] { return http_get(base + "/-/ready").status == 200; }, 5s));
        CHECK(second.wait_for_output("monitoring gap", 5s));
        // The open outage is still open under the same id, not a new one, once the service
        // has been seen down again after the restart.
        REQUIRE(eventually([&] { return has_open_outage(base, "ktp"); }, 5s));
        REQUIRE(eventually(
            [&] {
                return second.output().find("service dukcapil/ktp is DOWN") != std::string::npos;
            },
            10s));
        json ktp = outages_of(base, "ktp");
        REQUIRE(ktp.size() == 1);
        CHECK(ktp[0]["id"].get<std::int64_t>() == ktp_outage_id);
        CHECK(second.output().find("outage " + std::to_string(ktp_outage_id) + " opened") ==
              std::string::npos);

        // Acknowledge it through the CLI.
        const auto ack = run_program({PANTAU_BINARY, "ack", std::to_string(ktp_outage_id), "--by",
                                      "Kepala Dinas", "--note", "tim sudah di lokasi", "--config",
                                      cfg, "--url", base});
        CHECK_MESSAGE(ack.exit_code == 0, ack.output);
        ktp = outages_of(base, "ktp");
        REQUIRE(ktp.size() == 1);
        CHECK(ktp[0]["acknowledged_by"] == "Kepala Dinas");

        srv.set_status("/ktp", 200);
        truth_ktp = seconds_since(ktp_down);
        REQUIRE(eventually([&] { return has_closed_outage(base, "ktp", 1); }, 10s));
        CHECK(outages_of(base, "ktp").size() == 1);
        second.signal(SIGTERM);
        REQUIRE(second.wait(5s) == 0);
    }

    // The report, read from the ledger with no daemon running.
    const std::string day = today_local(7);
    const auto report = run_program(
        {PANTAU_BINARY, "report", "--config", cfg, "--from", day, "--to", day, "--format", "json"});
    REQUIRE_MESSAGE(report.exit_code == 0, report.output);
    const json r = json::parse(report.output);
    REQUIRE(r["agencies"].size() == 1);
    std::map<std::string, json> services;
    for (const json& s : r["agencies"][0]["services"]) {
        services[s["id"].get<std::string>()] = s;
    }
    REQUIRE(services.count("kk") == 1);
    REQUIRE(services.count("ktp") == 1);
    REQUIRE(services["kk"]["outages"].size() == 1);
    REQUIRE(services["ktp"]["outages"].size() == 1);
    const double kk = services["kk"]["outages"][0]["duration_seconds"].get<double>();
    const double ktp = services["ktp"]["outages"][0]["duration_seconds"].get<double>();
    CHECK_MESSAGE(std::abs(kk - truth_kk) <= 2.0, "kk " << kk << " s, truth " << truth_kk << " s");
    CHECK_MESSAGE(std::abs(ktp - truth_ktp) <= 2.0,
                  "ktp " << ktp << " s, truth " << truth_ktp << " s");
    CHECK(services["ktp"]["outages"][0]["acknowledged_by"] == "Kepala Dinas");
    CHECK(services["kk"]["outage_count"] == 1);
    CHECK(r["summary"]["outages"] == 2);
    // The time the daemon was dead is one monitoring gap (from the last ledger heartbeat,
    // written every 5 s, to the restart).
    REQUIRE(r["monitoring_gaps"].size() == 1);
    const double gap = r["monitoring_gaps"][0]["duration_seconds"].get<double>();
    CHECK(gap >= 0.0);
    CHECK(gap <= 15.0);
    CHECK(r["ledger"]["verified"] == true);

    const auto verify = run_program({PANTAU_BINARY, "ledger", "verify", "--config", cfg});
    CHECK_MESSAGE(verify.exit_code == 0, verify.output);
    CHECK(verify.output.find("OK") != std::string::npos);

    // Change one event with the sqlite3 tool: verify fails and names it.
    const auto edit =
        run_program({"/usr/bin/sqlite3", ledger,
                     "UPDATE events SET data = '{\"cause\":\"tidak ada gangguan\"}' WHERE seq = "
                     "(SELECT min(seq) FROM events WHERE kind = 'outage_opened');"});
    REQUIRE_MESSAGE(edit.exit_code == 0, edit.output);
    const auto forged = run_program({PANTAU_BINARY, "ledger", "verify", "--config", cfg});
    CHECK(forged.exit_code == 1);
    CHECK_MESSAGE(forged.output.find("TAMPERED: event ") != std::string::npos, forged.output);
}
