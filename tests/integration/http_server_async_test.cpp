// http_server::route_async: handlers that answer later (as /probe does) on 127.0.0.1:0,
// driven by libcurl. The server's io_context runs on a background thread; the test thread
// reaches the server only through post_and_wait.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <curl/curl.h>
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "web/http_server.hpp"

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using pantau::http_request;
using pantau::http_response;
using pantau::http_server;

class async_server {
public:
    async_server() : server_(io_) {}
    ~async_server() {
        post_and_wait([this] {
            server_.stop();
            later_.reset();
        });
        work_.reset();
        thread_.join();
    }
    async_server(const async_server&) = delete;
    async_server& operator=(const async_server&) = delete;

    http_server& server() { return server_; }
    asio::io_context& io() { return io_; }

    void start() {
        REQUIRE_FALSE(server_.listen("127.0.0.1:0"));
        url_ = "http://127.0.0.1:" + std::to_string(server_.local_endpoint().port());
        thread_ = std::thread([this] { io_.run(); });
    }
    const std::string& url() const { return url_; }

    template <typename F>
    auto post_and_wait(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        asio::post(io_, [&task] { task(); });
        REQUIRE(result.wait_for(5s) == std::future_status::ready);
        return result.get();
    }

    // A responder kept for later, as a probe in flight keeps it.
    std::optional<http_server::responder> later_;

private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    http_server server_;
    std::thread thread_;
    std::string url_;
};

size_t collect(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

struct reply {
    long status = 0;
    std::string body;
};

reply get(CURL* h, const std::string& url) {
    reply r;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    if (curl_easy_perform(h) == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    }
    return r;
}

reply get(const std::string& url) {
    const std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), &curl_easy_cleanup);
    return get(h.get(), url);
}

http_response text(std::string body) {
    http_response r;
    r.body = std::move(body);
    return r;
}

} // namespace

TEST_CASE("http server: an async handler answers later without holding up other requests") {
    async_server s;
    s.server().route_async("/later", [&s](const http_request&, http_server::responder respond) {
        auto timer = std::make_shared<asio::steady_timer>(s.io(), 300ms);
        timer->async_wait(
            [timer, respond = std::move(respond)](const auto&) { respond(text("late answer\n")); });
    });
    s.server().route("/now", [](const http_request&, http_response& res) { res.body = "now\n"; });
    s.start();

    auto later = std::async(std::launch::async, [&] { return get(s.url() + "/later"); });
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(get(s.url() + "/now").body == "now\n");
    CHECK(std::chrono::steady_clock::now() - t0 < 250ms);
    const reply r = later.get();
    CHECK(r.status == 200);
    CHECK(r.body == "late answer\n");
}

TEST_CASE("http server: a responder answers once and the kept connection stays in step") {
    async_server s;
    s.server().route_async(
        "/twice", [](const http_request&, const http_server::responder& respond) {
            respond(text("first\n"));
            respond(text("second\n")); // ignored: it would corrupt the keep-alive stream
        });
    s.start();
    const std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), &curl_easy_cleanup);
    CHECK(get(h.get(), s.url() + "/twice").body == "first\n");
    CHECK(get(h.get(), s.url() + "/twice").body == "first\n"); // same connection, in step
    long reused = -1;
    curl_easy_getinfo(h.get(), CURLINFO_NUM_CONNECTS, &reused);
    CHECK(reused == 0);
}

TEST_CASE("http server: a handler that throws before answering gets 500") {
    async_server s;
    s.server().route_async("/boom", [](const http_request&, const http_server::responder&) {
        throw std::runtime_error("boom");
    });
    s.start();
    CHECK(get(s.url() + "/boom").status == 500);
}

TEST_CASE("http server: a dropped responder closes the connection and stop() is safe") {
    async_server s;
    s.server().route_async("/drop", [](const http_request&, const http_server::responder&) {});
    s.server().route_async("/keep", [&s](const http_request&, http_server::responder respond) {
        s.later_ = std::move(respond);
    });
    s.start();
    CHECK(get(s.url() + "/drop").status == 0); // closed unanswered, not left hanging
    CHECK(s.post_and_wait([&s] { return s.server().connections(); }) == 0);

    auto kept = std::async(std::launch::async, [&] { return get(s.url() + "/keep"); });
    // Wait until the handler holds the responder, then stop the server under it.
    for (int i = 0; i < 100 && !s.post_and_wait([&s] { return s.later_.has_value(); }); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    REQUIRE(s.post_and_wait([&s] { return s.later_.has_value(); }));
    s.post_and_wait([&s] {
        s.server().stop();
        (*s.later_)(text("too late\n")); // does nothing: the server is stopped
        s.later_.reset();
        return true;
    });
    CHECK(kept.get().status == 0);
}
