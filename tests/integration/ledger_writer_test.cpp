// One writer per ledger: a second daemon on the same ledger, or a daemon that cannot bind
// its port, exits having written nothing; the lock goes with the process, kill -9 included.
#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

std::string config_text(const std::string& listen, const std::string& ledger,
                        const std::string& url) {
    return "listen: " + listen + "\nledger: " + ledger +
           "\n"
           "defaults: {interval: 1s, timeout: 800ms}\n"
           "agencies: [{id: dukcapil, name: Dinas Kependudukan}]\n"
           "services:\n"
           "  - id: kk\n"
           "    name: Kartu Keluarga\n"
           "    agency: dukcapil\n"
           "    checks: [{id: portal, http: {url: \"" +
           url + "\"}}]\n";
}

// How many events of `kind` the ledger holds (read with the sqlite3 tool, as an auditor would).
int events_of(const std::string& ledger, const std::string& kind) {
    const auto r = run_program(
        {"/usr/bin/sqlite3", ledger, "SELECT count(*) FROM events WHERE kind = '" + kind + "';"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    return std::stoi(r.output);
}

} // namespace

TEST_CASE("ledger: a second daemon on the same ledger exits 1 naming the holder, writing nothing") {
    fixture_server srv;
    srv.set_status("/kk", 200);
    temp_dir tmp;
    const std::string ledger = (tmp.path / "ledger.db").string();
    const std::string cfg = (tmp.path / "pantau.yaml").string();
    std::ofstream(cfg) << config_text("127.0.0.1:0", ledger, srv.url("/kk"));

    child_process first({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = wait_for_base_url(first);
    REQUIRE_MESSAGE(!base.empty(), first.output());
    REQUIRE(eventually(
        [&] { return first.output().find("service dukcapil/kk is up") != std::string::npos; },
        10s));
    REQUIRE(events_of(ledger, "daemon_started") == 1);

    // Another port, the same ledger.
    const auto second = run_program({PANTAU_BINARY, "run", "--config", cfg}, 20s);
    CHECK(second.exit_code == 1);
    CHECK_MESSAGE(second.output.find("the ledger " + ledger + " is in use by another Pantau (PID " +
                                     std::to_string(first.pid()) + ")") != std::string::npos,
                  second.output);
    CHECK(events_of(ledger, "daemon_started") == 1);
    CHECK(events_of(ledger, "monitoring_gap") == 0);

    // The first one's port, a ledger of its own: the port is taken, so nothing is written;
    // the ledger file is not even created.
    const std::string other_ledger = (tmp.path / "other.db").string();
    const std::string other_cfg = (tmp.path / "other.yaml").string();
    std::ofstream(other_cfg) << config_text(base.substr(std::string("http://").size()),
                                            other_ledger, srv.url("/kk"));
    const auto taken = run_program({PANTAU_BINARY, "run", "--config", other_cfg}, 20s);
    CHECK(taken.exit_code == 1);
    CHECK_MESSAGE(taken.output.find("cannot listen on") != std::string::npos, taken.output);
    CHECK_FALSE(std::filesystem::exists(other_ledger));

    // Read-only commands still work beside the running daemon.
    const auto verify = run_program({PANTAU_BINARY, "ledger", "verify", "--config", cfg});
    CHECK_MESSAGE(verify.exit_code == 0, verify.output);

    // kill -9 releases the lock with the process: the next daemon starts on the same ledger.
    first.signal(SIGKILL);
    REQUIRE(first.wait(5s));
    child_process third({PANTAU_BINARY, "run", "--config", cfg});
    REQUIRE_MESSAGE(!wait_for_base_url(third).empty(), third.output());
    CHECK(eventually([&] { return events_of(ledger, "daemon_started") == 2; }, 10s));
    third.signal(SIGTERM);
    CHECK(third.wait(10s) == 0);
}
