// Nobody who can connect locks the daemon's door (issue 19, item 1): the real daemon under
// 5,000 hostile connections from 127.0.0.2 (all of 127.0.0.0/8 is loopback), half silent,
// half slowloris, every one the server closes reopened at once, while a scraper and a job's
// heartbeat from 127.0.0.1 keep asking and must be answered within a second, every time.
//
// The test waits on events only: the attacker's progress (connections established, header
// lines trickled) paces the requests; no fixed sleep lets time pass.
#include <doctest/doctest.h>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Raises this process's soft open-file limit towards `want` (within the hard limit); the
// daemon started afterwards inherits it. Returns the soft limit in force.
rlim_t raise_open_files(rlim_t want) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return 0;
    }
    if (lim.rlim_cur < want) {
        lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? want : std::min(want, lim.rlim_max);
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    return lim.rlim_cur;
}

// The attacker: `count` connections from `from` to 127.0.0.1:port, on a thread of its own.
// Odd ones are slowloris (a request line and a header, then one more header line every
// `trickle`, never the blank line that ends the request); even ones send nothing. Every
// connection the server closes is reopened at once, up to max_connects connects in all.
// At most max_connecting connects are under way at a time: a burst larger than the kernel's
// accept queue would only have its SYNs dropped and retried seconds later, which makes the
// attack slower to build, not stronger.
class hostile_crowd {
public:
    static constexpr std::size_t max_connects = 300'000;
    static constexpr std::size_t max_connecting = 1000;

    hostile_crowd(std::uint16_t port, const std::string& from, std::size_t count,
                  std::chrono::milliseconds trickle)
        : target_(asio::ip::address_v4::loopback(), port)
        , source_(asio::ip::make_address_v4(from), 0)
        , trickle_(trickle) {
        conns_.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            conns_.push_back(std::make_unique<conn>(io_, i % 2 == 1));
        }
        for (auto& c : conns_) {
            waiting_.push_back(c.get());
        }
        next_connects();
        thread_ = std::thread([this] { io_.run(); });
    }

    ~hostile_crowd() {
        io_.stop();
        thread_.join();
    }

    hostile_crowd(const hostile_crowd&) = delete;
    hostile_crowd& operator=(const hostile_crowd&) = delete;

    // Waits until `n` connections were established at the same time.
    bool wait_established(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return peak_open_ >= n; });
    }

    // Waits until `n` more header lines were trickled than `since`.
    bool wait_trickles(std::size_t since, std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return trickles_ >= since + n; });
    }

    std::size_t trickles() const {
        const std::lock_guard lock(mutex_);
        return trickles_;
    }
    std::size_t connects() const {
        const std::lock_guard lock(mutex_);
        return connects_;
    }
    std::size_t closed_by_server() const {
        const std::lock_guard lock(mutex_);
        return closed_by_server_;
    }
    std::size_t peak_open() const {
        const std::lock_guard lock(mutex_);
        return peak_open_;
    }

private:
    struct conn {
        conn(asio::io_context& io, bool slow) : socket(io), timer(io), slowloris(slow) {}
        tcp::socket socket;
        asio::steady_timer timer;
        bool slowloris;
        std::array<char, 512> buffer{};
    };

    // Starts queued connects while fewer than max_connecting are under way.
    void next_connects() {
        while (connecting_ < max_connecting && !waiting_.empty()) {
            conn& c = *waiting_.front();
            waiting_.pop_front();
            connect(c);
        }
    }

    void connect(conn& c) {
        {
            const std::lock_guard lock(mutex_);
            if (connects_ >= max_connects) {
                return;
            }
            ++connects_;
        }
        error_code ec;
        c.socket.open(tcp::v4(), ec);
        if (!ec) {
            c.socket.bind(source_, ec);
        }
        if (ec) {
            c.socket.close(ec);
            return; // out of ports or descriptors: this one gives up
        }
        ++connecting_;
        c.socket.async_connect(target_, [this, &c](const error_code& e) {
            --connecting_;
            next_connects();
            if (e) {
                reopen(c, false);
                return;
            }
            {
                const std::lock_guard lock(mutex_);
                peak_open_ = std::max(peak_open_, ++open_);
            }
            changed_.notify_all();
            if (c.slowloris) {
                send(c, "GET /metrics HTTP/1.1\r\nHost: pantau\r\n");
            }
            read(c);
        });
    }

    void send(conn& c, const char* text) {
        asio::async_write(c.socket, asio::buffer(text, std::strlen(text)),
                          [this, &c](const error_code& e, std::size_t) {
                              if (e) {
                                  return; // the read side sees the close
                              }
                              c.timer.expires_after(trickle_);
                              c.timer.async_wait([this, &c](const error_code& te) {
                                  if (te || !c.socket.is_open()) {
                                      return;
                                  }
                                  {
                                      const std::lock_guard lock(mutex_);
                                      ++trickles_;
                                  }
                                  changed_.notify_all();
                                  send(c, "X-Slow: 1\r\n");
                              });
                          });
    }

    void read(conn& c) {
        c.socket.async_read_some(asio::buffer(c.buffer),
                                 [this, &c](const error_code& e, std::size_t) {
                                     if (!e) {
                                         read(c); // an error response: wait for the close
                                         return;
                                     }
                                     if (e == asio::error::operation_aborted) {
                                         return;
                                     }
                                     reopen(c, true);
                                 });
    }

    void reopen(conn& c, bool was_open) {
        error_code ignored;
        c.timer.cancel();
        c.socket.close(ignored);
        if (was_open) {
            const std::lock_guard lock(mutex_);
            --open_;
            ++closed_by_server_;
        }
        waiting_.push_back(&c);
        next_connects();
    }

    asio::io_context io_;
    tcp::endpoint target_;
    tcp::endpoint source_;
    std::chrono::milliseconds trickle_;
    std::vector<std::unique_ptr<conn>> conns_;
    std::deque<conn*> waiting_;  // to (re)connect; the crowd's thread only
    std::size_t connecting_ = 0; // connects under way; the crowd's thread only
    std::thread thread_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t open_ = 0;
    std::size_t peak_open_ = 0;
    std::size_t connects_ = 0;
    std::size_t closed_by_server_ = 0;
    std::size_t trickles_ = 0;
};

} // namespace

TEST_CASE("http: 5000 idle and slowloris connections from one address lock out neither "
          "/metrics nor heartbeats") {
    constexpr std::size_t hostile = 5000;
    constexpr int rounds = 20;
    const rlim_t files = raise_open_files(hostile * 4);
    REQUIRE_MESSAGE(files >= hostile + 1000, "open-file limit too low for the test: ", files);

    temp_dir dir;
    const tmpfs_ledger ledger(dir.path.string());
    const auto cfg = dir.write("pantau.yaml", "ledger: " + ledger.path +
                                                  "\n"
                                                  "listen: 127.0.0.1:0\n"
                                                  "timezone: UTC\n"
                                                  "agencies:\n"
                                                  "  - {id: bappeda, name: Bappeda}\n"
                                                  "services:\n"
                                                  "  - id: sinkron\n"
                                                  "    agency: bappeda\n"
                                                  "    checks:\n"
                                                  "      - id: harian\n"
                                                  "        interval: 2s\n"
                                                  "        timeout: 500ms\n"
                                                  "        heartbeat: {expect_every: 2s, grace: "
                                                  "1s, token: jobtoken}\n");
    child_process daemon({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = wait_for_base_url(daemon);
    REQUIRE_MESSAGE(!base.empty(), daemon.output());
    const auto port = static_cast<std::uint16_t>(std::stoi(base.substr(base.rfind(':') + 1)));
    const std::string beat = base + "/api/v1/heartbeat/sinkron/harian";
    REQUIRE(http_get(base + "/-/healthy").status == 200);

    const auto attack_start = std::chrono::steady_clock::now();
    hostile_crowd crowd(port, "127.0.0.2", hostile, 1000ms);
    REQUIRE_MESSAGE(crowd.wait_established(hostile, 30s), "peak ", crowd.peak_open());

    const auto attack_built = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration worst_metrics{};
    std::chrono::steady_clock::duration worst_beat{};
    int metrics_ok = 0;
    int beats_ok = 0;
    for (int i = 0; i < rounds; ++i) {
        // Spread the requests over the attack: one round per 250 slowloris header lines.
        const std::size_t trickled = crowd.trickles();
        REQUIRE(crowd.wait_trickles(trickled, 250, 10s));

        auto start = std::chrono::steady_clock::now();
        const http_reply scrape = http_get(base + "/metrics", 1s);
        auto took = std::chrono::steady_clock::now() - start;
        worst_metrics = std::max(worst_metrics, took);
        CHECK(scrape.status == 200);
        CHECK(took < 1s);
        metrics_ok += scrape.status == 200 && took < 1s ? 1 : 0;

        start = std::chrono::steady_clock::now();
        const http_reply pushed = http_post(beat, "jobtoken", 1s);
        took = std::chrono::steady_clock::now() - start;
        worst_beat = std::max(worst_beat, took);
        CHECK(pushed.status == 200);
        CHECK(took < 1s);
        beats_ok += pushed.status == 200 && took < 1s ? 1 : 0;
    }
    const auto ms = [](std::chrono::steady_clock::duration d) {
        return std::chrono::duration<double, std::milli>(d).count();
    };
    MESSAGE("attack built in ", ms(attack_built - attack_start), " ms, requests over ",
            ms(std::chrono::steady_clock::now() - attack_built), " ms; /metrics ", metrics_ok, "/",
            rounds, " ok, worst ", ms(worst_metrics), " ms; heartbeats ", beats_ok, "/", rounds,
            " ok, worst ", ms(worst_beat), " ms; attacker: peak ", crowd.peak_open(), " open, ",
            crowd.connects(), " connects, ", crowd.closed_by_server(), " closed by the server, ",
            crowd.trickles(), " header lines trickled");
    CHECK(metrics_ok == rounds);
    CHECK(beats_ok == rounds);
    // The attack was real all along: the crowd kept its 5,000 connections.
    CHECK(crowd.peak_open() >= hostile);
    CHECK(daemon.output().find("http: ") != std::string::npos); // the limits were logged
}
