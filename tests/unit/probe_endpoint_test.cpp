// /probe (blackbox_exporter compatibility): deadlines, modules, targets, exposition.
#include "web/probe_endpoint.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <variant>

namespace {

using namespace std::chrono_literals;
using pantau::config;
using pantau::config_error;
using std::chrono::milliseconds;

milliseconds timeout_of(std::string_view header, std::optional<pantau::duration> module = {}) {
    const auto t = pantau::probe_timeout(header, module);
    REQUIRE_MESSAGE(std::holds_alternative<milliseconds>(t), std::get<std::string>(t));
    return std::get<milliseconds>(t);
}

std::string url_or_error(std::string_view target) {
    const auto r = pantau::probe_target_url(target);
    return r.index() == 0 ? std::get<0>(r) : "error: " + std::get<1>(r);
}

config load_ok(const std::string& yaml) {
    auto result = pantau::load_config_text(yaml, "test.yaml");
    if (const auto* error = std::get_if<config_error>(&result)) {
        FAIL("expected the config to load, got: " << error->to_string());
    }
    return std::get<config>(std::move(result));
}

std::string load_error(const std::string& yaml) {
    auto result = pantau::load_config_text(yaml, "test.yaml");
    REQUIRE_MESSAGE(std::holds_alternative<config_error>(result), "the config loaded");
    return std::get<config_error>(result).to_string();
}

} // namespace

TEST_CASE("probe timeout: the scrape timeout header minus the offset, like blackbox_exporter") {
    CHECK(timeout_of("10") == 9500ms);
    CHECK(timeout_of("1.5") == 1000ms);
    // A module's own timeout wins when shorter, not when longer.
    CHECK(timeout_of("10", 2s) == 2000ms);
    CHECK(timeout_of("3", 30s) == 2500ms);
    // Without the header: the module's timeout, else 10 s.
    CHECK(timeout_of("") == 10000ms);
    CHECK(timeout_of("", 4s) == 4000ms);
    // Scrape timeouts too short for the offset get half of themselves, never zero or less.
    CHECK(timeout_of("0.8") == 400ms);
    CHECK(timeout_of("0.001") == 1ms);
    // Capped, whatever Prometheus says.
    CHECK(timeout_of("3600") == 60000ms);
    CHECK(timeout_of("1e300") == 60000ms);
}

TEST_CASE("probe timeout: a header that is not a positive number is refused") {
    for (const char* bad : {"abc", "-1", "0", "10s", "nan", "inf", " 10"}) {
        const auto t = pantau::probe_timeout(bad, std::nullopt);
        REQUIRE_MESSAGE(std::holds_alternative<std::string>(t), bad);
        CHECK(std::get<std::string>(t).find("X-Prometheus-Scrape-Timeout-Seconds") !=
              std::string::npos);
    }
}

TEST_CASE("probe target: URLs are kept, host:port gets http://, others are refused") {
    CHECK(url_or_error("https://dukcapil.example.go.id/") == "https://dukcapil.example.go.id/");
    CHECK(url_or_error("http://127.0.0.1:8080/health?x=1") == "http://127.0.0.1:8080/health?x=1");
    CHECK(url_or_error("example.go.id:8080/x") == "http://example.go.id:8080/x");
    CHECK(url_or_error("").find("missing target") != std::string::npos);
    CHECK(url_or_error("ftp://example.go.id/").find("unsupported target") != std::string::npos);
    CHECK(url_or_error("http://").rfind("error: invalid target", 0) == 0);
    CHECK(url_or_error("http://exa mple/").rfind("error: invalid target", 0) == 0);
}

TEST_CASE("probe modules: built-in http_2xx and http_post_2xx; configured ones take precedence") {
    const config plain = load_ok("agencies: []\n");
    const auto get = pantau::find_probe_module(plain, "http_2xx");
    REQUIRE(get);
    CHECK(get->http.method == "GET");
    CHECK(get->http.expect.status.empty()); // any 2xx
    CHECK(pantau::find_probe_module(plain, "http_post_2xx")->http.method == "POST");
    CHECK_FALSE(pantau::find_probe_module(plain, "tcp_connect"));

    const config cfg =
        load_ok("modules:\n"
                "  portal:\n"
                "    timeout: 5s\n"
                "    http:\n"
                "      method: HEAD\n"
                "      headers: {Host: dukcapil.example.go.id}\n"
                "      expect: {status: [200, 301], body_not_contains: pemeliharaan}\n"
                "  http_2xx:\n"
                "    http: {tls_verify: false}\n");
    const auto portal = pantau::find_probe_module(cfg, "portal");
    REQUIRE(portal);
    CHECK(portal->timeout == pantau::duration{5000});
    CHECK(portal->http.method == "HEAD");
    CHECK(portal->http.expect.status == std::vector<int>{200, 301});
    CHECK(portal->http.expect.body_not_contains == std::vector<std::string>{"pemeliharaan"});
    CHECK(portal->where.line == 2);
    CHECK_FALSE(pantau::find_probe_module(cfg, "http_2xx")->http.tls_verify);
}

TEST_CASE("probe modules: mistakes are reported with FILE:LINE:COL") {
    CHECK(load_error("modules:\n  portal:\n    http: {url: \"https://x.go.id/\"}\n")
              .rfind("test.yaml:3:12: a module takes its url from the target", 0) == 0);
    CHECK(load_error("modules:\n  portal:\n    timout: 5s\n")
              .find("unknown key \"timout\" in module \"portal\"; did you mean \"timeout\"?") !=
          std::string::npos);
    CHECK(load_error("modules:\n  Portal: {}\n").rfind("test.yaml:2:3: invalid module name", 0) ==
          0);
    CHECK(load_error("modules:\n  portal: {http: {expect: {status: [999]}}}\n")
              .find("invalid status \"999\"") != std::string::npos);
    CHECK(load_error("modules: [http_2xx]\n").find("expected a mapping for \"modules\"") !=
          std::string::npos);
}

TEST_CASE("probe exposition: blackbox_exporter's names, no check labels") {
    pantau::probe_result ok;
    ok.status = pantau::probe_status::success;
    ok.reason = "http 200";
    ok.elapsed = 250ms;
    ok.http_status_code = 200;
    ok.phases = pantau::http_phases{1ms, 2ms, 3ms, 200ms, 44ms};
    ok.cert_earliest_expiry = std::chrono::system_clock::time_point{1'800'000'000s};
    const std::string text = pantau::render_probe_metrics(ok);
    CHECK(text.find("\nprobe_success 1\n") != std::string::npos);
    CHECK(text.find("\nprobe_duration_seconds 0.25\n") != std::string::npos);
    CHECK(text.find("\nprobe_http_status_code 200\n") != std::string::npos);
    CHECK(text.find("\nprobe_http_duration_seconds{phase=\"processing\"} 0.2\n") !=
          std::string::npos);
    CHECK(text.find("\nprobe_http_duration_seconds{phase=\"tls\"} 0.003\n") != std::string::npos);
    const std::string expiry = "\nprobe_ssl_earliest_cert_expiry ";
    REQUIRE(text.find(expiry) != std::string::npos);
    CHECK(std::strtod(text.c_str() + text.find(expiry) + expiry.size(), nullptr) == 1.8e9);
    CHECK(text.find("# TYPE probe_success gauge\n") != std::string::npos);
    CHECK(text.find("agency=") == std::string::npos);
    CHECK(text.find("# pantau: probe failed") == std::string::npos);

    pantau::probe_result refused = pantau::probe_failure("connection refused", 1ms);
    const std::string down = pantau::render_probe_metrics(refused);
    CHECK(down.rfind("# pantau: probe failed: connection refused\n", 0) == 0);
    CHECK(down.find("\nprobe_success 0\n") != std::string::npos);
    CHECK(down.find("\nprobe_http_status_code 0\n") != std::string::npos);
    CHECK(down.find("probe_ssl_earliest_cert_expiry") == std::string::npos);
}
