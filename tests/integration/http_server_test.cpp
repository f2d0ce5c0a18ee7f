// The daemon's HTTP server on 127.0.0.1:0, driven by libcurl (an independent client) and by a
// raw Asio client for what curl will not do: half requests, pipelining, oversized headers.
// The server's io_context runs on a background thread; the test thread touches the server only
// before that thread starts, through running_server::call, or after the thread has finished.
// Every wait is on the network and bounded.
#include "web/http_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <curl/curl.h>
#include <doctest/doctest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using pantau::http_request;
using pantau::http_response;

constexpr std::chrono::milliseconds network_timeout{5000};

// A server whose io_context runs on its own thread from start() until the io_context runs out
// of work (after stop()) or the destructor.
class running_server {
public:
    explicit running_server(pantau::http_server_options options = {}) : server_(io_, options) {}

    ~running_server() {
        if (!thread_.joinable()) {
            return;
        }
        try {
            asio::post(io_, [this] { server_.stop(); });
            if (finished_.wait_for(network_timeout) != std::future_status::ready) {
                io_.stop(); // a failing test left work behind: do not hang
            }
        } catch (...) {
            io_.stop();
        }
        try {
            thread_.join();
        } catch (...) { // std::thread's destructor terminates, as it should
        }
    }

    running_server(const running_server&) = delete;
    running_server& operator=(const running_server&) = delete;

    // Only before start() or after stop_and_wait().
    pantau::http_server& server() { return server_; }

    void start() {
        REQUIRE_FALSE(server_.listen("127.0.0.1:0"));
        port_ = server_.local_endpoint().port();
        REQUIRE(port_ != 0);
        thread_ = std::thread([this] {
            try {
                io_.run();
                done_.set_value();
            } catch (...) {
                done_.set_exception(std::current_exception());
            }
        });
    }

    std::uint16_t port() const { return port_; }
    std::string url(std::string_view target) const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string{target};
    }

    // Runs `f` on the server's thread and returns its result.
    template <class F>
    auto call(F f) -> decltype(f()) {
        auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
        auto result = task->get_future();
        asio::post(io_, [task] { (*task)(); });
        REQUIRE(result.wait_for(network_timeout) == std::future_status::ready);
        return result.get();
    }

    // Calls stop() (twice) on the server's thread; true when io_context::run then returned by
    // itself, i.e. the server left no work behind.
    bool stop_and_wait() {
        asio::post(io_, [this] {
            server_.stop();
            server_.stop();
        });
        return wait_finished();
    }

    // True when io_context::run returned within the timeout; joins the thread.
    bool wait_finished() {
        if (finished_.wait_for(network_timeout) != std::future_status::ready) {
            return false;
        }
        thread_.join();
        finished_.get(); // rethrows what escaped io_context::run
        return true;
    }

private:
    asio::io_context io_;
    pantau::http_server server_;
    std::uint16_t port_ = 0;
    std::promise<void> done_;
    std::future<void> finished_ = done_.get_future();
    std::thread thread_;
};

struct curl_deleter {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
};

struct curl_reply {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::string headers; // raw header block(s), status line included
    std::string body;
    long new_connections = 0;

    // First value of header `name` (case-insensitive) in the final response, "" if absent.
    std::string header(std::string_view name) const {
        std::size_t pos = 0;
        std::string found;
        while (pos < headers.size()) {
            const std::size_t end = headers.find("\r\n", pos);
            const std::string_view line{headers.data() + pos,
                                        (end == std::string::npos ? headers.size() : end) - pos};
            pos = end == std::string::npos ? headers.size() : end + 2;
            if (line.starts_with("HTTP/")) {
                found.clear(); // a new response (after 100 Continue) starts
                continue;
            }
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || !found.empty()) {
                continue;
            }
            const std::string_view key = line.substr(0, colon);
            if (key.size() == name.size() &&
                std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                std::string_view value = line.substr(colon + 1);
                while (!value.empty() && value.front() == ' ') {
                    value.remove_prefix(1);
                }
                found = std::string{value};
            }
        }
        return found;
    }
};

// One easy handle; consecutive requests reuse its connection when the server keeps it alive.
class curl_client {
public:
    curl_reply get(const std::string& url) {
        return perform(url, [](CURL*) {});
    }
    curl_reply head(const std::string& url) {
        return perform(url, [](CURL* h) { curl_easy_setopt(h, CURLOPT_NOBODY, 1L); });
    }
    curl_reply post(const std::string& url, const std::string& body,
                    const std::string& extra_header = {}) {
        curl_slist* list =
            extra_header.empty() ? nullptr : curl_slist_append(nullptr, extra_header.c_str());
        curl_reply reply = perform(url, [&](CURL* h) {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
        });
        curl_slist_free_all(list);
        return reply;
    }
    curl_reply custom(const std::string& url, const char* method) {
        return perform(url, [&](CURL* h) { curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method); });
    }

private:
    static std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
        static_cast<std::string*>(out)->append(data, size * count);
        return size * count;
    }

    template <class Setup>
    curl_reply perform(const std::string& url, Setup setup) {
        CURL* h = easy_.get();
        curl_easy_reset(h); // keeps the connection cache
        curl_reply reply;
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(network_timeout.count()));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &curl_client::append);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &curl_client::append);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &reply.headers);
        setup(h);
        reply.code = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &reply.new_connections);
        return reply;
    }

    std::unique_ptr<CURL, curl_deleter> easy_{curl_easy_init()};
};

// A blocking-connect, deadline-bounded raw TCP client with its own io_context.
class raw_client {
public:
    // `from` picks the client's address: all of 127.0.0.0/8 is loopback.
    explicit raw_client(std::uint16_t port, std::string_view from = "127.0.0.1") {
        socket_.open(tcp::v4());
        socket_.bind(tcp::endpoint{asio::ip::make_address_v4(std::string{from}), 0});
        socket_.connect(tcp::endpoint{asio::ip::address_v4::loopback(), port});
    }

    // Errors are returned, not thrown: the server may already have closed the connection.
    error_code send(std::string_view bytes) {
        return run([&](auto done) {
            asio::async_write(socket_, asio::buffer(bytes),
                              [done](const error_code& ec, std::size_t) { done(ec); });
        });
    }

    // Reads one response; nullopt on error or timeout.
    std::optional<http::response<http::string_body>> read_response() {
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::uint64_t{64} << 20);
        const error_code ec = run([&](auto done) {
            http::async_read(socket_, buffer_, parser,
                             [done](const error_code& e, std::size_t) { done(e); });
        });
        if (ec) {
            return std::nullopt;
        }
        return parser.release();
    }

    // Writes `bytes` while reading the response, as a client streaming a body does.
    // `write_error` receives the outcome of the write (timed_out if it did not finish).
    std::optional<http::response<http::string_body>>
    send_and_read(std::string_view bytes, error_code* write_error = nullptr) {
        http::response_parser<http::string_body> parser;
        bool read_done = false;
        error_code read_error;
        error_code written = asio::error::timed_out;
        asio::async_write(socket_, asio::buffer(bytes),
                          [&written](const error_code& e, std::size_t) { written = e; });
        http::async_read(socket_, buffer_, parser, [&](const error_code& e, std::size_t) {
            read_done = true;
            read_error = e;
        });
        io_.restart();
        io_.run_for(network_timeout);
        if (!io_.stopped()) {
            cancel_and_drain();
        }
        if (write_error != nullptr) {
            *write_error = written;
        }
        if (!read_done || read_error) {
            return std::nullopt;
        }
        return parser.release();
    }

    // Reads up to and including the first "\r\n\r\n"; "" on error or timeout.
    std::string read_head() {
        std::string text;
        const error_code ec = run([&](auto done) {
            asio::async_read_until(socket_, asio::dynamic_buffer(text), "\r\n\r\n",
                                   [done](const error_code& e, std::size_t) { done(e); });
        });
        return ec ? std::string{} : text;
    }

    // Waits up to `limit` for the server to close the connection (EOF or reset), discarding
    // anything it sends first. True when it closed.
    bool wait_closed(std::chrono::milliseconds limit = network_timeout) {
        const error_code ec = run([&](auto done) { read_until_error(done); }, limit);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
    }

private:
    template <class Done>
    void read_until_error(Done done) {
        socket_.async_read_some(asio::buffer(chunk_),
                                [this, done](const error_code& ec, std::size_t) {
                                    if (ec) {
                                        done(ec);
                                        return;
                                    }
                                    read_until_error(done);
                                });
    }

    // Runs one asynchronous operation to completion or until `limit`; timed_out then.
    template <class Start>
    error_code run(Start start, std::chrono::milliseconds limit = network_timeout) {
        std::optional<error_code> result;
        start([&result](const error_code& ec) { result = ec; });
        io_.restart();
        io_.run_for(limit);
        if (!result) {
            cancel_and_drain();
            return asio::error::timed_out;
        }
        return *result;
    }

    void cancel_and_drain() {
        error_code ignored;
        socket_.cancel(ignored);
        io_.restart();
        io_.run();
    }

    asio::io_context io_;
    tcp::socket socket_{io_};
    beast::flat_buffer buffer_;
    std::array<char, 4096> chunk_{};
};

// Evaluates `done` on the server's thread until it holds; waits on the server's events
// (each call is a round trip through its loop), bounded by network_timeout.
template <class Done>
bool eventually_on(running_server& s, Done done) {
    const auto deadline = std::chrono::steady_clock::now() + network_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (s.call([&] { return done(); })) {
            return true;
        }
        std::this_thread::yield();
    }
    return false;
}

std::string simple_get(std::string_view target, std::string_view extra = {}) {
    return "GET " + std::string{target} + " HTTP/1.1\r\nHost: test\r\n" + std::string{extra} +
           "\r\n";
}

// Replaces spdlog's default logger for one test; restored on destruction. Construct it before
// the running_server so the server thread never sees the swap.
class recording_log {
public:
    recording_log()
        : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64))
        , previous_(spdlog::default_logger()) {
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("recording", sink_));
    }
    ~recording_log() { spdlog::set_default_logger(previous_); }
    recording_log(const recording_log&) = delete;
    recording_log& operator=(const recording_log&) = delete;

    std::string text() const {
        std::string all;
        for (const auto& line : sink_->last_formatted()) {
            all += line;
        }
        return all;
    }

private:
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
    std::shared_ptr<spdlog::logger> previous_;
};

} // namespace

TEST_CASE("query_param decodes form-encoded values") {
    using pantau::query_param;
    const std::string_view q = "a=1&b=hello%20world&c=x+y&flag&k=1&k=2&na%6De=v&&";
    CHECK(query_param(q, "a") == "1");
    CHECK(query_param(q, "b") == "hello world");
    CHECK(query_param(q, "c") == "x y");
    CHECK(query_param(q, "flag").empty());
    CHECK(query_param(q, "k") == "1");
    CHECK(query_param(q, "name") == "v");
    CHECK(query_param(q, "missing").empty());
    CHECK(query_param("", "a").empty());
    CHECK(query_param("p=100%&q=%zz&r=%4", "p") == "100%");
    CHECK(query_param("p=100%&q=%zz&r=%4", "q") == "%zz");
    CHECK(query_param("p=100%&q=%zz&r=%4", "r") == "%4");
    CHECK(query_param("op=%2B%26%3d", "op") == "+&=");
    CHECK(query_param("kota=Bekasi%20%E2%9C%93", "kota") == "Bekasi \xE2\x9C\x93");
}

TEST_CASE("http_request::header is case-insensitive and takes the first") {
    http_request r;
    r.headers = {{"Content-Type", "text/plain"}, {"X-Twice", "one"}, {"x-twice", "two"}};
    CHECK(r.header("content-type") == "text/plain");
    CHECK(r.header("X-TWICE") == "one");
    CHECK(r.header("absent").empty());
}

TEST_CASE("listen reports bad addresses and busy ports as errors") {
    asio::io_context io;
    pantau::http_server server{io};
    for (const char* bad :
         {"", "9470", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:-1", "127.0.0.1:12x",
          "example.org:80", "::1:80", "[127.0.0.1]:80", "300.1.1.1:80"}) {
        CAPTURE(bad);
        CHECK(server.listen(bad) == asio::error::invalid_argument);
    }
    CHECK(server.local_endpoint() == tcp::endpoint{});

    REQUIRE_FALSE(server.listen("localhost:0"));
    const tcp::endpoint bound = server.local_endpoint();
    CHECK(bound.address() == asio::ip::address_v4::loopback());
    CHECK(bound.port() != 0);
    CHECK(server.listen("127.0.0.1:0") == asio::error::already_open);

    pantau::http_server second{io};
    CHECK(second.listen("127.0.0.1:" + std::to_string(bound.port())) ==
          asio::error::address_in_use);

    server.stop();
    CHECK(server.listen("127.0.0.1:0") == asio::error::operation_aborted);
    io.run_for(network_timeout); // the aborted accepts complete; nothing else is left
    CHECK(io.stopped());
}

TEST_CASE("listen accepts a bracketed IPv6 literal") {
    asio::io_context io;
    pantau::http_server server{io};
    const error_code ec = server.listen("[::1]:0");
    if (ec == asio::error::address_family_not_supported ||
        ec == boost::system::errc::address_not_available) {
        MESSAGE("no IPv6 loopback here: " << ec.message());
        return;
    }
    REQUIRE_FALSE(ec);
    CHECK(server.local_endpoint().address() == asio::ip::make_address("::1"));
}

TEST_CASE("routes: exact, prefix, longest prefix, 404") {
    running_server s;
    auto echo = [](const std::string& name) {
        return [name](const http_request& req, http_response& res) {
            res.body = name + " " + req.method + " " + req.path + " ?" + req.query;
        };
    };
    s.server().route("/", echo("root"));
    s.server().route("/metrics", echo("metrics"));
    s.server().route("/api/", echo("api"));
    s.server().route("/api/v1/", echo("v1"));
    s.server().route("/api/v1/special", echo("special"));
    s.server().route("/metrics", echo("metrics2")); // replaces
    s.start();

    curl_client c;
    const auto body_of = [&](std::string_view target) {
        const curl_reply r = c.get(s.url(target));
        REQUIRE(r.code == CURLE_OK);
        CHECK(r.status == 200);
        return r.body;
    };
    CHECK(body_of("/") == "root GET / ?");
    CHECK(body_of("/metrics") == "metrics2 GET /metrics ?");
    CHECK(body_of("/api/v1/outages/7?since=2026-01-01&x=%20") ==
          "v1 GET /api/v1/outages/7 ?since=2026-01-01&x=%20");
    CHECK(body_of("/api/v1/") == "v1 GET /api/v1/ ?");
    CHECK(body_of("/api/v1") == "api GET /api/v1 ?");
    CHECK(body_of("/api/v1/special") == "special GET /api/v1/special ?");
    CHECK(body_of("/api/v1/special/x") == "v1 GET /api/v1/special/x ?");
    CHECK(body_of("/api/v2/x") == "api GET /api/v2/x ?");
    CHECK(body_of("/api/v1/a%2Fb") == "v1 GET /api/v1/a%2Fb ?"); // raw, not decoded

    for (const char* target : {"/nope", "/metrics/", "/metricsx", "/API/v1/", "/ap"}) {
        CAPTURE(target);
        const curl_reply r = c.get(s.url(target));
        REQUIRE(r.code == CURLE_OK);
        CHECK(r.status == 404);
        CHECK(r.body == "not found\n");
        CHECK(r.header("Content-Type") == "text/plain; charset=utf-8");
        CHECK(r.header("Server") == "pantau");
    }
}

TEST_CASE("handlers read query parameters, headers and the POST body") {
    running_server s;
    s.server().route("/search", [](const http_request& req, http_response& res) {
        res.body =
            pantau::query_param(req.query, "kota") + "|" + pantau::query_param(req.query, "n");
    });
    s.server().route("/echo", [](const http_request& req, http_response& res) {
        res.content_type = "application/octet-stream";
        res.headers.emplace_back("X-Seen", req.method + " " + req.header("x-pantau-test"));
        res.body = req.body;
    });
    s.start();

    curl_client c;
    const curl_reply q = c.get(s.url("/search?kota=Kota+Bekasi%20%28Jabar%29&n=3"));
    REQUIRE(q.code == CURLE_OK);
    CHECK(q.body == "Kota Bekasi (Jabar)|3");

    std::string body;
    for (int i = 0; i < 100 * 1024; ++i) {
        body += static_cast<char>(i % 256); // every byte value, NUL included
    }
    const curl_reply p = c.post(s.url("/echo"), body, "X-Pantau-Test: abc");
    REQUIRE(p.code == CURLE_OK);
    CHECK(p.status == 200);
    CHECK(p.body == body);
    CHECK(p.header("X-Seen") == "POST abc");
    CHECK(p.header("Content-Length") == std::to_string(body.size()));
    CHECK(p.header("Content-Type") == "application/octet-stream");
    CHECK(p.header("Server") == "pantau");

    const std::string at_limit(std::size_t{1} << 20, 'x');
    const curl_reply l = c.post(s.url("/echo"), at_limit);
    REQUIRE(l.code == CURLE_OK);
    CHECK(l.status == 200);
    CHECK(l.body.size() == at_limit.size());
}

TEST_CASE("a body over 1 MiB gets 413 and the connection is closed") {
    running_server s;
    int calls = 0;
    s.server().route("/echo", [&](const http_request& req, http_response& res) {
        ++calls;
        res.body = req.body;
    });
    s.start();
    const std::string big(std::size_t{2} << 20, 'x');

    SUBCASE("curl, which waits for 100 Continue") {
        curl_client c;
        const curl_reply r = c.post(s.url("/echo"), big);
        REQUIRE(r.code == CURLE_OK);
        CHECK(r.status == 413);
        CHECK(r.body == "request body too large\n");
        CHECK(r.header("Connection") == "close");
    }
    SUBCASE("a raw client that sends the whole body anyway still reads the 413") {
        raw_client c{s.port()};
        const std::string huge(std::size_t{16} << 20, 'x'); // more than the socket buffers hold
        error_code write_error;
        const auto r = c.send_and_read("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                                           std::to_string(huge.size()) + "\r\n\r\n" + huge,
                                       &write_error);
        // The server reads and discards the refused body instead of resetting the connection,
        // which over a real network could destroy the 413 before the client reads it.
        CHECK_FALSE(write_error);
        REQUIRE(r);
        CHECK(r->result_int() == 413);
        CHECK_FALSE(r->keep_alive());
        CHECK(c.wait_closed());
    }
    SUBCASE("a chunked body that grows past the limit") {
        raw_client c{s.port()};
        std::string request =
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 3; ++i) {
            request += "80000\r\n" + std::string(0x80000, 'y') + "\r\n";
        }
        request += "0\r\n\r\n";
        const auto r = c.send_and_read(request);
        REQUIRE(r);
        CHECK(r->result_int() == 413);
        CHECK(c.wait_closed());
    }
    CHECK(s.call([&] { return calls; }) == 0);
}

TEST_CASE("Expect: 100-continue gets an interim response before the body") {
    running_server s;
    s.server().route("/echo",
                     [](const http_request& req, http_response& res) { res.body = req.body; });
    s.start();
    raw_client c{s.port()};
    REQUIRE_FALSE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                         "Expect: 100-continue\r\n\r\n"));
    CHECK(c.read_head() == "HTTP/1.1 100 Continue\r\n\r\n");
    REQUIRE_FALSE(c.send("hello"));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK(r->body() == "hello");
}

TEST_CASE("HEAD gets the GET headers without a body") {
    running_server s;
    s.server().route("/page", [](const http_request& req, http_response& res) {
        res.content_type = "text/html; charset=utf-8";
        res.body = "<p>" + req.method + "</p>";
    });
    s.start();
    curl_client c;
    const curl_reply get = c.get(s.url("/page"));
    const curl_reply head = c.head(s.url("/page"));
    REQUIRE(get.code == CURLE_OK);
    REQUIRE(head.code == CURLE_OK);
    CHECK(get.body == "<p>GET</p>");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("Content-Length") == std::to_string(std::string{"<p>HEAD</p>"}.size()));
    CHECK(head.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(head.header("Server") == "pantau");
    // The connection is still usable after a HEAD.
    CHECK(c.get(s.url("/page")).new_connections == 0);
}

TEST_CASE("bad handlers and bad requests get error statuses") {
    recording_log log;
    running_server s;
    s.server().route("/throws", [](const http_request&, http_response& res) {
        res.body = "partial";
        throw std::runtime_error("database on fire");
    });
    s.server().route("/throws-int", [](const http_request&, http_response&) { throw 42; });
    s.server().route("/split", [](const http_request&, http_response& res) {
        res.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: stolen=1");
    });
    s.server().route("/status", [](const http_request& req, http_response& res) {
        res.status = std::stoi(pantau::query_param(req.query, "code"));
        res.body = "body";
    });
    s.server().route("/framing", [](const http_request&, http_response& res) {
        res.headers.emplace_back("Content-Length", "999");
        res.headers.emplace_back("Connection", "close");
        res.headers.emplace_back("Content-Type", "application/json");
        res.body = "{}";
    });
    s.start();
    curl_client c;

    const curl_reply t = c.get(s.url("/throws"));
    REQUIRE(t.code == CURLE_OK);
    CHECK(t.status == 500);
    CHECK(t.body == "internal server error\n");
    CHECK(log.text().find("database on fire") != std::string::npos);
    CHECK(log.text().find("/throws") != std::string::npos);

    CHECK(c.get(s.url("/throws-int")).status == 500);
    const curl_reply split = c.get(s.url("/split"));
    CHECK(split.status == 500);
    CHECK(split.header("Set-Cookie").empty());
    CHECK(c.get(s.url("/status?code=99")).status == 500);
    CHECK(c.get(s.url("/status?code=600")).status == 500);
    CHECK(c.get(s.url("/status?code=503")).status == 503);
    const curl_reply none = c.get(s.url("/status?code=204"));
    CHECK(none.status == 204);
    CHECK(none.body.empty());

    const curl_reply framing = c.get(s.url("/framing"));
    REQUIRE(framing.code == CURLE_OK);
    CHECK(framing.body == "{}");
    CHECK(framing.header("Content-Length") == "2");
    CHECK(framing.header("Content-Type") == "application/json");
    CHECK(framing.new_connections == 0); // the handler's "Connection: close" was ignored

    const curl_reply put = c.custom(s.url("/framing"), "PUT");
    CHECK(put.status == 405);
    CHECK(put.header("Allow") == "GET, HEAD, POST, DELETE");

    raw_client garbage{s.port()};
    REQUIRE_FALSE(garbage.send("NOT HTTP AT ALL\r\n\r\n"));
    const auto bad = garbage.read_response();
    REQUIRE(bad);
    CHECK(bad->result_int() == 400);
    CHECK(garbage.wait_closed());

    raw_client huge{s.port()};
    const auto too_big = huge.send_and_read(
        simple_get("/framing", "X-Filler: " + std::string(std::size_t{20} * 1024, 'f') + "\r\n"));
    REQUIRE(too_big);
    CHECK(too_big->result_int() == 431);
    CHECK(huge.wait_closed());
}

TEST_CASE("keep-alive: several requests on one connection, pipelined too") {
    running_server s;
    int served = 0;
    s.server().route("/n", [&](const http_request&, http_response& res) {
        res.body = std::to_string(++served);
    });
    s.start();

    curl_client c;
    const curl_reply first = c.get(s.url("/n"));
    const curl_reply second = c.get(s.url("/n"));
    REQUIRE(first.code == CURLE_OK);
    REQUIRE(second.code == CURLE_OK);
    CHECK(first.body == "1");
    CHECK(second.body == "2");
    CHECK(first.new_connections == 1);
    CHECK(second.new_connections == 0);
    CHECK(s.call([&] { return s.server().connections(); }) == 1);

    raw_client raw{s.port()};
    REQUIRE_FALSE(
        raw.send(simple_get("/n") + simple_get("/n") + simple_get("/n", "Connection: close\r\n")));
    const auto a = raw.read_response();
    const auto b = raw.read_response();
    const auto last = raw.read_response();
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(last);
    CHECK(a->body() == "3");
    CHECK(b->body() == "4");
    CHECK(a->keep_alive());
    CHECK(last->body() == "5");
    CHECK_FALSE(last->keep_alive());
    CHECK(raw.wait_closed());

    raw_client old{s.port()};
    REQUIRE_FALSE(old.send("GET /n HTTP/1.0\r\n\r\n"));
    const auto r10 = old.read_response();
    REQUIRE(r10);
    CHECK(r10->version() == 10);
    CHECK(r10->body() == "6");
    CHECK(old.wait_closed());
}

TEST_CASE("the idle deadline disconnects slow and silent clients") {
    pantau::http_server_options options;
    options.idle_timeout = 200ms;
    running_server s{options};
    s.server().route("/", [](const http_request&, http_response& res) { res.body = "ok"; });
    s.start();

    SUBCASE("half a request, then silence") {
        const auto start = std::chrono::steady_clock::now();
        raw_client c{s.port()};
        REQUIRE_FALSE(c.send("GET / HTTP/1.1\r\nHost: t\r\n"));
        CHECK(c.wait_closed());
        CHECK(std::chrono::steady_clock::now() - start >= options.idle_timeout);
    }
    SUBCASE("one byte every 50 ms: the deadline covers the whole request") {
        const auto start = std::chrono::steady_clock::now();
        raw_client c{s.port()};
        const std::string request = simple_get("/", "X-Padding: " + std::string(200, 'p') + "\r\n");
        bool closed = false;
        for (std::size_t i = 0; i < request.size() && !closed; ++i) {
            if (c.send(request.substr(i, 1))) {
                break; // the server closed already
            }
            closed = c.wait_closed(50ms); // waits on the network, bounded
        }
        CHECK((closed || c.wait_closed()));
        const auto elapsed = std::chrono::steady_clock::now() - start;
        CHECK(elapsed >= options.idle_timeout);
        CHECK(elapsed < 2s);
    }
    SUBCASE("an idle keep-alive connection after a complete request") {
        raw_client c{s.port()};
        REQUIRE_FALSE(c.send(simple_get("/")));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->body() == "ok");
        const auto start = std::chrono::steady_clock::now();
        CHECK(c.wait_closed());
        CHECK(std::chrono::steady_clock::now() - start < 2s);
    }
    CHECK(s.stop_and_wait());
}

TEST_CASE("when full, a new connection closes the oldest idle one and never a busy one") {
    pantau::http_server_options options;
    options.max_connections = 2;
    options.reserved_connections = 0;
    options.park_time = 300ms;
    running_server s{options};
    s.server().route("/", [](const http_request&, http_response& res) { res.body = "ok"; });
    std::vector<pantau::http_server::responder> held;
    s.server().route_async("/hold",
                           [&held](const http_request&, pantau::http_server::responder respond) {
                               held.push_back(std::move(respond));
                           });
    s.start();

    raw_client a{s.port()};
    raw_client b{s.port()};
    for (raw_client* c : {&a, &b}) {
        REQUIRE_FALSE(c->send(simple_get("/")));
        REQUIRE(c->read_response()); // proves the server accepted it
    }
    CHECK(s.call([&] { return s.server().connections(); }) == 2);

    // Both idle (kept alive, waiting for a next request): the oldest, a, makes room.
    raw_client c{s.port()};
    REQUIRE_FALSE(c.send(simple_get("/")));
    const auto served = c.read_response();
    REQUIRE(served);
    CHECK(served->body() == "ok");
    CHECK(a.wait_closed());
    REQUIRE_FALSE(b.send(simple_get("/")));
    const auto again = b.read_response();
    REQUIRE(again);
    CHECK(again->body() == "ok");

    // Both busy (their requests are being handled): a newcomer is parked, unanswered, then
    // closed.
    REQUIRE_FALSE(b.send(simple_get("/hold")));
    REQUIRE_FALSE(c.send(simple_get("/hold")));
    REQUIRE(eventually_on(s, [&] { return held.size() == 2; }));
    raw_client refused{s.port()};
    REQUIRE_FALSE(refused.send(simple_get("/")));
    CHECK_FALSE(refused.read_response());
    CHECK(s.call([&] { return s.server().connections(); }) == 2);
    s.call([&] {
        for (auto& respond : held) {
            http_response res;
            res.body = "held";
            respond(std::move(res));
        }
        held.clear();
        return 0;
    });
    for (raw_client* kept : {&b, &c}) {
        const auto r = kept->read_response();
        REQUIRE(r);
        CHECK(r->body() == "held");
    }
}

TEST_CASE("per-address limit: an address at its limit gets its next connections parked") {
    pantau::http_server_options options;
    options.max_connections_per_address = 2;
    options.park_time = 400ms;
    running_server s{options};
    s.server().route("/", [](const http_request&, http_response& res) { res.body = "ok"; });
    s.start();

    // Two silent connections from 127.0.0.2; the third is held unread, then closed.
    raw_client h1{s.port(), "127.0.0.2"};
    raw_client h2{s.port(), "127.0.0.2"};
    REQUIRE(eventually_on(s, [&] { return s.server().connections() == 2; }));
    const auto parked_at = std::chrono::steady_clock::now();
    raw_client h3{s.port(), "127.0.0.2"};
    REQUIRE_FALSE(h3.send(simple_get("/")));
    CHECK(h3.wait_closed()); // without an answer: wait_closed discards what arrives...
    const auto held = std::chrono::steady_clock::now() - parked_at;
    CHECK(held >= options.park_time / 2);
    CHECK(held < 3s);
    CHECK(s.call([&] { return s.server().connections(); }) == 2);

    // ...so ask again on a parked connection and read: no response, only the close.
    raw_client h4{s.port(), "127.0.0.2"};
    REQUIRE_FALSE(h4.send(simple_get("/")));
    CHECK_FALSE(h4.read_response());

    // Another address is not affected by 127.0.0.2's limit, nor are the two it has.
    raw_client other1{s.port(), "127.0.0.1"};
    raw_client other2{s.port(), "127.0.0.1"};
    for (raw_client* c : {&other1, &other2, &h1, &h2}) {
        REQUIRE_FALSE(c->send(simple_get("/")));
        const auto r = c->read_response();
        REQUIRE(r);
        CHECK(r->body() == "ok");
    }
}

TEST_CASE("a reserved slot serves /metrics, heartbeats and /-/healthy, and nothing else") {
    pantau::http_server_options options;
    options.max_connections = 4;
    options.reserved_connections = 2;
    running_server s{options};
    for (const char* path : {"/metrics", "/-/healthy", "/api/v1/heartbeat/", "/"}) {
        s.server().route(
            path, [](const http_request& req, http_response& res) { res.body = "ok " + req.path; });
    }
    std::vector<pantau::http_server::responder> held;
    s.server().route_async("/hold",
                           [&held](const http_request&, pantau::http_server::responder respond) {
                               held.push_back(std::move(respond));
                           });
    s.start();

    // Every ordinary slot busy.
    raw_client busy1{s.port()};
    raw_client busy2{s.port()};
    REQUIRE_FALSE(busy1.send(simple_get("/hold")));
    REQUIRE_FALSE(busy2.send(simple_get("/hold")));
    REQUIRE(eventually_on(s, [&] { return held.size() == 2; }));

    raw_client page{s.port()};
    REQUIRE_FALSE(page.send(simple_get("/")));
    const auto refused = page.read_response();
    REQUIRE(refused);
    CHECK(refused->result_int() == 503);
    CHECK(refused->at("Retry-After") == "1");
    CHECK(page.wait_closed());

    raw_client scrape{s.port()};
    REQUIRE_FALSE(scrape.send(simple_get("/metrics") + simple_get("/-/healthy")));
    for (const char* want : {"ok /metrics", "ok /-/healthy"}) {
        const auto r = scrape.read_response();
        REQUIRE(r);
        CHECK(r->result_int() == 200);
        CHECK(r->body() == want);
    }
    raw_client beat{s.port()};
    REQUIRE_FALSE(beat.send("POST /api/v1/heartbeat/svc/job HTTP/1.1\r\nHost: t\r\n"
                            "Content-Length: 0\r\n\r\n"));
    const auto b = beat.read_response();
    REQUIRE(b);
    CHECK(b->body() == "ok /api/v1/heartbeat/svc/job");
    s.call([&] {
        held.clear(); // dropping the responders closes those connections unanswered
        return 0;
    });
}

TEST_CASE("under pressure, a connection that sends no complete request gets header_timeout") {
    pantau::http_server_options options;
    options.pressure_connections = 2;
    options.header_timeout = 300ms;
    options.idle_timeout = 30s;
    running_server s{options};
    s.server().route("/", [](const http_request&, http_response& res) { res.body = "ok"; });
    s.start();

    // Alone, a silent connection keeps its idle_timeout.
    raw_client silent{s.port()};
    CHECK_FALSE(silent.wait_closed(3 * options.header_timeout));

    // A second connection means pressure: the first has waited longer than header_timeout
    // and is closed at once; the second, half a request, gets header_timeout from its start.
    const auto start = std::chrono::steady_clock::now();
    raw_client slow{s.port()};
    REQUIRE_FALSE(slow.send("GET / HTTP/1.1\r\nHost: t\r\n"));
    CHECK(silent.wait_closed(2s));
    CHECK(std::chrono::steady_clock::now() - start < options.header_timeout);
    CHECK(slow.wait_closed(2s));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed >= options.header_timeout);
    CHECK(elapsed < 2s);

    // Without pressure again, a client is served as always.
    REQUIRE(eventually_on(s, [&] { return s.server().connections() == 0; }));
    raw_client fine{s.port()};
    REQUIRE_FALSE(fine.send(simple_get("/")));
    const auto r = fine.read_response();
    REQUIRE(r);
    CHECK(r->body() == "ok");
}

TEST_CASE("stop() closes open connections and leaves the io_context without work") {
    running_server s;
    s.server().route("/", [](const http_request&, http_response& res) { res.body = "ok"; });
    s.start();

    raw_client idle{s.port()};
    raw_client half{s.port()};
    for (raw_client* c : {&idle, &half}) {
        REQUIRE_FALSE(c->send(simple_get("/")));
        REQUIRE(c->read_response());
    }
    REQUIRE_FALSE(half.send("GET / HTTP/1.1\r\nHo"));
    CHECK(s.call([&] { return s.server().connections(); }) == 2);

    REQUIRE(s.stop_and_wait()); // run() returned: nothing left behind
    CHECK(idle.wait_closed());
    CHECK(half.wait_closed());
    CHECK(s.server().connections() == 0);
    s.server().stop(); // a third time, with the loop gone
    CHECK(s.server().listen("127.0.0.1:0") == asio::error::operation_aborted);
}

TEST_CASE("a handler may stop the server") {
    running_server s;
    s.server().route("/quit", [&](const http_request&, http_response& res) {
        res.body = "bye";
        s.server().stop(); // runs on the server's thread
    });
    s.start();
    raw_client c{s.port()};
    REQUIRE_FALSE(c.send(simple_get("/quit")));
    CHECK(c.wait_closed());
    CHECK(s.wait_finished());
}

TEST_CASE("destroying the server with open connections lets io_context::run finish") {
    asio::io_context io;
    std::optional<pantau::http_server> server{std::in_place, io};
    server->route("/", [](const http_request&, http_response& res) { res.body = "ok"; });
    REQUIRE_FALSE(server->listen("127.0.0.1:0"));
    raw_client c{server->local_endpoint().port()};
    REQUIRE_FALSE(c.send("GET / HTTP/1.1\r\n")); // lands in the kernel; the loop is not running

    const auto deadline = std::chrono::steady_clock::now() + network_timeout;
    while (server->connections() == 0 && std::chrono::steady_clock::now() < deadline) {
        io.run_one_for(network_timeout); // accepts
    }
    REQUIRE(server->connections() == 1);
    server.reset();
    io.run_for(network_timeout);
    CHECK(io.stopped()); // ran out of work rather than out of time
    CHECK(c.wait_closed());
}
