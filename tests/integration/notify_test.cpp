// Notification channels against loopback fakes of a webhook receiver and the Bot API.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/io_context.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <mutex>
#include <optional>
#include <vector>

#include "config/channel_config.hpp"
#include "fixtures/fixture_server.hpp"
#include "io/curl_multi.hpp"
#include "notify/channel.hpp"
#include "notify/telegram.hpp"
#include "notify/webhook.hpp"
#include "notify_support.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using pantau::test::fixture_server;
using json = nlohmann::json;
using pantau::test::notify_env;
using pantau::test::sample;

namespace {

// Requests a fixture route received; the handler runs on the server's thread.
struct recorder {
    std::mutex mutex;
    std::vector<pantau::test::request> requests;

    pantau::sim::request_handler answer(pantau::test::response reply) {
        return [this, reply = std::move(reply)](const pantau::test::request& req) {
            const std::lock_guard lock(mutex);
            requests.push_back(req);
            return reply;
        };
    }
    std::vector<pantau::test::request> taken() {
        const std::lock_guard lock(mutex);
        return requests;
    }
};

std::string hmac_hex(const std::string& key, const std::string& data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
        std::array<char, 3> byte{};
        std::snprintf(byte.data(), byte.size(), "%02x", mac[i]);
        hex += byte.data();
    }
    return hex;
}

pantau::test::response status(int code, std::string body = {},
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    pantau::test::response r;
    r.status = code;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

} // namespace

TEST_CASE("webhook: posts the documented JSON with the idempotency key") {
    fixture_server srv;
    recorder rec;
    srv.set_handler("/hook", rec.answer(status(204)));
    notify_env env;
    auto ch = env.make("webhook", {{"url", srv.url("/hook")}});
    CHECK(ch->name() == "test-webhook");

    const send_result r = env.send(*ch, sample());
    CHECK(r.ok);
    CHECK_FALSE(r.retry_after);

    const auto reqs = rec.taken();
    REQUIRE(reqs.size() == 1);
    const auto& req = reqs[0];
    CHECK(req.method == "POST");
    CHECK(req.header("Content-Type") == "application/json");
    CHECK(req.header("Idempotency-Key") == "outage-42/level-2/firing");
    CHECK_FALSE(req.header("X-Pantau-Signature"));
    const json body = json::parse(req.body);
    CHECK(body["version"] == 1);
    CHECK(body["event"] == "firing");
    CHECK(body["idempotency_key"] == "outage-42/level-2/firing");
    CHECK(body["outage_id"] == 42);
    CHECK(body["agency"] ==
          json{{"id", "dukcapil"}, {"name", "Dinas Kependudukan dan Pencatatan Sipil"}});
    CHECK(body["service"] ==
          json{{"id", "akta-online"}, {"name", "Layanan Akta Kelahiran Online"}});
    CHECK(body["check"] == "portal");
    CHECK(body["reason"] == "http 503");
    CHECK(body["since"] == "2026-11-28T19:00:05+07:00");
    CHECK(body["level"] == 2);
    CHECK(body["link"] == "https://status.example.go.id/outages/42");

    notification resolved = sample();
    resolved.kind = notification_kind::resolved;
    resolved.idempotency_key = "outage-42/resolved";
    CHECK(env.send(*ch, resolved).ok);
    const auto after = rec.taken();
    REQUIRE(after.size() == 2);
    CHECK(json::parse(after[1].body)["event"] == "resolved");
    CHECK(after[1].header("Idempotency-Key") == "outage-42/resolved");
}

TEST_CASE("webhook: the signature is an HMAC-SHA256 of the body with the secret") {
    fixture_server srv;
    recorder rec;
    srv.set_handler("/hook", rec.answer(status(200, "ok")));
    notify_env env;
    auto ch = env.make("webhook", {{"url", srv.url("/hook")}, {"secret", "rahasia-kota"}});
    notification n = sample();
    n.service_name = "Layanan \"Akta\" \xC3\xA9"; // quotes and UTF-8 survive signing
    CHECK(env.send(*ch, n).ok);

    const auto reqs = rec.taken();
    REQUIRE(reqs.size() == 1);
    const auto signature = reqs[0].header("X-Pantau-Signature");
    REQUIRE(signature);
    CHECK(*signature == "sha256=" + hmac_hex("rahasia-kota", reqs[0].body));
    CHECK(*signature != "sha256=" + hmac_hex("other-secret", reqs[0].body));
    CHECK(json::parse(reqs[0].body)["service"]["name"] == "Layanan \"Akta\" \xC3\xA9");
}

TEST_CASE("webhook: server errors are retryable, rejections are not") {
    fixture_server srv;
    notify_env env;
    auto ch = env.make("webhook", {{"url", srv.url("/hook")}});

    srv.set_status("/hook", 500);
    send_result r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK(r.retryable);
    CHECK(r.detail.find("http 500") == 0);

    srv.set_status("/hook", 400);
    r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retryable);
    CHECK(r.detail.find("http 400") == 0);

    srv.set_handler("/hook", [](const pantau::test::request&) {
        return status(503, "busy", {{"Retry-After", "7"}});
    });
    r = env.send(*ch, sample());
    CHECK(r.retryable);
    REQUIRE(r.retry_after);
    CHECK(*r.retry_after == 7s);

    srv.set_status("/hook", 429);
    CHECK(env.send(*ch, sample()).retryable);
    srv.set_status("/hook", 408);
    CHECK(env.send(*ch, sample()).retryable);
    srv.set_status("/hook", 404);
    CHECK_FALSE(env.send(*ch, sample()).retryable);
}

TEST_CASE("webhook: a hanging receiver times out within the channel timeout") {
    fixture_server srv;
    notify_env env;
    auto ch = env.make("webhook", {{"url", srv.url("/hang")}, {"timeout", "1s"}});
    const auto start = std::chrono::steady_clock::now();
    const send_result r = env.send(*ch, sample());
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK_FALSE(r.ok);
    CHECK(r.retryable);
    CHECK(r.detail == "timeout after 1s");
    CHECK(elapsed >= 900ms);
    CHECK(elapsed < 3s);
}

TEST_CASE("webhook: cancel abandons a send without calling its handler") {
    fixture_server srv;
    notify_env env;
    auto ch = env.make("webhook", {{"url", srv.url("/hang")}});
    bool called = false;
    ch->async_send(sample(), [&called](const send_result&) { called = true; });
    for (int i = 0; i < 100 && srv.hits("/hang") == 0; ++i) {
        env.io.restart();
        env.io.run_for(20ms); // until the request reaches the server, which never answers
    }
    REQUIRE(srv.hits("/hang") == 1);
    ch->cancel();
    env.io.restart();
    env.io.run_for(200ms);
    CHECK_FALSE(called);
    // Sending again after a cancel works.
    ch->async_send(sample(), [&called](const send_result&) { called = true; });
    ch.reset(); // destruction cancels too
    env.io.restart();
    env.io.run_for(200ms);
    CHECK_FALSE(called);
}

TEST_CASE("telegram: sendMessage with chat, thread and HTML text") {
    fixture_server srv;
    recorder rec;
    srv.set_handler("/bot123:ABC/sendMessage",
                    rec.answer(status(200, R"({"ok":true,"result":{"message_id":7}})")));
    notify_env env;
    auto ch = env.make("telegram", {{"token", "123:ABC"},
                                    {"chat_id", "-1001234567"},
                                    {"message_thread_id", "42"},
                                    {"base_url", srv.url("/")}});
    const send_result r = env.send(*ch, sample());
    CHECK(r.ok);

    const auto reqs = rec.taken();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "POST");
    CHECK(reqs[0].path == "/bot123:ABC/sendMessage");
    CHECK(reqs[0].header("Content-Type") == "application/json");
    const json body = json::parse(reqs[0].body);
    CHECK(body["chat_id"] == -1001234567);
    CHECK(body["parse_mode"] == "HTML");
    CHECK(body["message_thread_id"] == 42);
    const std::string text = body["text"];
    INFO(text);
    CHECK(text.find("Layanan Akta Kelahiran Online") != std::string::npos);
    CHECK(text.find("Dinas Kependudukan dan Pencatatan Sipil") != std::string::npos);
    CHECK(text.find("28-11-2026 19:00 WIB") != std::string::npos);
    CHECK(text.find("portal — http 503") != std::string::npos);
    CHECK(text.find("Tingkat eskalasi: 2") != std::string::npos);
    CHECK(text.find("https://status.example.go.id/outages/42") != std::string::npos);
}

TEST_CASE("telegram: a channel name as chat_id stays a string, no thread by default") {
    fixture_server srv;
    recorder rec;
    srv.set_handler("/botT/sendMessage", rec.answer(status(200, R"({"ok":true})")));
    notify_env env;
    auto ch = env.make("telegram",
                       {{"token", "T"}, {"chat_id", "@pantau_kota"}, {"base_url", srv.url("/")}});
    CHECK(env.send(*ch, sample()).ok);
    const auto reqs = rec.taken();
    REQUIRE(reqs.size() == 1);
    const json body = json::parse(reqs[0].body);
    CHECK(body["chat_id"] == "@pantau_kota");
    CHECK_FALSE(body.contains("message_thread_id"));
}

TEST_CASE("telegram: 429 retry_after is honoured, rejections are final") {
    fixture_server srv;
    notify_env env;
    auto ch = env.make("telegram",
                       {{"token", "SECRET-TOKEN"}, {"chat_id", "1"}, {"base_url", srv.url("/")}});
    srv.set_handler("/botSECRET-TOKEN/sendMessage", [](const pantau::test::request&) {
        return status(429, R"({"ok":false,"error_code":429,)"
                           R"("description":"Too Many Requests: retry after 17",)"
                           R"("parameters":{"retry_after":17}})");
    });
    send_result r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK(r.retryable);
    REQUIRE(r.retry_after);
    CHECK(*r.retry_after == 17s);
    CHECK(r.detail == "http 429: Too Many Requests: retry after 17");

    srv.set_handler("/botSECRET-TOKEN/sendMessage", [](const pantau::test::request&) {
        return status(400, R"({"ok":false,"error_code":400,)"
                           R"("description":"Bad Request: chat not found"})");
    });
    r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retryable);
    CHECK(r.detail == "http 400: Bad Request: chat not found");
    CHECK(r.detail.find("SECRET-TOKEN") == std::string::npos);
}

TEST_CASE("telegram: hostile names and reasons are HTML-escaped") {
    fixture_server srv;
    recorder rec;
    srv.set_handler("/botT/sendMessage", rec.answer(status(200, R"({"ok":true})")));
    notify_env env;
    auto ch = env.make("telegram", {{"token", "T"}, {"chat_id", "1"}, {"base_url", srv.url("/")}});
    notification n = sample();
    n.service_name = R"(<script>alert("x")</script> & <b>)";
    n.reason = "body contains \"<a href='x'>\"";
    CHECK(env.send(*ch, n).ok);
    const auto reqs = rec.taken();
    REQUIRE(reqs.size() == 1);
    const std::string text = json::parse(reqs[0].body)["text"];
    INFO(text);
    CHECK(text.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;") !=
          std::string::npos);
    CHECK(text.find("<script>") == std::string::npos);
    CHECK(text.find("<a href") == std::string::npos);
    CHECK(text.find("&lt;a href=&#39;x&#39;&gt;") != std::string::npos);
}

TEST_CASE("make_channel: settings are checked, unknown types are refused clearly") {
    boost::asio::io_context io;
    curl_multi curl{io};
    auto attempt = [&curl](const std::string& type, std::map<std::string, std::string> s) {
        channel_config cfg;
        cfg.name = "c";
        cfg.type = type;
        cfg.settings = std::move(s);
        std::string error;
        auto ch = make_channel(curl, cfg, error);
        CHECK((ch == nullptr) == !error.empty());
        return error;
    };
    CHECK(attempt("pager", {}) == "channel \"c\": unknown channel type \"pager\"");
    CHECK(attempt("webhook", {}) == "channel \"c\": webhook needs url");
    CHECK(attempt("webhook", {{"url", "ftp://x"}}) ==
          "channel \"c\": url must start with http:// or https://");
    CHECK(attempt("webhook", {{"url", "http://x"}, {"scret", "s"}}) ==
          "channel \"c\": unknown webhook setting \"scret\" (known: url, secret, timeout)");
    CHECK(attempt("webhook", {{"url", "http://x"}, {"timeout", "soon"}}).find("timeout") !=
          std::string::npos);
    CHECK(attempt("telegram", {{"token", "t"}}) == "channel \"c\": telegram needs chat_id");
    CHECK(attempt("telegram", {{"token", "t"}, {"chat_id", "1"}, {"message_thread_id", "x"}})
              .find("message_thread_id") != std::string::npos);
    CHECK(attempt("telegram", {{"token", "t"}, {"chat_id", "1"}}).empty());
}
