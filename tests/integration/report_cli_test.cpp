// `pantau report` on a real SQLite ledger: arguments, errors a user can act on, the report
// itself, and a tampered ledger still reported but flagged (exit 3).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ledger/sqlite_ledger.hpp"
#include "report/report_cli.hpp"

using namespace std::chrono_literals;

namespace {

struct scratch_dir {
    std::filesystem::path dir;
    scratch_dir() {
        std::string tmpl = "/tmp/pantau-report-XXXXXX";
        dir = ::mkdtemp(tmpl.data());
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

struct run_result {
    int code = 0;
    std::string err;
};

// Runs report_main with stderr captured.
run_result run(const std::vector<std::string>& args, const std::filesystem::path& dir) {
    std::vector<std::string_view> views(args.begin(), args.end());
    const std::filesystem::path err_path = dir / "stderr.txt";
    std::fflush(stderr);
    const int saved = ::dup(2);
    const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
    run_result r;
    r.code = pantau::report_main(views);
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    r.err = read_file(err_path);
    return r;
}

pantau::wall_time wib(int y, unsigned mo, unsigned d, int h, int mi = 0) {
    using namespace std::chrono;
    return pantau::wall_time{sys_days{year{y} / month{mo} / day{d}}} + hours{h} + minutes{mi} -
           hours{7};
}

pantau::ledger_event event(pantau::wall_time at, pantau::ledger_event_kind kind,
                           std::string data = "{}") {
    pantau::ledger_event e;
    e.at = at;
    e.kind = kind;
    e.agency = "dukcapil";
    e.service = "akta-online";
    e.outage_id = 1;
    e.data = std::move(data);
    return e;
}

// A configuration next to a ledger holding one acknowledged, escalated outage in November.
struct city {
    scratch_dir scratch;
    std::filesystem::path config = scratch.dir / "pantau.yaml";
    std::filesystem::path ledger = scratch.dir / "ledger.db";
    std::filesystem::path output = scratch.dir / "report.out";

    city() {
        write_file(config, "ledger: " + ledger.string() + R"(
timezone: Asia/Jakarta
channels:
  ops: {webhook: {url: "https://ops.example.go.id/hook"}}
escalation:
  standar: [{after: 0m, notify: ops}]
agencies:
  - {id: dukcapil, name: Dinas Kependudukan dan Pencatatan Sipil, escalation: standar}
services:
  - id: akta-online
    name: Layanan Akta Kelahiran Online
    agency: dukcapil
    objective: 99.5%
    checks: [{id: portal, http: {url: "https://akta.example.go.id/"}}]
)");
        std::string error;
        auto l = pantau::open_sqlite_ledger(ledger.string(), error);
        REQUIRE_MESSAGE(l, error);
        using kind = pantau::ledger_event_kind;
        std::vector<pantau::ledger_event> events = {
            event(wib(2026, 11, 10, 10), kind::outage_opened,
                  R"({"cause":"check portal: http 503"})"),
            event(wib(2026, 11, 10, 10, 5), kind::escalation_reached, R"({"level":2})"),
            event(wib(2026, 11, 10, 10, 12), kind::outage_acknowledged,
                  R"({"by":"Budi","note":"sedang ditangani"})"),
            event(wib(2026, 11, 10, 11), kind::outage_closed),
        };
        REQUIRE_FALSE(l->append(events));
    }

    std::vector<std::string> args(std::vector<std::string> extra) const {
        std::vector<std::string> all = {"--config", config.string(), "--output", output.string()};
        all.insert(all.end(), extra.begin(), extra.end());
        return all;
    }
};

} // namespace

TEST_CASE("report cli: JSON from a real ledger, with the chain's last hash") {
    city c;
    const run_result r = run(
        c.args({"--from", "2026-11-01", "--to", "2026-11-30", "--format", "json"}), c.scratch.dir);
    REQUIRE_MESSAGE(r.code == 0, r.err);
    const auto j = nlohmann::json::parse(read_file(c.output));
    CHECK(j["ledger"]["verified"] == true);
    CHECK(j["ledger"]["events"] == 4);
    CHECK(j["ledger"]["last_hash"].get<std::string>().size() == 64);
    const auto& s = j["agencies"][0]["services"][0];
    CHECK(s["id"] == "akta-online");
    CHECK(s["downtime_seconds"] == 3600);
    CHECK(s["mtta_seconds"] == 720);
    CHECK(s["mttr_seconds"] == 3600);
    CHECK(s["highest_level"] == 2);
    CHECK(s["conformance"] == "met"); // 1 h in 30 days: 99.86%
    const auto& o = s["outages"][0];
    CHECK(o["started_at"] == "2026-11-10T10:00:00+07:00");
    CHECK(o["ended_at"] == "2026-11-10T11:00:00+07:00");
    CHECK(o["acknowledged_by"] == "Budi");
    CHECK(o["cause"] == "check portal: http 503");
}

TEST_CASE("report cli: HTML in English, one agency") {
    city c;
    const run_result r = run(c.args({"--from=2026-11-01", "--to=2026-11-30", "--format", "html",
                                     "--lang", "en", "--agency", "dukcapil"}),
                             c.scratch.dir);
    REQUIRE_MESSAGE(r.code == 0, r.err);
    const std::string html = read_file(c.output);
    CHECK(contains(html, "Public Service Availability Report"));
    CHECK(contains(html, "The only service met its objective."));
    CHECK(contains(html, "Budi"));
}

TEST_CASE("report cli: argument mistakes are explained and exit 2") {
    city c;
    const auto expect_usage_error = [&](std::vector<std::string> args, const std::string& text) {
        const run_result r = run(c.args(std::move(args)), c.scratch.dir);
        CHECK(r.code == 2);
        CHECK_MESSAGE(contains(r.err, text), r.err);
    };
    expect_usage_error({"--from", "2026-11-01"}, "--from and --to are required");
    expect_usage_error({"--from", "2026-02-30", "--to", "2026-03-01"},
                       R"(invalid date "2026-02-30" for --from (write YYYY-MM-DD)");
    expect_usage_error({"--from", "1/11/2026", "--to", "2026-11-30"}, "invalid date");
    expect_usage_error({"--from", "2026-12-01", "--to", "2026-11-30"},
                       "--from must not be after --to");
    expect_usage_error({"--from", "2026-11-01", "--to", "2026-11-30", "--agency", "dinsos"},
                       R"(unknown agency "dinsos" (agencies in )");
    expect_usage_error({"--from", "2026-11-01", "--to", "2026-11-30", "--format", "pdf"},
                       R"(unknown format "pdf")");
    expect_usage_error({"--from", "2026-11-01", "--to", "2026-11-30", "--lang", "jv"},
                       R"(unknown language "jv")");
    expect_usage_error({"--from", "2026-11-01", "--to", "2026-11-30", "--bogus"},
                       "unexpected argument --bogus");
    CHECK_FALSE(std::filesystem::exists(c.output));
}

TEST_CASE("report cli: configuration and ledger problems exit 1 with a clear message") {
    city c;
    write_file(c.scratch.dir / "broken.yaml", "listen: 127.0.0.1:9470\nintervall: 30s\n");
    run_result r = run({"--config", (c.scratch.dir / "broken.yaml").string(), "--from",
                        "2026-11-01", "--to", "2026-11-30"},
                       c.scratch.dir);
    CHECK(r.code == 1);
    CHECK_MESSAGE(contains(r.err, "broken.yaml:2:1: "), r.err);

    std::filesystem::remove(c.ledger);
    r = run(c.args({"--from", "2026-11-01", "--to", "2026-11-30"}), c.scratch.dir);
    CHECK(r.code == 1);
    CHECK_MESSAGE(contains(r.err, "no ledger at " + c.ledger.string()), r.err);
    CHECK_FALSE(std::filesystem::exists(c.ledger)); // read-only: never created
}

TEST_CASE("report cli: a tampered ledger is still reported, with a warning, and exits 3") {
    city c;
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(c.ledger.c_str(), &db) == SQLITE_OK);
    const int rc = sqlite3_exec(db,
                                "UPDATE events SET data = '{\"by\":\"Orang Lain\",\"note\":\"\"}' "
                                "WHERE seq = 3",
                                nullptr, nullptr, nullptr);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);

    const run_result r = run(
        c.args({"--from", "2026-11-01", "--to", "2026-11-30", "--format", "html"}), c.scratch.dir);
    CHECK(r.code == 3);
    CHECK_MESSAGE(contains(r.err, "WARNING: the ledger failed verification"), r.err);
    const std::string html = read_file(c.output);
    CHECK(contains(html, R"(class="warning")"));
    CHECK(contains(html, "PERINGATAN"));
    CHECK(contains(html, "Layanan Akta Kelahiran Online"));
}
