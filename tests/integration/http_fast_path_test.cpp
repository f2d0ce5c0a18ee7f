// The plain-http fast path (probes/http_fast_probe.hpp) on its own edges: what it sends,
// how it words failures, and when it hands a check to libcurl.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <string>
#include <thread>

#include "fixtures/fixture_server.hpp"
#include "fixtures/probe_runner.hpp"
#include "fixtures/socket_servers.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using pantau::test::fixture_server;
using pantau::test::probe_runner;

namespace {

http_check get(std::string url) {
    http_check c;
    c.url = std::move(url);
    return c;
}

// Accepts connections on 127.0.0.1 and answers each with `reply` (possibly nothing), then
// closes it, on its own thread until destroyed.
class canned_server {
public:
    explicit canned_server(std::string reply)
        : reply_(std::move(reply))
        , acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~canned_server() {
        io_.stop(); // the acceptor and open sockets close with their owners below
        try {
            thread_.join();
        } catch (...) {
            // join only throws for a thread that is not joinable; nothing to wait for then
        }
    }
    canned_server(const canned_server&) = delete;
    canned_server& operator=(const canned_server&) = delete;

    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/";
    }

private:
    void accept() {
        acceptor_.async_accept([this](const boost::system::error_code& ec,
                                      boost::asio::ip::tcp::socket s) {
            if (ec) {
                return;
            }
            auto sock = std::make_shared<boost::asio::ip::tcp::socket>(std::move(s));
            auto buf = std::make_shared<std::array<char, 4096>>();
            // Read the request first so the client's write does not race our close.
            sock->async_read_some(boost::asio::buffer(*buf), [this, sock, buf](auto, auto) {
                boost::asio::async_write(*sock, boost::asio::buffer(reply_), [sock](auto, auto) {
                    boost::system::error_code ignored;
                    sock->shutdown(boost::asio::socket_base::shutdown_send, ignored);
                });
            });
            accept();
        });
    }

    std::string reply_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
};

} // namespace

TEST_CASE("http fast path: sends a plain request with Connection: close, no compression") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/echo?x=1#fragment"));
    spec.headers = {{"X-Pantau-Test", "halo"}, {"User-Agent", "custom-agent"}};
    spec.expect.body_contains = {"GET /echo?x=1 HTTP/1.1", "X-Pantau-Test: halo",
                                 "User-Agent: custom-agent", "Connection: close"};
    spec.expect.body_not_contains = {"Accept-Encoding", "Pantau/"};
    const auto res = r.run(spec);
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    CHECK(res.reason == "http 200");
    REQUIRE(res.phases.has_value());
    CHECK(res.phases->connect.count() > 0);
}

TEST_CASE("http fast path: HEAD reads no body") {
    fixture_server srv;
    probe_runner r;
    auto spec = get(srv.url("/ok"));
    spec.method = "HEAD";
    const auto res = r.run(spec);
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    CHECK(res.http_status_code == 200);
}

TEST_CASE("http fast path: refused, hanging and closing servers") {
    probe_runner r;
    const auto refused =
        r.run(get("http://127.0.0.1:" + std::to_string(pantau::test::closed_tcp_port()) + "/"));
    CHECK(refused.reason == "connection refused");

    fixture_server srv;
    const auto hung = r.run(get(srv.url("/hang")), 700ms);
    CHECK(hung.status == probe_status::failure);
    CHECK(hung.reason == "timeout after 700ms");
    CHECK(hung.elapsed >= 700ms);
    CHECK(hung.elapsed < 3s);

    canned_server silent{""};
    CHECK(r.run(get(silent.url())).reason == "server closed the connection without answering");
}

TEST_CASE("http fast path: malformed and cut-short answers") {
    probe_runner r;
    canned_server garbage{"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"};
    const auto bad = r.run(get(garbage.url()));
    CHECK(bad.status == probe_status::failure);
    CHECK_MESSAGE(bad.reason.rfind("invalid HTTP response: ", 0) == 0, bad.reason);

    canned_server short_body{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"};
    CHECK(r.run(get(short_body.url())).reason ==
          "connection closed before the whole body arrived (transfer closed with 7 bytes "
          "remaining to read)");

    canned_server until_close{"HTTP/1.0 200 OK\r\n\r\nbody until close"};
    auto spec = get(until_close.url());
    spec.expect.body_contains = {"until close"};
    const auto ok = r.run(spec);
    CHECK_MESSAGE(ok.status == probe_status::success, ok.reason);
}

TEST_CASE("http fast path: max_body by Content-Length and by counting") {
    probe_runner r;
    canned_server declared{"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n"};
    auto spec = get(declared.url());
    spec.max_body = 1000;
    CHECK(r.run(spec).reason == "body larger than max_body 1000 bytes");

    canned_server chunked{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "800\r\n" +
                          std::string(0x800, 'x') + "\r\n0\r\n\r\n"};
    auto counted = get(chunked.url());
    counted.max_body = 1024;
    CHECK(r.run(counted).reason == "body larger than max_body 1KiB");
    counted.max_body = 4096;
    CHECK(r.run(counted).status == probe_status::success);
}

TEST_CASE("http fast path: redirects and encoded answers go to libcurl") {
    fixture_server srv;
    probe_runner r;
    auto follow = get(srv.url("/redirect-ok"));
    const std::unique_ptr<probe> p = make_probe(r.ctx, check_spec{follow});
    const auto first = r.run(*p);
    CHECK_MESSAGE(first.status == probe_status::success, first.reason);
    CHECK(first.reason == "http 200");
    // Later runs of the same check use libcurl from the start.
    CHECK(r.run(*p).reason == "http 200");

    auto no_follow = follow;
    no_follow.follow_redirects = false;
    CHECK(r.run(no_follow).reason == "http 302");

    auto bomb = get(srv.url("/gzip-bomb"));
    bomb.max_body = std::size_t{4} * 1024 * 1024;
    CHECK(r.run(bomb).reason == "body larger than max_body 4MiB");
}

TEST_CASE("http fast path: host names resolve without blocking, unknown names fail") {
    fixture_server srv;
    probe_runner r;
    const auto port = srv.url("/ok").substr(std::string{"http://127.0.0.1"}.size());
    auto spec = get("http://localhost" + port);
    const auto res = r.run(spec);
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    CHECK(r.run(spec).status == probe_status::success); // from the cache
    const auto unknown = r.run(get("http://no-such-host.invalid/"));
    CHECK(unknown.status == probe_status::failure);
    CHECK_MESSAGE(unknown.reason.rfind("cannot resolve host: ", 0) == 0, unknown.reason);
}
