// How long the status page holds up the event loop for N services (default 1,000), on the
// daemon's real path: a SQLite ledger with 90 days of hourly rollups and a few outages per
// service, the monitor loaded from a configuration, the recorder, status_history and the
// renderer. Prints one line per phase; results are kept in bench/status_page_results.md.
//
// Usage: pantau_status_page_bench [SERVICES] [OUTAGE_EVERY_DAYS] [DIR]
// Defaults 1000, 9 (every service has an outage every 9 days: a bad quarter) and /tmp; the
// ledger goes to DIR and the rendered page to DIR/pantau-status-bench.html.
#include <boost/asio/io_context.hpp>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "core/outage_book.hpp"
#include "io/curl_multi.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "runtime/asio_time_source.hpp"
#include "runtime/monitor.hpp"
#include "runtime/recorder.hpp"
#include "web/status_data.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
constexpr std::chrono::minutes wib{7 * 60};

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// CPU time of this thread, in milliseconds: what the event loop would spend, whatever
// else shares the machine (wall time on a busy 2-core box doubles and triples).
double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Median and maximum CPU time of `runs` calls of fn, in milliseconds.
std::pair<double, double> time_it(int runs, const std::function<void()>& fn) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        const double t0 = thread_cpu_ms();
        fn();
        ms.push_back(thread_cpu_ms() - t0);
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.back()};
}

std::string config_text(int services, const std::string& ledger) {
    std::string y = "ledger: " + ledger + "\nagencies:\n";
    const int agencies = std::max(1, services / 25);
    for (int a = 0; a < agencies; ++a) {
        y += "  - {id: opd" + std::to_string(a) + ", name: Organisasi Perangkat Daerah " +
             std::to_string(a) + "}\n";
    }
    y += "services:\n";
    for (int s = 0; s < services; ++s) {
        y += "  - {id: layanan" + std::to_string(s) + ", name: Layanan Publik Nomor " +
             std::to_string(s) + ", agency: opd" + std::to_string(s % agencies) +
             ", checks: [{id: portal, http: {url: \"http://127.0.0.1:9/\"}}]}\n";
    }
    return y;
}

} // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int every = std::max(1, argc > 2 ? std::atoi(argv[2]) : 9);
    const std::string dir = argc > 3 ? argv[3] : "/tmp";
    const std::string ledger_path = dir + "/pantau-status-bench-" + std::to_string(n) + ".db";
    std::filesystem::remove(ledger_path);
    auto loaded = pantau::load_config_text(config_text(n, ledger_path), "bench.yaml");
    if (auto* e = std::get_if<pantau::config_error>(&loaded)) {
        std::fprintf(stderr, "%s\n", e->to_string().c_str());
        return 1;
    }
    const pantau::config cfg = std::get<pantau::config>(std::move(loaded));
    const auto now = std::chrono::system_clock::now();
    const std::int32_t today = pantau::local_day_number(now, wib);

    { // 90 days of rollups for every check, an outage every 9 days per service.
        std::string error;
        auto l = pantau::open_sqlite_ledger(ledger_path, error);
        if (!l) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 1;
        }
        const auto t0 = clock_type::now();
        const auto first_hour =
            std::chrono::floor<std::chrono::hours>(pantau::local_midnight(today - 89, wib))
                .time_since_epoch()
                .count();
        const auto last_hour =
            std::chrono::floor<std::chrono::hours>(now).time_since_epoch().count();
        for (auto h = first_hour; h < last_hour; ++h) {
            std::vector<pantau::rollup> rows;
            rows.reserve(static_cast<std::size_t>(n));
            for (int s = 0; s < n; ++s) {
                rows.push_back({"opd" + std::to_string(s % std::max(1, n / 25)) + "/layanan" +
                                    std::to_string(s) + "/portal",
                                h, 120, 0, 6.0, 0.1});
            }
            l->add_rollups(rows);
        }
        std::vector<pantau::ledger_event> events;
        std::int64_t id = 0;
        for (int s = 0; s < n; ++s) {
            const std::string agency = "opd" + std::to_string(s % std::max(1, n / 25));
            for (std::int32_t d = today - 89 + (s % every); d < today; d += every) {
                pantau::ledger_event e;
                e.at = pantau::local_midnight(d, wib) + 10h;
                e.kind = pantau::ledger_event_kind::outage_opened;
                e.agency = agency;
                e.service = "layanan" + std::to_string(s);
                e.outage_id = ++id;
                e.data = R"({"cause":"check portal: http 503"})";
                events.push_back(e);
                e.at += 20min;
                e.kind = pantau::ledger_event_kind::outage_closed;
                e.data = "{}";
                events.push_back(e);
            }
        }
        l->append(events);
        std::printf("seeded ledger: %d services, 90 days of rollups, %lld outages in %.0f ms "
                    "(%.0f MB)\n",
                    n, static_cast<long long>(id), ms_since(t0),
                    static_cast<double>(std::filesystem::file_size(ledger_path)) / 1e6);
    }

    boost::asio::io_context io;
    pantau::asio_time_source time(io);
    pantau::curl_multi curl(io);
    pantau::monitor m(io, curl, time, 1);
    m.apply(cfg);
    pantau::recorder rec(
        time, [&](std::string& error) { return pantau::open_sqlite_ledger(ledger_path, error); });
    rec.start(now);
    const pantau::outage_book book; // every seeded outage is closed

    auto history = std::make_shared<pantau::status_history>(time, rec);
    // The backfill: a few hours per loop turn; report the longest turn.
    {
        const auto t0 = clock_type::now();
        const double cpu0 = thread_cpu_ms();
        history->start_backfill(cfg.utc_offset, now, m.check_count()); // first step inline
        double longest = thread_cpu_ms() - cpu0;
        double cpu_total = 0;
        while (!history->backfilled() && ms_since(t0) < 120000) {
            const double t1 = thread_cpu_ms();
            io.run_one_for(50ms);
            longest = std::max(longest, thread_cpu_ms() - t1);
        }
        cpu_total = thread_cpu_ms() - cpu0;
        std::printf("backfill of 90 days of rollups: %.0f ms wall, %.0f ms CPU, longest loop "
                    "turn %.1f ms CPU\n",
                    ms_since(t0), cpu_total, longest);
    }
    int minute = 0; // each call a minute later than the last: never cached
    const auto [refresh_ms, refresh_max] =
        time_it(5, [&] { history->refresh(m, cfg, now + 2h + std::chrono::minutes{++minute}); });
    std::printf("refresh (recompute 90-day figures): median %.1f ms, max %.1f ms\n", refresh_ms,
                refresh_max);
    const auto [cached_ms, cached_max] =
        time_it(20, [&] { history->refresh(m, cfg, now + 2h + std::chrono::minutes{minute}); });
    std::printf("refresh when cached: median %.3f ms\n", cached_ms);
    static_cast<void>(cached_max);
    {
        pantau::outage_query q;
        q.from = pantau::local_midnight(today - 89, wib);
        q.to = now;
        const auto [ms, max] = time_it(5, [&] { static_cast<void>(rec.outages(q)); });
        std::printf("  of which reading the window's outages: median %.1f ms\n", ms);
        static_cast<void>(max);
    }
    pantau::status_view view;
    const auto [build_ms, build_max] =
        time_it(20, [&] { view = pantau::build_status_view(m, book, cfg, *history, now + 2h); });
    std::printf("build view: median %.1f ms, max %.1f ms\n", build_ms, build_max);
    std::string html;
    const auto [render_ms, render_max] =
        time_it(20, [&] { html = pantau::render_status_page(view, pantau::status_lang::id); });
    const std::size_t bytes = html.size();
    std::ofstream(dir + "/pantau-status-bench.html") << html;
    std::printf("render HTML: median %.1f ms, max %.1f ms, %.0f KB\n", render_ms, render_max,
                static_cast<double>(bytes) / 1000.0);
    std::printf("per request (build + render, figures cached): about %.1f ms for %d services\n",
                build_ms + render_ms, n);
    rec.stop(now);
    std::filesystem::remove(ledger_path);
    std::filesystem::remove(ledger_path + "-wal");
    std::filesystem::remove(ledger_path + "-shm");
    return 0;
}
