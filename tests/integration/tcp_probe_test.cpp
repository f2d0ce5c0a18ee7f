// The TCP probe against loopback servers: banners, canned replies, silence, refusal.
#include <doctest/doctest.h>

#include "fixtures/probe_runner.hpp"
#include "fixtures/process.hpp"
#include "fixtures/socket_servers.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using pantau::test::probe_runner;
using pantau::test::tcp_server;
using pantau::test::tcp_server_options;

namespace {

tcp_check tcp_to(const std::string& address, std::optional<std::string> expect = std::nullopt,
                 std::string send = {}) {
    tcp_check c;
    c.address = address;
    c.expect = std::move(expect);
    c.send = std::move(send);
    return c;
}

} // namespace

TEST_CASE("tcp probe: connecting is enough without expect") {
    tcp_server srv({});
    probe_runner r;
    const probe_result res = r.run(tcp_to(srv.address()));
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    CHECK(res.reason == "connected");
    CHECK(res.elapsed > 0ns);
    CHECK(res.elapsed < 1s);
    // The server's thread counts the connection after the kernel accepted it.
    CHECK(test::eventually([&] { return srv.accepted() == 1; }, 2s));
}

TEST_CASE("tcp probe: a banner matching expect is up") {
    tcp_server srv({"220 mail.example.test ESMTP Postfix\r\n", {}});
    probe_runner r;
    const probe_result res = r.run(tcp_to(srv.address(), "^220 .*ESMTP"));
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    CHECK(res.reason == "reply matched /^220 .*ESMTP/");
}

TEST_CASE("tcp probe: a wrong banner fails at once with what the server said") {
    tcp_server srv({"SSH-2.0-OpenSSH_9.2\r\n", {}});
    probe_runner r;
    const auto started = std::chrono::steady_clock::now();
    const probe_result res = r.run(tcp_to(srv.address(), "^220 "), 5s);
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == R"(reply did not match /^220 / (got "SSH-2.0-OpenSSH_9.2\r\n"))");
    // The server keeps the connection open: only knowing that no more bytes can help lets
    // the probe stop before its timeout.
    CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("tcp probe: send, then expect the reply") {
    tcp_server srv({"", {{"PING\r\n", "+PONG\r\n"}}});
    probe_runner r;
    const probe_result ok = r.run(tcp_to(srv.address(), "^\\+PONG", "PING\r\n"));
    CHECK_MESSAGE(ok.status == probe_status::success, ok.reason);

    // Without the request the server says nothing: the probe waits, then names the phase.
    const probe_result silent = r.run(tcp_to(srv.address(), "^\\+PONG"), 700ms);
    CHECK(silent.status == probe_status::failure);
    CHECK(silent.reason == "timeout after 700ms while reading");
}

TEST_CASE("tcp probe: connection refused") {
    probe_runner r;
    const auto address = "127.0.0.1:" + std::to_string(test::closed_tcp_port());
    const probe_result res = r.run(tcp_to(address));
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "connection refused");
}

TEST_CASE("tcp probe: a silent server times out after the given time, others go on") {
    tcp_server silent({});
    tcp_server banner({"220 ok\r\n", {}});
    probe_runner r;
    auto slow = make_probe(r.ctx, check_spec{tcp_to(silent.address(), "^220")});
    auto fast = make_probe(r.ctx, check_spec{tcp_to(banner.address(), "^220")});
    std::optional<probe_result> slow_res;
    std::optional<probe_result> fast_res;
    const auto started = std::chrono::steady_clock::now();
    slow->async_run(2s, [&](probe_result x) { slow_res = std::move(x); });
    fast->async_run(2s, [&](probe_result x) {
        fast_res = std::move(x);
        CHECK_FALSE(slow_res.has_value()); // the slow one does not hold the loop
    });
    r.io.run_for(10s);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(slow_res);
    REQUIRE(fast_res);
    CHECK(fast_res->status == probe_status::success);
    CHECK(slow_res->status == probe_status::failure);
    CHECK(slow_res->reason == "timeout after 2s while reading");
    CHECK(took >= 1900ms);
    CHECK(took < 4s);
}

TEST_CASE("tcp probe: a host name is resolved") {
    tcp_server srv({"220 ok\r\n", {}});
    probe_runner r;
    const probe_result res = r.run(tcp_to("localhost:" + std::to_string(srv.port()), "^220"));
    // localhost may resolve to ::1 first; the probe tries each address in turn.
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    REQUIRE(res.dns_lookup);
}

TEST_CASE("tcp probe: cancel abandons the run without calling the handler") {
    tcp_server silent({});
    probe_runner r;
    auto p = make_probe(r.ctx, check_spec{tcp_to(silent.address(), "^220")});
    bool called = false;
    p->async_run(1s, [&](probe_result) { called = true; });
    r.io.run_for(200ms);
    p->cancel();
    p.reset(); // destroying the probe while operations are queued is safe
    r.io.restart();
    r.io.run_for(1500ms);
    CHECK_FALSE(called);
}
