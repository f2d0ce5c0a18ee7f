// The HTTP probe against real loopback servers that misbehave on purpose.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "config/json_expectation.hpp"
#include "fixtures/fixture_server.hpp"
#include "fixtures/test_cert.hpp"
#include "probes/http_probe.hpp"
#include "probes/probe.hpp"
#include "runtime/curl_multi.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using pantau::test::fixture_server;

namespace {

struct probe_runner {
    boost::asio::io_context io;
    curl_multi curl{io};
    probe_context ctx{io, curl};

    probe_result run(const http_check& spec, std::chrono::milliseconds timeout = 5s) {
        std::unique_ptr<probe> p = make_probe(ctx, check_spec{spec});
        std::optional<probe_result> result;
        p->async_run(timeout, [&result](probe_result r) { result = std::move(r); });
        io.restart();
        io.run_for(timeout + 10s); // bounded even if the probe misbehaved
        REQUIRE(result.has_value());
        return *result;
    }
};

http_check get(std::string url) {
    http_check c;
    c.url = std::move(url);
    return c;
}

long max_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

std::uint16_t closed_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto port = a.local_endpoint().port();
    a.close();
    return port;
}

std::string write_temp(const std::string& name, const std::string& content) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("pantau-test-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(path) << content;
    return path.string();
}

} // namespace

TEST_CASE("http probe: 200 is up with status code and phases") {
    fixture_server srv;
    probe_runner r;
    const probe_result res = r.run(get(srv.url("/ok")));
    CHECK(res.status == probe_status::success);
    CHECK(res.reason == "http 200");
    REQUIRE(res.http_status_code);
    CHECK(*res.http_status_code == 200);
    REQUIRE(res.phases);
    CHECK(res.elapsed > 0ns);
    CHECK(res.elapsed < 2s);
    CHECK_FALSE(res.cert_earliest_expiry);
}

TEST_CASE("http probe: a fresh connection per probe") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/ok"));
    auto p = make_probe(r.ctx, check_spec{spec});
    for (int i = 0; i < 3; ++i) {
        std::optional<probe_result> res;
        p->async_run(2s, [&res](probe_result x) { res = std::move(x); });
        r.io.restart();
        r.io.run_for(5s);
        REQUIRE(res);
        CHECK(res->status == probe_status::success);
    }
    CHECK(srv.hits("/ok") == 3);
    CHECK(r.curl.sockets() == 0); // nothing kept open between probes
}

TEST_CASE("http probe: wrong status is down with the code as reason") {
    fixture_server srv;
    probe_runner r;
    const auto res = r.run(get(srv.url("/status/503")));
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "http 503");
    auto spec = get(srv.url("/status/503"));
    spec.expect.status = {503};
    CHECK(r.run(spec).status == probe_status::success);
}

TEST_CASE("http probe: connection refused") {
    probe_runner r;
    const auto res = r.run(get("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "connection refused");
}

TEST_CASE("http probe: a server that never answers times out without delaying others") {
    fixture_server srv;
    probe_runner r;
    auto hang = make_probe(r.ctx, check_spec{get(srv.url("/hang"))});
    auto ok = make_probe(r.ctx, check_spec{get(srv.url("/ok"))});
    std::optional<probe_result> hang_res;
    std::optional<probe_result> ok_res;
    int order = 0;
    int ok_order = 0;
    int hang_order = 0;
    const auto started = std::chrono::steady_clock::now();
    hang->async_run(1500ms, [&](probe_result x) {
        hang_res = std::move(x);
        hang_order = ++order;
    });
    ok->async_run(1500ms, [&](probe_result x) {
        ok_res = std::move(x);
        ok_order = ++order;
    });
    r.io.run_for(10s);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(hang_res);
    REQUIRE(ok_res);
    CHECK(ok_order == 1);
    CHECK(hang_order == 2);
    CHECK(ok_res->status == probe_status::success);
    CHECK(ok_res->elapsed < 1s);
    CHECK(hang_res->status == probe_status::failure);
    CHECK(hang_res->reason == "timeout after 1s500ms");
    CHECK(took >= 1400ms);
    CHECK(took < 5s);
}

TEST_CASE("http probe: connection reset mid-body") {
    fixture_server srv;
    probe_runner r;
    const auto res = r.run(get(srv.url("/reset")));
    CHECK(res.status == probe_status::failure);
    const bool precise = res.reason == "connection reset while reading the response" ||
                         res.reason.rfind("connection closed before the whole body", 0) == 0;
    CHECK_MESSAGE(precise, res.reason);
}

TEST_CASE("http probe: a 200 MiB body is cut at max_body and memory stays bounded") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/big"));
    spec.expect.body_contains = {"never there"}; // forces the body to be kept
    const long before = max_rss_kib();
    const auto res = r.run(spec, 20s);
    const long grown_mib = (max_rss_kib() - before) / 1024;
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "body larger than max_body 1MiB");
    CHECK(grown_mib < 64);
}

TEST_CASE("http probe: a gzip bomb is bounded by max_body after decompression") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/gzip-bomb"));
    spec.max_body = std::size_t{4} * 1024 * 1024;
    const long before = max_rss_kib();
    const auto res = r.run(spec, 20s);
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "body larger than max_body 4MiB");
    CHECK((max_rss_kib() - before) / 1024 < 64);
}

TEST_CASE("http probe: redirects are followed up to a limit") {
    fixture_server srv;
    probe_runner r;
    // The plain-http fast path hands a redirected check to libcurl: on that first run the
    // server sees the fast path's request too; later runs are libcurl's alone.
    const std::unique_ptr<probe> looping = make_probe(r.ctx, check_spec{get(srv.url("/loop"))});
    std::optional<probe_result> loop;
    for (int run = 0; run < 2; ++run) {
        loop.reset();
        looping->async_run(5s, [&loop](probe_result res) { loop = std::move(res); });
        r.io.restart();
        r.io.run_for(15s);
        REQUIRE(loop.has_value());
        CHECK(loop->status == probe_status::failure);
        CHECK(loop->reason == "too many redirects (more than 10)");
    }
    CHECK(srv.hits("/loop") == 1 + 11 + 11);

    const auto ok = r.run(get(srv.url("/redirect-ok")));
    CHECK(ok.status == probe_status::success);
    CHECK(ok.reason == "http 200");

    auto no_follow = get(srv.url("/redirect-ok"));
    no_follow.follow_redirects = false;
    const auto res = r.run(no_follow);
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "http 302");
}

TEST_CASE("http probe: a garbage status line is an invalid response") {
    fixture_server srv;
    probe_runner r;
    const auto res = r.run(get(srv.url("/garbage")));
    CHECK(res.status == probe_status::failure);
    CHECK_MESSAGE(res.reason.rfind("invalid HTTP response", 0) == 0, res.reason);
}

TEST_CASE("http probe: a 200 maintenance page is down when body_not_contains says so") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/maintenance"));
    CHECK(r.run(spec).status == probe_status::success); // a plain check is fooled
    spec.expect.body_not_contains = {"pemeliharaan"};
    const auto res = r.run(spec);
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "body contains \"pemeliharaan\"");
}

TEST_CASE("http probe: body_contains and body_matches") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/ok"));
    spec.expect.body_contains = {"all good"};
    CHECK(r.run(spec).status == probe_status::success);
    spec.expect.body_contains = {"everything fine"};
    CHECK(r.run(spec).reason == "body does not contain \"everything fine\"");
    spec.expect.body_contains.clear();
    spec.expect.body_matches = "OK [a-z]+ good";
    CHECK(r.run(spec).status == probe_status::success);
    spec.expect.body_matches = "^down";
    CHECK(r.run(spec).reason == "body does not match /^down/");
}

TEST_CASE("http probe: slower than max_latency is down, within it is up") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/slow/1200"));
    spec.expect.max_latency = 500ms;
    const auto res = r.run(spec);
    CHECK(res.status == probe_status::failure);
    CHECK_MESSAGE(res.reason.rfind("slow: 1.2", 0) == 0, res.reason);
    CHECK(res.reason.find("> max_latency 500ms") != std::string::npos);
    spec.expect.max_latency = 3s;
    CHECK(r.run(spec).status == probe_status::success);
}

TEST_CASE("http probe: method, headers and body are sent") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/echo"));
    spec.method = "POST";
    spec.headers = {{"X-Pantau-Test", "halo"}, {"Content-Type", "application/json"}};
    spec.body = R"({"ping":1})";
    spec.expect.body_contains = {"POST /echo", "X-Pantau-Test: halo", R"({"ping":1})"};
    const auto res = r.run(spec);
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
}

TEST_CASE("http probe: TLS is verified by default and reports certificate expiry") {
    using namespace pantau::test;
    const certificate cert = make_self_signed({});
    fixture_server srv(fixture_server_options{cert});
    probe_runner r;

    const auto untrusted = r.run(get(srv.url("/ok")));
    CHECK(untrusted.status == probe_status::failure);
    CHECK(untrusted.reason == "TLS certificate self-signed");

    auto trusted = get(srv.url("/ok"));
    trusted.ca_file = write_temp("ca.pem", cert.cert_pem);
    const auto ok = r.run(trusted);
    CHECK_MESSAGE(ok.status == probe_status::success, ok.reason);
    REQUIRE(ok.cert_earliest_expiry);
    const auto days_left = std::chrono::duration_cast<std::chrono::hours>(
                               *ok.cert_earliest_expiry - std::chrono::system_clock::now())
                               .count() /
                           24;
    CHECK(days_left >= 363);
    CHECK(days_left <= 365);
    REQUIRE(ok.phases);
    CHECK(ok.phases->tls > 0ns);

    auto insecure = get(srv.url("/ok"));
    insecure.tls_verify = false;
    CHECK(r.run(insecure).status == probe_status::success);
}

TEST_CASE("http probe: cert_min_days, expired and wrong-host certificates") {
    using namespace pantau::test;
    probe_runner r;
    {
        cert_options o;
        o.valid.not_after = std::chrono::days(5);
        const certificate cert = make_self_signed(o);
        fixture_server srv(fixture_server_options{cert});
        auto spec = get(srv.url("/ok"));
        spec.ca_file = write_temp("soon.pem", cert.cert_pem);
        spec.expect.cert_min_days = 14;
        const auto res = r.run(spec);
        CHECK(res.status == probe_status::failure);
        CHECK_MESSAGE(res.reason.rfind("TLS certificate expires in 4 days", 0) == 0, res.reason);
    }
    {
        const certificate ca = make_ca();
        cert_options o;
        o.valid.not_before = -std::chrono::hours(48);
        o.valid.not_after = -std::chrono::hours(24);
        fixture_server srv(fixture_server_options{make_leaf(ca, o)});
        auto spec = get(srv.url("/ok"));
        spec.ca_file = write_temp("ca-expired.pem", ca.cert_pem);
        CHECK(r.run(spec).reason == "TLS certificate expired");
    }
    {
        const certificate ca = make_ca();
        cert_options o;
        o.dns_names = {"other.example"};
        o.ip_addresses = {};
        fixture_server srv(fixture_server_options{make_leaf(ca, o)});
        auto spec = get(srv.url("/ok"));
        spec.ca_file = write_temp("ca-host.pem", ca.cert_pem);
        CHECK(r.run(spec).reason == "TLS certificate host name mismatch");
    }
}

TEST_CASE("http probe: json expectations on a JSON body") {
    fixture_server srv;
    srv.set_handler("/stats.json", [](const test::request&) {
        test::response res;
        res.headers = {{"Content-Type", "application/json"}};
        res.body = R"({"status": "ok", "queue": {"waiting": 250, "served": 1042},
                       "list": ["a", "b"], "version": "2.4.1", "ratio": 0.5, "paused": false})";
        return res;
    });
    probe_runner r;
    auto spec = get(srv.url("/stats.json"));
    const auto expect = [&spec](const std::vector<std::string>& texts) {
        spec.expect.json.clear();
        for (const auto& t : texts) {
            std::string error;
            auto parsed = parse_json_expectation(t, error);
            REQUIRE_MESSAGE(parsed, error);
            spec.expect.json.push_back(*parsed);
        }
    };

    expect({R"(/status == "ok")", "/queue/served >= 1000", "/queue/waiting > 10",
            R"(/list contains "a")", "/version exists", R"(/version contains "2.4")",
            "/ratio <= 0.5", "/paused == false", R"(/status != "down")", "/queue/waiting != 0"});
    const auto ok = r.run(spec);
    CHECK_MESSAGE(ok.status == probe_status::success, ok.reason);
    CHECK(ok.reason == "http 200");

    expect({"/queue/waiting < 200"});
    auto res = r.run(spec);
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "json /queue/waiting = 250, want < 200");

    expect({R"(/status == "down")"});
    CHECK(r.run(spec).reason == R"(json /status = "ok", want == "down")");

    expect({R"(/list contains "c")"});
    CHECK(r.run(spec).reason == R"(json /list = ["a","b"], want contains "c")");

    expect({"/queue/missing exists"});
    CHECK(r.run(spec).reason == "json /queue/missing missing, want exists");

    expect({"/list/7 == 1"});
    CHECK(r.run(spec).reason == "json /list/7 missing, want == 1");

    expect({"/status < 5"}); // a string is not below a number
    CHECK(r.run(spec).reason == R"(json /status = "ok", want < 5)");

    // The first unmet expectation is the reason.
    expect({R"(/status == "ok")", "/queue/served < 10", "/queue/waiting < 200"});
    CHECK(r.run(spec).reason == "json /queue/served = 1042, want < 10");
}

TEST_CASE("http probe: json expectations on a body that is not JSON") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/maintenance"));
    std::string error;
    spec.expect.json.push_back(*parse_json_expectation("/status exists", error));
    const auto res = r.run(spec);
    CHECK(res.status == probe_status::failure);
    CHECK_MESSAGE(res.reason.rfind("body is not JSON", 0) == 0, res.reason);

    // The demo's counter endpoint is JSON.
    auto counter = get(srv.url("/counter"));
    counter.expect.json.push_back(*parse_json_expectation("/served >= 1", error));
    CHECK(r.run(counter).status == probe_status::success);
}

TEST_CASE("curl_multi: transfers beyond one shard's limit run in another and all complete") {
    boost::asio::io_context io;
    curl_multi curl{io};
    // A listener that never accepts: the kernel completes the handshakes, nobody answers,
    // so every transfer stays in flight until its timeout.
    boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
    constexpr std::size_t n = curl_multi::max_transfers_per_shard + 88;
    std::vector<std::unique_ptr<probe>> probes;
    std::size_t results = 0;
    std::size_t timeouts = 0;
    for (std::size_t i = 0; i < n; ++i) {
        probes.push_back(make_http_probe(curl, get(url))); // the libcurl probe itself
        probes.back()->async_run(1s, [&results, &timeouts](const probe_result& res) {
            ++results;
            timeouts += res.reason == "timeout after 1s" ? 1 : 0;
        });
    }
    CHECK(curl.transfers() == n);
    CHECK(curl.shards() == 2);
    io.run_for(20s);
    CHECK(results == n);
    CHECK(timeouts == n);
    CHECK(curl.transfers() == 0);
    CHECK(curl.sockets() == 0);
}
