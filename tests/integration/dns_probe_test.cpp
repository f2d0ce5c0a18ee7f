// The DNS probe (c-ares on the Asio loop) against a UDP DNS server of ours on loopback.
#include <doctest/doctest.h>

#include <boost/asio/ip/udp.hpp>

#include "fixtures/probe_runner.hpp"
#include "fixtures/socket_servers.hpp"

using namespace pantau;
using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

dns_server_options zone() {
    dns_server_options o;
    o.records = {
        {"portal.example.test", "A", "127.0.0.10"},
        {"portal.example.test", "A", "127.0.0.11"},
        {"portal.example.test", "AAAA", "2001:db8::10"},
        {"example.test", "MX", "10 mx1.example.test"},
        {"example.test", "MX", "20 mx2.example.test"},
        {"example.test", "TXT", "v=spf1 ip4:192.0.2.0/24 -all"},
        {"example.test", "NS", "ns1.example.test"},
        {"example.test", "SOA",
         "ns1.example.test hostmaster.example.test 2026010101 3600 600 "
         "86400 300"},
        {"www.example.test", "CNAME", "portal.example.test"},
    };
    return o;
}

dns_check query(const dns_server& srv, std::string name, std::string type = "A") {
    dns_check c;
    c.name = std::move(name);
    c.type = std::move(type);
    c.server = srv.address();
    return c;
}

} // namespace

TEST_CASE("dns probe: A answers, answers_contain, lookup time") {
    dns_server srv(zone());
    probe_runner r;
    auto spec = query(srv, "portal.example.test");
    const probe_result res = r.run(spec);
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    CHECK(res.reason == "NOERROR, A 127.0.0.10, 127.0.0.11");
    REQUIRE(res.dns_lookup);
    CHECK(*res.dns_lookup > 0ns);
    CHECK(*res.dns_lookup < 1s);
    CHECK(srv.queries() == 1);

    spec.answers_contain = {"127.0.0.11"};
    CHECK(r.run(spec).status == probe_status::success);
    spec.answers_contain = {"127.0.0.11", "127.0.0.99"};
    const probe_result missing = r.run(spec);
    CHECK(missing.status == probe_status::failure);
    CHECK(missing.reason == R"(no A answer "127.0.0.99" (got 127.0.0.10, 127.0.0.11))");
}

TEST_CASE("dns probe: AAAA, MX, TXT, NS, SOA and CNAME answers") {
    dns_server srv(zone());
    probe_runner r;

    auto aaaa = query(srv, "portal.example.test", "AAAA");
    aaaa.answers_contain = {"2001:db8:0::10"}; // compared as addresses, not as text
    const probe_result a6 = r.run(aaaa);
    CHECK_MESSAGE(a6.status == probe_status::success, a6.reason);
    CHECK(a6.reason == "NOERROR, AAAA 2001:db8::10");

    auto mx = query(srv, "example.test", "MX");
    mx.answers_contain = {"10 mx1.example.test", "MX2.example.test."};
    const probe_result m = r.run(mx);
    CHECK_MESSAGE(m.status == probe_status::success, m.reason);
    CHECK(m.reason == "NOERROR, MX 10 mx1.example.test, 20 mx2.example.test");
    mx.answers_contain = {"30 mx1.example.test"};
    CHECK(r.run(mx).status == probe_status::failure);

    auto txt = query(srv, "example.test", "TXT");
    txt.answers_contain = {"v=spf1 ip4:192.0.2.0/24 -all"};
    const probe_result t = r.run(txt);
    CHECK_MESSAGE(t.status == probe_status::success, t.reason);
    txt.answers_contain = {"v=spf1 -all"};
    CHECK(r.run(txt).status == probe_status::failure);

    auto ns = query(srv, "example.test", "NS");
    ns.answers_contain = {"ns1.example.test"};
    CHECK(r.run(ns).status == probe_status::success);

    auto soa = query(srv, "example.test", "SOA");
    soa.answers_contain = {"ns1.example.test"};
    const probe_result s = r.run(soa);
    CHECK_MESSAGE(s.status == probe_status::success, s.reason);
    CHECK(s.reason ==
          "NOERROR, SOA ns1.example.test hostmaster.example.test 2026010101 3600 600 86400 300");

    auto cname = query(srv, "www.example.test", "CNAME");
    cname.answers_contain = {"portal.example.test"};
    CHECK(r.run(cname).status == probe_status::success);
}

TEST_CASE("dns probe: NXDOMAIN, and expecting it") {
    dns_server srv(zone());
    probe_runner r;
    auto spec = query(srv, "nope.example.test");
    const probe_result res = r.run(spec);
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "rcode NXDOMAIN, want NOERROR");

    spec.rcode = "NXDOMAIN";
    const probe_result expected = r.run(spec);
    CHECK_MESSAGE(expected.status == probe_status::success, expected.reason);
    CHECK(expected.reason == "NXDOMAIN");

    spec.name = "portal.example.test";
    CHECK(r.run(spec).reason == "rcode NOERROR, want NXDOMAIN");
}

TEST_CASE("dns probe: NOERROR without a record of the asked type") {
    dns_server srv(zone());
    probe_runner r;
    const probe_result res = r.run(query(srv, "www.example.test", "MX"));
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "NOERROR but no MX record in the answer");
}

TEST_CASE("dns probe: a server that never answers times out on time") {
    dns_server_options o = zone();
    o.silent = true;
    dns_server srv(o);
    probe_runner r;
    const auto started = std::chrono::steady_clock::now();
    const probe_result res = r.run(query(srv, "portal.example.test"), 1500ms);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(res.status == probe_status::failure);
    CHECK_MESSAGE(res.reason.rfind("timeout after 1s500ms", 0) == 0, res.reason);
    CHECK(took >= 1400ms);
    CHECK(took < 2500ms);
    CHECK(srv.queries() >= 2); // c-ares retried within the timeout
}

TEST_CASE("dns probe: a silent server does not hold up a probe of another") {
    dns_server_options quiet = zone();
    quiet.silent = true;
    dns_server silent(quiet);
    dns_server live(zone());
    probe_runner r;
    auto slow = make_probe(r.ctx, check_spec{query(silent, "portal.example.test")});
    auto fast = make_probe(r.ctx, check_spec{query(live, "portal.example.test")});
    std::optional<probe_result> slow_res;
    std::optional<probe_result> fast_res;
    slow->async_run(1s, [&](probe_result x) { slow_res = std::move(x); });
    fast->async_run(1s, [&](probe_result x) {
        fast_res = std::move(x);
        CHECK_FALSE(slow_res.has_value());
    });
    r.io.run_for(5s);
    REQUIRE(slow_res);
    REQUIRE(fast_res);
    CHECK(fast_res->status == probe_status::success);
    CHECK(slow_res->status == probe_status::failure);
}

TEST_CASE("dns probe: the same probe runs again, and cancel stops a run") {
    dns_server srv(zone());
    probe_runner r;
    auto p = make_probe(r.ctx, check_spec{query(srv, "portal.example.test")});
    for (int i = 0; i < 3; ++i) {
        CHECK(r.run(*p).status == probe_status::success);
    }
    CHECK(srv.queries() == 3);

    dns_server_options quiet = zone();
    quiet.silent = true;
    dns_server silent(quiet);
    auto q = make_probe(r.ctx, check_spec{query(silent, "portal.example.test")});
    bool called = false;
    q->async_run(1s, [&](probe_result) { called = true; });
    r.io.restart();
    r.io.run_for(100ms);
    q->cancel();
    r.io.run_for(1500ms);
    CHECK_FALSE(called);
}
