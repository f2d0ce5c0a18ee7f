// The loop never waits on a slow mail relay (issue 19, item 6): the real daemon with 200
// checks at a 1 s interval and an e-mail channel whose server accepts the message and then
// says nothing. While the relay hangs the loop keeps its schedule (lag p99 <= 10 ms, from
// pantau_schedule_lag_seconds) and /metrics answers at once; once the relay answers again
// the retried message is delivered, once.
//
// The hang lasts until the test has seen what it needs (two attempts hung), not a fixed time.
#include <doctest/doctest.h>

#include <unistd.h>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/smtp_fake.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

// pantau_schedule_lag_seconds: cumulative bucket counts by upper bound ("+Inf" too).
std::map<double, std::uint64_t> lag_buckets(const std::string& metrics) {
    static const std::regex line(R"re(pantau_schedule_lag_seconds_bucket\{le="([^"]+)"\} (\d+))re");
    std::map<double, std::uint64_t> out;
    for (auto it = std::sregex_iterator(metrics.begin(), metrics.end(), line);
         it != std::sregex_iterator(); ++it) {
        const std::string le = (*it)[1].str();
        const double bound = le == "+Inf" ? 1e300 : std::stod(le);
        out[bound] = std::stoull((*it)[2].str());
    }
    return out;
}

} // namespace

TEST_CASE("email: a relay that never answers after DATA does not hold up the loop, and the "
          "retry delivers the message once") {
    constexpr int checks = 200;
    fixture_server targets;
    targets.set_status("/up", 200);
    targets.set_status("/down", 503);
    smtp_fake mail;
    mail.answer(smtp_reply::hang, smtp_step::data_end);
    temp_dir dir;
    const tmpfs_ledger ledger(dir.path.string());
    std::string cfg = R"(listen: 127.0.0.1:0
ledger: )" + ledger.path +
                      R"(
timezone: UTC
defaults: {interval: 1s, timeout: 800ms, failure_threshold: 1}
notify_retry: {first: 500ms, max: 1s}
channels:
  mail:
    email:
      smtp: {url: ")" +
                      mail.url() + R"(", starttls: false}
      from: pantau@kota.example
      to: [kadis@kota.example]
      timeout: 1s
escalation:
  standar:
    - {after: 0s, notify: [mail]}
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, http: {url: ")" +
                      targets.url("/down") + R"("}}]
  - id: banyak
    agency: dukcapil
    checks:
)";
    for (int i = 0; i < checks; ++i) {
        cfg += "      - {id: c" + std::to_string(i) + ", http: {url: \"" + targets.url("/up") +
               "\"}}\n";
    }
    child_process daemon({PANTAU_BINARY, "run", "--config", dir.write("pantau.yaml", cfg)});
    const std::string base = wait_for_base_url(daemon);
    REQUIRE_MESSAGE(!base.empty(), daemon.output());

    const auto before = lag_buckets(http_get(base + "/metrics").body);
    REQUIRE(before.count(0.01) == 1);

    // Scrape while the relay hangs, until two attempts (the first and a retry) hung.
    std::chrono::steady_clock::duration worst_scrape{};
    int scrapes = 0;
    const bool hung_twice = eventually(
        [&] {
            const auto start = std::chrono::steady_clock::now();
            const auto reply = http_get(base + "/metrics", 5s);
            worst_scrape = std::max(worst_scrape, std::chrono::steady_clock::now() - start);
            ++scrapes;
            CHECK(reply.status == 200);
            return mail.hangs() >= 2;
        },
        20s);
    REQUIRE_MESSAGE(hung_twice, daemon.output());
    const auto after = lag_buckets(http_get(base + "/metrics").body);

    // p99 of the lag during the hang, as the smallest bucket bound holding 99 % of the
    // samples taken in between.
    const std::uint64_t total = after.at(1e300) - before.at(1e300);
    double p99_bound = 1e300;
    for (const auto& [bound, count] : after) {
        if (static_cast<double>(count - before.at(bound)) >= 0.99 * static_cast<double>(total)) {
            p99_bound = bound;
            break;
        }
    }
    const auto ms = [](std::chrono::steady_clock::duration d) {
        return std::chrono::duration<double, std::milli>(d).count();
    };
    MESSAGE("during the hang: ", total, " probes started, lag p99 <= ", p99_bound * 1000,
            " ms (within 10 ms: ", after.at(0.01) - before.at(0.01), "); ", scrapes,
            " scrapes of /metrics, the slowest ", ms(worst_scrape), " ms");
    CHECK(total >= static_cast<std::uint64_t>(checks));
    CHECK(p99_bound <= 0.01);
    CHECK(worst_scrape < 250ms);
    CHECK(mail.messages().empty());

    // The relay answers again: the next retry delivers, and only once.
    mail.answer(smtp_reply::accept, smtp_step::data_end);
    REQUIRE_MESSAGE(mail.wait_for_messages(1, 15s), daemon.output());
    CHECK(eventually(
        [&] {
            return http_get(base + "/metrics")
                       .body.find(R"(pantau_outbox_pending{channel="mail"} 0)") !=
                   std::string::npos;
        },
        10s));
    CHECK(mail.messages().size() == 1);
    CHECK(mail.messages().front().rcpt_to == std::vector<std::string>{"kadis@kota.example"});
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10s) == 0);
}
