// Shared by the notification channel tests: a loop with a curl multi that builds channels
// from settings and runs sends to completion, and a sample notification.
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/channel_config.hpp"
#include "io/curl_multi.hpp"
#include "notify/channel.hpp"

namespace pantau::test {

struct notify_env {
    boost::asio::io_context io;
    curl_multi curl{io};

    std::unique_ptr<channel> make(const std::string& type,
                                  std::map<std::string, std::string> settings) {
        channel_config cfg;
        cfg.name = "test-" + type;
        cfg.type = type;
        cfg.settings = std::move(settings);
        std::string error;
        auto ch = make_channel(curl, cfg, error);
        INFO(error);
        REQUIRE(ch);
        CHECK(error.empty());
        return ch;
    }

    // make_channel's error for these settings ("" when it built the channel).
    std::string refusal(const std::string& type, std::map<std::string, std::string> settings) {
        channel_config cfg;
        cfg.name = "c";
        cfg.type = type;
        cfg.settings = std::move(settings);
        std::string error;
        auto ch = make_channel(curl, cfg, error);
        CHECK((ch == nullptr) == !error.empty());
        return error;
    }

    // Runs the loop until the send completes; bounded even if the channel misbehaves.
    send_result send(channel& ch, const notification& n,
                     std::chrono::seconds bound = std::chrono::seconds(15)) {
        std::optional<send_result> result;
        ch.async_send(n, [&result](send_result r) { result = std::move(r); });
        run_until([&result] { return result.has_value(); }, bound);
        REQUIRE(result.has_value());
        return *result;
    }

    // Runs the loop until done() holds or bound passes. done() is also polled while the
    // loop is idle (at least every 20 ms), so it may watch another thread's state.
    template <typename Done>
    void run_until(Done done, std::chrono::seconds bound) {
        io.restart();
        const auto deadline = std::chrono::steady_clock::now() + bound;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            if (io.stopped()) {
                io.restart();
            }
            io.run_one_for(std::min<std::chrono::steady_clock::duration>(
                deadline - std::chrono::steady_clock::now(), std::chrono::milliseconds(20)));
        }
    }
};

// Outage 42 of dukcapil/akta-online, level 2, firing; started 2026-11-28 19:00:05 WIB.
inline notification sample() {
    using namespace std::chrono_literals;
    notification n;
    n.idempotency_key = "outage-42/level-2/firing";
    n.outage_id = 42;
    n.agency = "dukcapil";
    n.agency_name = "Dinas Kependudukan dan Pencatatan Sipil";
    n.service = "akta-online";
    n.service_name = "Layanan Akta Kelahiran Online";
    n.check = "portal";
    n.reason = "http 503";
    // 2026-11-28T12:00:05Z = 19:00:05 WIB
    n.since = std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + 12h + 5s;
    n.utc_offset = 7h;
    n.level = 2;
    n.kind = notification_kind::firing;
    n.link = "https://status.example.go.id/outages/42";
    return n;
}

} // namespace pantau::test
