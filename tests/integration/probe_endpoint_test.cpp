// /probe?target=&module=: the real pantau binary as a blackbox_exporter stand-in, probing
// loopback services the way Prometheus would ask it to.
#include <curl/curl.h>
#include <doctest/doctest.h>

#include <signal.h>

#include <cmath>
#include <future>
#include <optional>
#include <string>

#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

struct reply {
    long status = 0;
    std::string content_type;
    std::string body;
    std::chrono::milliseconds took{0};
};

size_t collect(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

// GET with an optional X-Prometheus-Scrape-Timeout-Seconds header, as Prometheus sends it.
reply scrape(const std::string& url, const std::string& scrape_timeout = "") {
    reply r;
    CURL* h = curl_easy_init();
    REQUIRE(h != nullptr);
    curl_slist* headers = nullptr;
    const std::string header = "X-Prometheus-Scrape-Timeout-Seconds: " + scrape_timeout;
    if (!scrape_timeout.empty()) {
        headers = curl_slist_append(headers, header.c_str());
    }
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    const auto t0 = std::chrono::steady_clock::now();
    if (curl_easy_perform(h) == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
        char* type = nullptr;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
        r.content_type = type != nullptr ? type : "";
    }
    r.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return r;
}

std::string escaped(const std::string& text) {
    char* e = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
}

std::string probe_url(const std::string& base, const std::string& target,
                      const std::string& module = "") {
    std::string url = base + "/probe?target=" + escaped(target);
    if (!module.empty()) {
        url += "&module=" + module;
    }
    return url;
}

// The value of an unlabelled (or exactly labelled) sample, e.g. "probe_success".
std::optional<double> sample(const std::string& text, const std::string& series) {
    const std::string key = "\n" + series + " ";
    const std::size_t at = ("\n" + text).find(key);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    return std::strtod(text.c_str() + at + key.size() - 1, nullptr);
}

std::string daemon_config(const fixture_server& srv, const std::string& modules) {
    return "listen: 127.0.0.1:0\n"
           "defaults: {interval: 5s, timeout: 2s}\n"
           "agencies: [{id: dukcapil, name: Dukcapil}]\n"
           "services:\n"
           "  - id: akta\n"
           "    agency: dukcapil\n"
           "    checks: [{id: portal, http: {url: \"" +
           srv.url("/status/200") + "\"}}]\n" + modules;
}

} // namespace

TEST_CASE("/probe: blackbox_exporter's multi-target endpoint against loopback services") {
    fixture_server srv;
    const certificate cert = make_self_signed({.valid = {.not_after = std::chrono::days(30)}});
    fixture_server tls_srv(fixture_server_options{.tls = cert});
    temp_dir dir;
    const std::string ca = dir.write("ca.pem", cert.cert_pem);
    const auto cfg = dir.write("pantau.yaml", daemon_config(srv, "modules:\n"
                                                                 "  only_204:\n"
                                                                 "    http:\n"
                                                                 "      expect: {status: [204]}\n"
                                                                 "  city_ca:\n"
                                                                 "    http: {ca_file: \"" +
                                                                     ca + "\"}\n"));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = wait_for_base_url(p);
    REQUIRE_MESSAGE(!base.empty(), p.output());

    SUBCASE("a healthy target") {
        const reply ok = scrape(probe_url(base, srv.url("/ok"), "http_2xx"), "10");
        REQUIRE(ok.status == 200);
        CHECK(ok.content_type.find("text/plain; version=0.0.4") == 0);
        CHECK(sample(ok.body, "probe_success") == 1);
        CHECK(sample(ok.body, "probe_http_status_code") == 200);
        const auto duration = sample(ok.body, "probe_duration_seconds");
        REQUIRE(duration);
        CHECK(*duration > 0);
        CHECK(*duration < 5);
        for (const char* phase : {"resolve", "connect", "tls", "processing", "transfer"}) {
            CHECK_MESSAGE(sample(ok.body, std::string("probe_http_duration_seconds{phase=\"") +
                                              phase + "\"}"),
                          phase);
        }
        // Prometheus adds the target's labels; Pantau's own would clash with them.
        CHECK(ok.body.find("agency=") == std::string::npos);
        CHECK(ok.body.find("check=") == std::string::npos);
        CHECK(srv.hits("/ok") >= 1);
        // The default module is http_2xx; a bare host:port gets http://.
        const std::string host_port = srv.url("/").substr(std::string("http://").size());
        CHECK(sample(scrape(base + "/probe?target=" + escaped(host_port + "ok")).body,
                     "probe_success") == 1);
    }

    SUBCASE("failing and unreachable targets give probe_success 0") {
        const reply broken = scrape(probe_url(base, srv.url("/status/503")), "10");
        REQUIRE(broken.status == 200); // the scrape worked; the target did not
        CHECK(sample(broken.body, "probe_success") == 0);
        CHECK(sample(broken.body, "probe_http_status_code") == 503);
        CHECK(broken.body.find("# pantau: probe failed: http 503") != std::string::npos);

        std::string gone_url;
        {
            fixture_server gone;
            gone_url = gone.url("/ok");
        } // nothing listens on its port any more
        const reply down = scrape(probe_url(base, gone_url), "10");
        REQUIRE(down.status == 200);
        CHECK(sample(down.body, "probe_success") == 0);
        CHECK(sample(down.body, "probe_http_status_code") == 0);
        CHECK(down.body.find("connection refused") != std::string::npos);
    }

    SUBCASE("modules from the configuration") {
        const reply strict = scrape(probe_url(base, srv.url("/ok"), "only_204"));
        CHECK(sample(strict.body, "probe_success") == 0);
        CHECK(sample(strict.body, "probe_http_status_code") == 200);

        // http_2xx verifies certificates against the system's CAs; city_ca trusts the test CA.
        const reply untrusted = scrape(probe_url(base, tls_srv.url("/ok", "localhost")));
        CHECK(sample(untrusted.body, "probe_success") == 0);
        const reply tls = scrape(probe_url(base, tls_srv.url("/ok", "localhost"), "city_ca"));
        CHECK_MESSAGE(sample(tls.body, "probe_success") == 1, tls.body);
        const auto expiry = sample(tls.body, "probe_ssl_earliest_cert_expiry");
        REQUIRE(expiry);
        const double in_30_days =
            std::chrono::duration<double>(
                (std::chrono::system_clock::now() + std::chrono::days(30)).time_since_epoch())
                .count();
        CHECK(std::abs(*expiry - in_30_days) < 120);
        CHECK(*sample(tls.body, "probe_http_duration_seconds{phase=\"tls\"}") > 0);
    }

    SUBCASE("bad requests get 400 with a clear message") {
        const reply unknown = scrape(probe_url(base, srv.url("/ok"), "tcp_connect"));
        CHECK(unknown.status == 400);
        CHECK(unknown.body.find("unknown module \"tcp_connect\"; known modules: http_2xx, "
                                "http_post_2xx, city_ca, only_204") == 0);
        const reply missing = scrape(base + "/probe?module=http_2xx");
        CHECK(missing.status == 400);
        CHECK(missing.body.find("missing target") != std::string::npos);
        const reply ftp = scrape(probe_url(base, "ftp://127.0.0.1/"));
        CHECK(ftp.status == 400);
        CHECK(ftp.body.find("unsupported target") != std::string::npos);
        const reply header = scrape(probe_url(base, srv.url("/ok")), "soon");
        CHECK(header.status == 400);
        CHECK(header.body.find("X-Prometheus-Scrape-Timeout-Seconds") != std::string::npos);
        CHECK(srv.hits("/ok") == 0); // nothing was probed for a bad request
    }

    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 0);
}

TEST_CASE("/probe: the scrape timeout header bounds the probe and the daemon stays responsive") {
    fixture_server srv;
    temp_dir dir;
    const auto cfg =
        dir.write("pantau.yaml", daemon_config(srv, "modules:\n  quick: {timeout: 300ms}\n"));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = wait_for_base_url(p);
    REQUIRE_MESSAGE(!base.empty(), p.output());

    // Prometheus would give up after 1.5 s; Pantau answers after 1.5 s - 0.5 s.
    auto pending = std::async(std::launch::async,
                              [&] { return scrape(probe_url(base, srv.url("/hang")), "1.5"); });
    REQUIRE(srv.wait_for_hits("/hang", 1, 5s));
    // One probe hanging does not hold up the event loop.
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(http_get(base + "/-/healthy").status == 200);
    CHECK(http_get(base + "/metrics").body.find("pantau_service_up") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
    const reply hung = pending.get();
    REQUIRE(hung.status == 200);
    CHECK(hung.took < 1500ms);
    CHECK(hung.took >= 900ms);
    CHECK(sample(hung.body, "probe_success") == 0);
    const auto duration = sample(hung.body, "probe_duration_seconds");
    REQUIRE(duration);
    CHECK(*duration == doctest::Approx(1.0).epsilon(0.2));
    CHECK(hung.body.find("timeout after 1s") != std::string::npos);

    // A module's shorter timeout wins over a generous scrape timeout.
    const reply quick = scrape(probe_url(base, srv.url("/hang"), "quick"), "10");
    CHECK(sample(quick.body, "probe_success") == 0);
    CHECK(quick.took < 1000ms);
    CHECK(*sample(quick.body, "probe_duration_seconds") == doctest::Approx(0.3).epsilon(0.35));

    // A slow but timely answer still counts as a success.
    const reply slow = scrape(probe_url(base, srv.url("/slow/300")), "2");
    CHECK(sample(slow.body, "probe_success") == 1);

    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 0);
}

TEST_CASE("/probe: SIGTERM with a probe hanging stops promptly") {
    fixture_server srv;
    temp_dir dir;
    const auto cfg = dir.write("pantau.yaml", daemon_config(srv, ""));
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = wait_for_base_url(p);
    REQUIRE_MESSAGE(!base.empty(), p.output());
    auto pending = std::async(std::launch::async,
                              [&] { return scrape(probe_url(base, srv.url("/hang")), "30"); });
    REQUIRE(srv.wait_for_hits("/hang", 1, 5s));
    const auto t0 = std::chrono::steady_clock::now();
    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    CHECK(pending.get().status == 0); // closed unanswered, not left hanging
}
