// The world of the status page's browser test: simulated services on loopback (one down,
// the others up), a configuration for `pantau run` with hostile names and a logo, and a
// ledger that already holds 30 days of history with one past outage.
//
// Usage: pantau_status_page_fixture DIR
// Writes DIR/pantau.yaml, DIR/logo.svg and DIR/ledger.db, prints "ready" and serves until
// SIGTERM or SIGINT.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/daily_availability.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "sim/sim_server.hpp"

namespace {

using namespace std::chrono_literals;
constexpr std::chrono::minutes wib{7 * 60};

std::string config_text(const pantau::sim::sim_server& sim, const std::string& dir) {
    return "listen: 127.0.0.1:0\n"
           "ledger: " +
           dir +
           "/ledger.db\n"
           "timezone: Asia/Jakarta\n"
           "defaults: {interval: 1s, timeout: 800ms, retry_interval: 500ms, "
           "failure_threshold: 2}\n"
           "status_page:\n"
           "  title: Status Layanan Kota Contoh\n"
           "  logo: logo.svg\n"
           "  footer: \"Dinas Komunikasi dan Informatika Kota Contoh \xC2\xB7 pengaduan: 112\"\n"
           "agencies:\n"
           "  - {id: dukcapil, name: Dinas Kependudukan dan Pencatatan Sipil}\n"
           "  - {id: dinkes, name: \"Dinas <script>alert(1)</script> Kesehatan\"}\n"
           "services:\n"
           "  - id: akta-online\n"
           "    name: Layanan Akta Kelahiran Online\n"
           "    agency: dukcapil\n"
           "    checks: [{id: portal, http: {url: \"" +
           sim.url("/status/503") +
           "\"}}]\n"
           "  - id: ktp\n"
           "    name: KTP Elektronik\n"
           "    agency: dukcapil\n"
           "    checks: [{id: portal, http: {url: \"" +
           sim.url("/ok") +
           "\"}}]\n"
           "  - id: janji-temu\n"
           "    name: \"Janji Temu <img src=x onerror=alert(2)>\"\n"
           "    agency: dinkes\n"
           "    checks: [{id: portal, http: {url: \"" +
           sim.url("/ok") + "\"}}]\n";
}

constexpr const char* logo_svg =
    R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48">)"
    R"(<circle cx="24" cy="24" r="22" fill="#1d5ba3"/>)"
    R"(<path d="M24 9l12 5v9c0 8-5 13-12 16-7-3-12-8-12-16v-9z" fill="#fff"/>)"
    R"(<path d="M18 24l4 4 8-9" fill="none" stroke="#1d5ba3" stroke-width="3"/></svg>)";

// 30 days of hourly rollups for every check, and a 45-minute outage of KTP three days ago.
bool seed_ledger(const std::string& path) {
    std::string error;
    auto l = pantau::open_sqlite_ledger(path, error);
    if (!l) {
        std::fprintf(stderr, "cannot open %s: %s\n", path.c_str(), error.c_str());
        return false;
    }
    const auto now = std::chrono::system_clock::now();
    const std::int32_t today = pantau::local_day_number(now, wib);
    const auto start = pantau::local_midnight(today - 3, wib) + 10h;
    std::vector<pantau::ledger_event> events(2);
    events[0].at = start;
    events[0].kind = pantau::ledger_event_kind::outage_opened;
    events[0].agency = "dukcapil";
    events[0].service = "ktp";
    events[0].outage_id = 1;
    events[0].data = R"({"cause":"check portal: http 502"})";
    events[1] = events[0];
    events[1].at = start + 45min;
    events[1].kind = pantau::ledger_event_kind::outage_closed;
    events[1].data = "{}";
    if (auto ec = l->append(events)) {
        std::fprintf(stderr, "append: %s\n", ec.message().c_str());
        return false;
    }
    const auto first_hour =
        std::chrono::floor<std::chrono::hours>(pantau::local_midnight(today - 29, wib))
            .time_since_epoch()
            .count();
    const auto last_hour = std::chrono::floor<std::chrono::hours>(now).time_since_epoch().count();
    std::vector<pantau::rollup> rows;
    for (const char* key :
         {"dukcapil/akta-online/portal", "dukcapil/ktp/portal", "dinkes/janji-temu/portal"}) {
        for (auto h = first_hour; h < last_hour; ++h) {
            rows.push_back({key, h, 120, 0, 6.0, 0.1});
        }
    }
    if (auto ec = l->add_rollups(rows)) {
        std::fprintf(stderr, "rollups: %s\n", ec.message().c_str());
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    // Blocked before the server's thread starts, so only sigwait below receives them.
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    pantau::sim::sim_server sim;
    std::ofstream(dir + "/pantau.yaml") << config_text(sim, dir);
    std::ofstream(dir + "/logo.svg") << logo_svg;
    if (!seed_ledger(dir + "/ledger.db")) {
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    int signo = 0;
    sigwait(&stop_signals, &signo);
    return 0;
}
