#include "config/config.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include <doctest/doctest.h>

namespace {

using pantau::config;
using pantau::config_error;
using pantau::duration;
using pantau::http_check;

config load_ok(const std::string& yaml) {
    auto result = pantau::load_config_text(yaml, "test.yaml");
    if (const auto* error = std::get_if<config_error>(&result)) {
        FAIL("expected the config to load, got: " << error->to_string());
    }
    return std::get<config>(std::move(result));
}

// The full "FILE:LINE:COL: message" of a config that must not load.
std::string load_error(const std::string& yaml) {
    auto result = pantau::load_config_text(yaml, "test.yaml");
    if (std::holds_alternative<config>(result)) {
        FAIL("expected an error, but the config loaded");
    }
    return std::get<config_error>(result).to_string();
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const http_check& http_of(const pantau::check_config& check) {
    return std::get<http_check>(check.spec);
}

// A minimal valid head: one channel, one policy, one agency. Services follow from line 7.
const std::string head = R"(channels:
  ops: {webhook: {url: "https://ops.example.go.id/hook"}}
escalation:
  standar: [{after: 0m, notify: ops}]
agencies:
  - {id: dukcapil, name: Dukcapil, escalation: standar}
)";

} // namespace

TEST_CASE("config: full example loads with its values and inherited defaults") {
    const config cfg = load_ok(R"(listen: 0.0.0.0:9471
ledger: /tmp/pantau/ledger.db
admin_token: rahasia
timezone: Asia/Makassar
max_in_flight: 100
defaults: {interval: 1m, timeout: 5s, failure_threshold: 2, success_threshold: 2}
agencies:
  - {id: dukcapil, name: Dinas Kependudukan dan Pencatatan Sipil, escalation: standar}
  - id: dinkes
    name: Dinas Kesehatan
services:
  - id: akta-online
    name: Layanan Akta Kelahiran Online
    agency: dukcapil
    objective: 99.5%
    checks:
      - id: portal
        http:
          url: https://dukcapil.example.go.id/
          expect: {status: [200, 301], body_not_contains: pemeliharaan, max_latency: 3s}
      - id: api
        interval: 10s
        timeout: 2s
        retry_interval: 4s
        failure_threshold: 5
        http:
          url: http://10.0.0.5:8080/health?full=1
          method: POST
          headers: {Authorization: Bearer abc, X-Trace: "1"}
          body: '{"ping": true}'
          follow_redirects: false
          max_redirects: 0
          tls_verify: false
          ca_file: /etc/pantau/ca.pem
          max_body: 512KiB
          reuse_connection: true
          expect:
            status: 204
            body_contains: [ok, ready]
            body_matches: "v[0-9]+"
            cert_min_days: 14
  - id: puskesmas
    agency: dinkes
    objective: 99
    escalation: darurat
    checks:
      - {id: web, http: {url: "https://dinkes.example.go.id/"}}
escalation:
  standar:
    - {after: 0m, notify: [ops-telegram]}
    - {after: 30m, notify: kadis-email, repeat: 1h}
    - {after: 4h, notify: [walikota-email, ops-hook], even_if_acknowledged: true}
  darurat:
    - {after: 0s, notify: noc-am}
channels:
  ops-telegram: {telegram: {token: "123:abc", chat_id: "-1001234567"}}
  kadis-email:
    email:
      to: [kadis@example.go.id, sekretaris@example.go.id]
      smtp: {host: mail.example.go.id, port: 587}
  walikota-email: {email: {to: walikota@example.go.id}}
  ops-hook: {webhook: {url: "https://ops.example.go.id/pantau", secret: s3}}
  noc-am: {alertmanager: {urls: ["http://127.0.0.1:9093", "http://127.0.0.2:9093"]}}
)");

    CHECK(cfg.path == "test.yaml");
    CHECK(cfg.listen == "0.0.0.0:9471");
    CHECK(cfg.ledger == "/tmp/pantau/ledger.db");
    CHECK(cfg.admin_token == "rahasia");
    CHECK(cfg.timezone == "Asia/Makassar");
    CHECK(cfg.max_in_flight == 100);
    CHECK(cfg.defaults.interval == duration{60'000});
    CHECK(cfg.defaults.timeout == duration{5'000});
    CHECK_FALSE(cfg.defaults.retry_interval.has_value());

    REQUIRE(cfg.agencies.size() == 2);
    CHECK(cfg.agencies[0].id == "dukcapil");
    CHECK(cfg.agencies[0].name == "Dinas Kependudukan dan Pencatatan Sipil");
    CHECK(cfg.agencies[0].escalation == "standar");
    CHECK(cfg.agencies[0].where.line == 8);
    CHECK(cfg.agencies[1].name == "Dinas Kesehatan");
    CHECK_FALSE(cfg.agencies[1].escalation.has_value());

    REQUIRE(cfg.services.size() == 2);
    const auto& akta = cfg.services[0];
    CHECK(akta.id == "akta-online");
    CHECK(akta.name == "Layanan Akta Kelahiran Online");
    CHECK(akta.agency == "dukcapil");
    REQUIRE(akta.objective.has_value());
    CHECK(*akta.objective == doctest::Approx(99.5));
    CHECK_FALSE(akta.escalation.has_value());
    CHECK(akta.where.file == "test.yaml");
    CHECK(akta.where.line == 12);
    CHECK(akta.where.column == 5);
    REQUIRE(akta.checks.size() == 2);

    // The portal check inherits everything from defaults.
    const auto& portal = akta.checks[0];
    CHECK(portal.id == "portal");
    CHECK(portal.interval == duration{60'000});
    CHECK(portal.timeout == duration{5'000});
    CHECK(portal.retry_interval == duration{20'000}); // interval / 3
    CHECK(portal.failure_threshold == 2);
    CHECK(portal.success_threshold == 2);
    CHECK(portal.where.line == 17);
    const http_check& portal_http = http_of(portal);
    CHECK(portal_http.url == "https://dukcapil.example.go.id/");
    CHECK(portal_http.method == "GET");
    CHECK(portal_http.follow_redirects);
    CHECK(portal_http.max_redirects == 10);
    CHECK(portal_http.tls_verify);
    CHECK(portal_http.max_body == 1024 * 1024);
    CHECK_FALSE(portal_http.reuse_connection);
    CHECK(portal_http.expect.status == std::vector<int>{200, 301});
    CHECK(portal_http.expect.body_not_contains == std::vector<std::string>{"pemeliharaan"});
    CHECK(portal_http.expect.max_latency == duration{3'000});
    CHECK_FALSE(portal_http.expect.cert_min_days.has_value());
    CHECK_FALSE(portal_http.expect.body_matches.has_value());

    // The api check overrides its own values and keeps the rest from defaults.
    const auto& api = akta.checks[1];
    CHECK(api.interval == duration{10'000});
    CHECK(api.timeout == duration{2'000});
    CHECK(api.retry_interval == duration{4'000});
    CHECK(api.failure_threshold == 5);
    CHECK(api.success_threshold == 2);
    const http_check& api_http = http_of(api);
    CHECK(api_http.url == "http://10.0.0.5:8080/health?full=1");
    CHECK(api_http.method == "POST");
    REQUIRE(api_http.headers.size() == 2);
    CHECK(api_http.headers[0] ==
          std::pair<std::string, std::string>{"Authorization", "Bearer abc"});
    CHECK(api_http.headers[1] == std::pair<std::string, std::string>{"X-Trace", "1"});
    CHECK(api_http.body == R"({"ping": true})");
    CHECK_FALSE(api_http.follow_redirects);
    CHECK(api_http.max_redirects == 0);
    CHECK_FALSE(api_http.tls_verify);
    CHECK(api_http.ca_file == "/etc/pantau/ca.pem");
    CHECK(api_http.max_body == 512 * 1024);
    CHECK(api_http.reuse_connection);
    CHECK(api_http.expect.status == std::vector<int>{204});
    CHECK(api_http.expect.body_contains == std::vector<std::string>{"ok", "ready"});
    CHECK(api_http.expect.body_matches == "v[0-9]+");
    CHECK(api_http.expect.cert_min_days == 14);

    const auto& puskesmas = cfg.services[1];
    CHECK(puskesmas.name == "puskesmas"); // the id when no name is given
    CHECK(*puskesmas.objective == doctest::Approx(99.0));
    CHECK(puskesmas.escalation == "darurat");
    REQUIRE(puskesmas.checks.size() == 1);
    CHECK(puskesmas.checks[0].where.line == 47);
    CHECK(puskesmas.checks[0].where.column == 9);

    REQUIRE(cfg.escalation.count("standar") == 1);
    const auto& standar = cfg.escalation.at("standar");
    REQUIRE(standar.size() == 3);
    CHECK(standar[0].after == duration{0});
    CHECK(standar[0].notify == std::vector<std::string>{"ops-telegram"});
    CHECK_FALSE(standar[0].repeat.has_value());
    CHECK(standar[1].after == duration{30 * 60'000});
    CHECK(standar[1].notify == std::vector<std::string>{"kadis-email"});
    CHECK(standar[1].repeat == duration{3'600'000});
    CHECK(standar[2].notify == std::vector<std::string>{"walikota-email", "ops-hook"});
    CHECK(standar[2].even_if_acknowledged);
    CHECK_FALSE(standar[1].even_if_acknowledged);

    REQUIRE(cfg.channels.size() == 5);
    const auto& telegram = cfg.channels.at("ops-telegram");
    CHECK(telegram.name == "ops-telegram");
    CHECK(telegram.type == "telegram");
    CHECK(telegram.settings.at("token") == "123:abc");
    CHECK(telegram.settings.at("chat_id") == "-1001234567");
    const auto& kadis = cfg.channels.at("kadis-email");
    CHECK(kadis.type == "email");
    CHECK(kadis.settings.at("to") == "kadis@example.go.id,sekretaris@example.go.id");
    CHECK(kadis.settings.at("smtp.host") == "mail.example.go.id");
    CHECK(kadis.settings.at("smtp.port") == "587");
    CHECK(kadis.where.line == 57);
    CHECK(cfg.channels.at("walikota-email").settings.at("to") == "walikota@example.go.id");
    CHECK(cfg.channels.at("ops-hook").type == "webhook");
    CHECK(cfg.channels.at("noc-am").type == "alertmanager");
    CHECK(cfg.channels.at("noc-am").settings.at("urls") ==
          "http://127.0.0.1:9093,http://127.0.0.2:9093");
}

TEST_CASE("config: built-in defaults apply when keys are absent") {
    const config cfg = load_ok(head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, http: {url: "https://example.go.id/"}}]
)");
    CHECK(cfg.listen == "127.0.0.1:9470");
    CHECK(cfg.ledger == "/var/lib/pantau/ledger.db");
    CHECK(cfg.timezone == "Asia/Jakarta");
    CHECK(cfg.max_in_flight == 4096);
    CHECK(cfg.admin_token.empty());
    const auto& check = cfg.services.at(0).checks.at(0);
    CHECK(check.interval == duration{30'000});
    CHECK(check.timeout == duration{10'000});
    CHECK(check.retry_interval == duration{10'000});
    CHECK(check.failure_threshold == 3);
    CHECK(check.success_threshold == 1);
    CHECK_FALSE(cfg.services.at(0).objective.has_value());
}

TEST_CASE("config: retry_interval is interval/3, at least 1s, unless written") {
    SUBCASE("a third of the interval") {
        const config cfg = load_ok(head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, interval: 90s, timeout: 5s, http: {url: "https://example.go.id/"}}]
)");
        CHECK(cfg.services[0].checks[0].retry_interval == duration{30'000});
    }
    SUBCASE("never below one second") {
        const config cfg = load_ok(head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, interval: 2s, timeout: 1s, http: {url: "https://example.go.id/"}}]
)");
        CHECK(cfg.services[0].checks[0].retry_interval == duration{1'000});
    }
    SUBCASE("from defaults when written there") {
        const config cfg = load_ok("defaults: {retry_interval: 7s}\n" + head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, http: {url: "https://example.go.id/"}}]
)");
        CHECK(cfg.services[0].checks[0].retry_interval == duration{7'000});
    }
}

TEST_CASE("config: unknown key suggests the closest allowed key") {
    const std::string error = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks:
      - id: portal
        intervall: 30s
        http: {url: "https://example.go.id/"}
)");
    CHECK_MESSAGE(starts_with(error, "test.yaml:12:9: "), error);
    CHECK(contains(error, R"(unknown key "intervall" in check; did you mean "interval"?)"));
}

TEST_CASE("config: unknown key far from any allowed key lists the allowed keys") {
    const std::string error = load_error(R"(listen: 127.0.0.1:9470
frobnicate:
  jam-layanan: {}
)");
    CHECK_MESSAGE(starts_with(error, "test.yaml:2:1: "), error);
    CHECK(contains(error, R"(unknown key "frobnicate" at top level)"));
    CHECK(contains(error, "allowed keys: listen, ledger, admin_token"));
}

TEST_CASE("config: unknown keys are errors in every mapping") {
    CHECK(contains(load_error("defaults: {timout: 5s}\n"),
                   R"(unknown key "timout" in defaults; did you mean "timeout"?)"));
    CHECK(contains(load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, http: {url: "https://example.go.id/", expect: {staus: 200}}}]
)"),
                   R"(unknown key "staus" in expect; did you mean "status"?)"));
    CHECK(contains(load_error("channels:\n  x: {telegarm: {token: t}}\n"),
                   R"(unknown key "telegarm" in channel "x"; did you mean "telegram"?)"));
}

TEST_CASE("config: a key written twice is an error") {
    const std::string error = load_error(R"(listen: 127.0.0.1:1
ledger: /tmp/a.db
listen: 127.0.0.1:2
)");
    CHECK_MESSAGE(starts_with(error, "test.yaml:3:1: "), error);
    CHECK(contains(error, R"(duplicate key "listen" at top level (first at line 1))"));
}

TEST_CASE("config: invalid duration says how to write one") {
    const std::string error = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks:
      - id: portal
        interval: 5 min
        http: {url: "https://example.go.id/"}
)");
    CHECK_MESSAGE(starts_with(error, "test.yaml:12:19: "), error);
    CHECK(contains(
        error, R"(invalid duration "5 min": write a number with a unit, e.g. 500ms, 30s, 5m, 2h)"));
}

TEST_CASE("config: interval, timeout and thresholds are validated") {
    SUBCASE("zero interval") {
        const std::string error = load_error("defaults: {interval: 0s}\n");
        CHECK_MESSAGE(starts_with(error, "test.yaml:1:22: "), error);
        CHECK(contains(error, "interval must be longer than 0, e.g. 30s"));
    }
    SUBCASE("zero timeout") {
        CHECK(contains(load_error("defaults:\n  timeout: 0ms\n"), "timeout must be longer than 0"));
    }
    SUBCASE("timeout longer than interval in a check") {
        const std::string error = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks:
      - id: portal
        interval: 30s
        timeout: 45s
        http: {url: "https://example.go.id/"}
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:13:18: "), error);
        CHECK(contains(error, "timeout 45s is longer than interval 30s"));
        CHECK(contains(error, "write a timeout of at most 30s"));
    }
    SUBCASE("interval shorter than the inherited timeout") {
        const std::string error = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks:
      - id: portal
        interval: 5s
        http: {url: "https://example.go.id/"}
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:12:19: "), error);
        CHECK(contains(error, "interval 5s is shorter than the timeout 10s"));
        CHECK(contains(error, R"(write "timeout: 5s")"));
    }
    SUBCASE("timeout longer than interval in defaults") {
        const std::string error = load_error("defaults: {interval: 30s, timeout: 1m}\n");
        CHECK_MESSAGE(starts_with(error, "test.yaml:1:36: "), error);
        CHECK(contains(error, "write a timeout of at most 30s"));
    }
    SUBCASE("thresholds of at least one") {
        const std::string error = load_error("defaults:\n  failure_threshold: 0\n");
        CHECK_MESSAGE(starts_with(error, "test.yaml:2:22: "), error);
        CHECK(contains(error, "failure_threshold must be at least 1, e.g. 3"));
        CHECK(contains(load_error("defaults: {success_threshold: two}\n"),
                       R"(expected a whole number for "success_threshold", e.g. 3; got "two")"));
    }
}

TEST_CASE("config: objective is a percentage above 0 and at most 100") {
    const auto with_objective = [](const std::string& objective) {
        return head + "services:\n  - id: akta\n    agency: dukcapil\n    objective: " + objective +
               "\n    checks: [{id: portal, http: {url: \"https://a.go.id/\"}}]\n";
    };
    CHECK(*load_ok(with_objective("100%")).services[0].objective == doctest::Approx(100.0));
    CHECK(*load_ok(with_objective("\"99.95%\"")).services[0].objective == doctest::Approx(99.95));
    const std::string too_high = load_error(with_objective("100.5%"));
    CHECK_MESSAGE(starts_with(too_high, "test.yaml:10:16: "), too_high);
    CHECK(contains(too_high, "must be above 0% and at most 100%"));
    CHECK(contains(load_error(with_objective("0")), "must be above 0% and at most 100%"));
    CHECK(contains(load_error(with_objective("high")),
                   R"(invalid objective "high": write a percentage, e.g. 99.5%)"));
}

TEST_CASE("config: duplicate ids name the first definition") {
    SUBCASE("services") {
        const std::string error = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, http: {url: "https://a.go.id/"}}]
  - id: akta
    agency: dukcapil
    checks: [{id: portal, http: {url: "https://b.go.id/"}}]
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:11:9: "), error);
        CHECK(contains(error, R"(duplicate service id "akta" (first defined at line 8))"));
    }
    SUBCASE("checks within a service") {
        const std::string error = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks:
      - id: portal
        http: {url: "https://a.go.id/"}
      - id: portal
        http: {url: "https://b.go.id/"}
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:13:13: "), error);
        CHECK(contains(error, R"(duplicate check id "portal" in service "akta")"));
        CHECK(contains(error, "(first defined at line 11)"));
    }
    SUBCASE("the same check id in two services is fine") {
        const config cfg = load_ok(head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, http: {url: "https://a.go.id/"}}]
  - id: ktp
    agency: dukcapil
    checks: [{id: portal, http: {url: "https://b.go.id/"}}]
)");
        CHECK(cfg.services.size() == 2);
    }
    SUBCASE("agencies") {
        const std::string error = load_error(R"(agencies:
  - id: dukcapil
  - id: dinkes
  - id: dukcapil
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:4:9: "), error);
        CHECK(contains(error, R"(duplicate agency id "dukcapil" (first defined at line 2))"));
    }
    SUBCASE("a repeated check deep in a large service") {
        std::string yaml = head + "services:\n  - id: big\n    agency: dukcapil\n    checks:\n";
        for (int i = 0; i < 200; ++i) {
            yaml += "      - {id: c" + std::to_string(i) + ", http: {url: \"https://a.go.id/\"}}\n";
        }
        yaml += "      - {id: c150, http: {url: \"https://a.go.id/\"}}\n";
        const std::string error = load_error(yaml);
        CHECK_MESSAGE(starts_with(error, "test.yaml:211:14: "), error);
        CHECK(contains(error, "(first defined at line 161)"));
    }
}

TEST_CASE("config: references to undefined things list what is defined") {
    SUBCASE("agency") {
        const std::string error = load_error(R"(agencies:
  - {id: dukcapil}
  - {id: disdik}
services:
  - id: puskesmas
    agency: dinkes
    checks: [{id: web, http: {url: "https://a.go.id/"}}]
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:6:13: "), error);
        CHECK(contains(error, R"(agency "dinkes" is not defined)"));
        CHECK(contains(error, "defined agencies: dukcapil, disdik"));
    }
    SUBCASE("agency with a likely typo") {
        const std::string error = load_error(R"(agencies: [{id: dukcapil}]
services:
  - {id: akta, agency: dukcapi, checks: [{id: web, http: {url: "https://a.go.id/"}}]}
)");
        CHECK(contains(error, R"(agency "dukcapi" is not defined; did you mean "dukcapil"?)"));
    }
    SUBCASE("escalation policy of an agency") {
        const std::string error = load_error(R"(agencies:
  - {id: dukcapil, escalation: standard}
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:2:32: "), error);
        CHECK(contains(error, R"(escalation policy "standard" is not defined)"));
        CHECK(contains(error, "no policies are defined"));
    }
    SUBCASE("escalation policy of a service") {
        const std::string error = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    escalation: darurat
    checks: [{id: web, http: {url: "https://a.go.id/"}}]
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:10:17: "), error);
        CHECK(contains(error,
                       R"(escalation policy "darurat" is not defined; defined policies: standar)"));
    }
    SUBCASE("channel in an escalation level") {
        const std::string error = load_error(R"(channels:
  ops-telegram: {telegram: {token: t, chat_id: "1"}}
  kadis-email: {email: {to: k@example.go.id}}
escalation:
  standar:
    - {after: 0m, notify: [ops-telegram, sekda-email]}
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:6:42: "), error);
        CHECK(contains(error, R"(channel "sekda-email" is not defined)"));
        CHECK(contains(error, "defined channels: kadis-email, ops-telegram"));
    }
}

TEST_CASE("config: escalation levels and channels are validated") {
    CHECK(contains(load_error("escalation:\n  standar: []\n"), "needs at least one level"));
    const std::string order = load_error(R"(channels: {ops: {webhook: {url: "https://a.go.id/"}}}
escalation:
  standar:
    - {after: 2h, notify: ops}
    - {after: 30m, notify: ops}
)");
    CHECK_MESSAGE(starts_with(order, "test.yaml:5:15: "), order);
    CHECK(contains(order, R"(list levels in increasing order of "after")"));
    const std::string missing = load_error(R"(channels: {ops: {webhook: {url: "https://a.go.id/"}}}
escalation:
  standar:
    - {notify: ops}
)");
    CHECK_MESSAGE(starts_with(missing, "test.yaml:4:7: "), missing);
    CHECK(contains(missing, R"(escalation level needs "after")"));
    const std::string two_types = load_error(R"(channels:
  ops: {webhook: {url: "https://a.go.id/"}, telegram: {token: t}}
)");
    CHECK_MESSAGE(starts_with(two_types, "test.yaml:2:45: "), two_types);
    CHECK(contains(two_types, R"(has two types ("webhook" and "telegram"))"));
    CHECK(contains(load_error("channels:\n  ops: {}\n"),
                   "needs one type: telegram, email, webhook or alertmanager"));
    CHECK(contains(load_error("channels:\n  ops: {webhook: https://a.go.id/}\n"),
                   R"(expected a mapping for "webhook")"));
    const std::string bad_name = load_error("channels:\n  Ops Team: {webhook: {url: x}}\n");
    CHECK_MESSAGE(starts_with(bad_name, "test.yaml:2:3: "), bad_name);
    CHECK(contains(bad_name, R"(invalid channel name "Ops Team")"));
}

TEST_CASE("config: urls and listen addresses are validated") {
    const auto with_url = [](const std::string& url) {
        return head + "services:\n  - id: akta\n    agency: dukcapil\n    checks:\n" +
               "      - id: web\n        http: {url: " + url + "}\n";
    };
    for (const std::string url : {"\"ftp://example.go.id/\"", "\"https://\"", "example.go.id",
                                  "\"http:// example.go.id/\"", "\"https://:443/\""}) {
        CAPTURE(url);
        const std::string error = load_error(with_url(url));
        CHECK_MESSAGE(starts_with(error, "test.yaml:12:21: "), error);
        CHECK(contains(error, "url must start with http:// or https:// and name a host, "
                              "e.g. https://example.go.id/"));
    }
    for (const std::string url : {"\"https://example.go.id\"", "\"http://10.0.0.1:8080/x?y=1\"",
                                  "\"https://user:pw@example.go.id/\"", "\"http://[::1]:9000/\"",
                                  "\"HTTPS://EXAMPLE.GO.ID/\""}) {
        CAPTURE(url);
        CHECK(http_of(load_ok(with_url(url)).services[0].checks[0]).url.size() > 0);
    }

    for (const std::string listen :
         {"9470", "localhost", "127.0.0.1:", "127.0.0.1:99999", "[::1]", "a b:80"}) {
        CAPTURE(listen);
        const std::string error = load_error("listen: \"" + listen + "\"\n");
        CHECK_MESSAGE(starts_with(error, "test.yaml:1:9: "), error);
        CHECK(contains(error, "write host:port, e.g. 127.0.0.1:9470"));
    }
    CHECK(load_ok("listen: \"[::1]:0\"\n").listen == "[::1]:0");
    CHECK(load_ok("listen: localhost:8080\n").listen == "localhost:8080");
}

TEST_CASE("config: wrong node types say what was expected") {
    const std::string not_list = load_error("agencies:\n  id: dukcapil\n");
    CHECK_MESSAGE(starts_with(not_list, "test.yaml:2:3: "), not_list);
    CHECK(contains(not_list, R"(expected a list for "agencies")"));
    CHECK(contains(not_list, "got a mapping"));

    const std::string not_map = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks:
      - id: portal
        http: [https://example.go.id/]
)");
    CHECK_MESSAGE(starts_with(not_map, "test.yaml:12:15: "), not_map);
    CHECK(contains(not_map, R"(expected a mapping for "http")"));

    const std::string not_scalar = load_error("timezone: [Asia/Jakarta]\n");
    CHECK_MESSAGE(starts_with(not_scalar, "test.yaml:1:11: "), not_scalar);
    CHECK(contains(not_scalar, R"(expected a single value for "timezone", got a list)"));

    const std::string empty_value = load_error("ledger:\nlisten: 127.0.0.1:1\n");
    CHECK_MESSAGE(starts_with(empty_value, "test.yaml:1:1: "), empty_value);
    CHECK(contains(empty_value, R"("ledger" needs a value)"));

    CHECK(contains(load_error("- a\n- b\n"), "expected a mapping at the top level"));
    CHECK(contains(load_error(""), "the file is empty"));
    CHECK(contains(load_error(head + "services: [akta]\n"), R"(expected a mapping for "service")"));
}

TEST_CASE("config: missing required keys are named") {
    const std::string no_agency = load_error(head + R"(services:
  - id: akta
    checks: [{id: portal, http: {url: "https://a.go.id/"}}]
)");
    CHECK_MESSAGE(starts_with(no_agency, "test.yaml:8:5: "), no_agency);
    CHECK(contains(no_agency, R"(service needs "agency")"));
    CHECK(contains(load_error(head + "services:\n  - {agency: dukcapil}\n"),
                   R"(service needs "id")"));
    CHECK(contains(load_error(head + "services:\n  - {id: akta, agency: dukcapil}\n"),
                   R"(service needs "checks")"));
    CHECK(contains(load_error(head + "services:\n  - {id: akta, agency: dukcapil, checks: []}\n"),
                   "needs at least one check"));
    CHECK(contains(load_error("agencies:\n  - {name: Dukcapil}\n"), R"(agency needs "id")"));
    const std::string no_url = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: portal, http: {method: GET}}]
)");
    CHECK_MESSAGE(starts_with(no_url, "test.yaml:10:33: "), no_url);
    CHECK(contains(no_url, R"(http needs "url")"));
}

TEST_CASE("config: a check needs one probe type") {
    const std::string error = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks:
      - id: portal
        interval: 30s
)");
    CHECK_MESSAGE(starts_with(error, "test.yaml:11:9: "), error);
    CHECK(contains(error, "check needs one probe type: http"));
}

TEST_CASE("config: ids must match [a-z0-9][a-z0-9_-]*") {
    const std::string error = load_error(head + R"(services:
  - id: Akta Online
    agency: dukcapil
    checks: [{id: portal, http: {url: "https://a.go.id/"}}]
)");
    CHECK_MESSAGE(starts_with(error, "test.yaml:8:9: "), error);
    CHECK(contains(error, R"(invalid service id "Akta Online")"));
    CHECK(contains(error, "[a-z0-9][a-z0-9_-]*"));
    CHECK(contains(error, R"(e.g. "akta-online")"));
    CHECK(
        contains(load_error("agencies: [{id: -dukcapil}]\n"), R"(invalid agency id "-dukcapil")"));
    CHECK(contains(load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    checks: [{id: port.al, http: {url: "https://a.go.id/"}}]
)"),
                   R"(invalid check id "port.al")"));
    CHECK(load_ok("agencies: [{id: 0a_b-c}]\n").agencies[0].id == "0a_b-c");
}

TEST_CASE("config: YAML syntax errors carry the parser's position") {
    const std::string error = load_error("listen: 127.0.0.1:9470\nagencies: [{id: a}\nx: 1\n");
    CHECK_MESSAGE(starts_with(error, "test.yaml:3:1: "), error);
    CHECK(contains(error, "YAML syntax error"));
    const std::string map_value = load_error("ledger: a: b\n");
    CHECK_MESSAGE(starts_with(map_value, "test.yaml:1:10: "), map_value);
    CHECK(contains(map_value, "illegal map value"));
    const std::string tab = load_error("agencies:\n\t- id: dukcapil\n");
    CHECK_MESSAGE(starts_with(tab, "test.yaml:2:"), tab);
    CHECK(contains(tab, "indent with spaces, not tabs"));
}

TEST_CASE("config: a missing file is reported with the reason") {
    const auto result = pantau::load_config_file("/nonexistent/pantau-test/pantau.yaml");
    REQUIRE(std::holds_alternative<config_error>(result));
    CHECK(std::get<config_error>(result).to_string() ==
          "/nonexistent/pantau-test/pantau.yaml:0:0: cannot read: No such file or directory");
}

TEST_CASE("config: a file on disk loads and errors name it") {
    char path[] = "/tmp/pantau-config-test-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    std::FILE* file = fdopen(fd, "w");
    REQUIRE(file != nullptr);
    std::fputs("listen: 127.0.0.1:9999\ntimezone: Asia/Jayapura\nledgr: x\n", file);
    std::fclose(file);
    const auto result = pantau::load_config_file(path);
    std::remove(path);
    REQUIRE(std::holds_alternative<config_error>(result));
    CHECK(std::get<config_error>(result).to_string() ==
          std::string{path} + R"(:3:1: unknown key "ledgr" at top level; did you mean "ledger"?)");
}

TEST_CASE("config: ${NAME} expands environment variables in values") {
    ::setenv("PANTAU_TEST_TOKEN", "s3cret", 1);
    ::setenv("PANTAU_TEST_INTERVAL", "45s", 1);
    ::unsetenv("PANTAU_TEST_UNSET");
    SUBCASE("in strings, durations and channel settings") {
        const config cfg = load_ok(R"(admin_token: "${PANTAU_TEST_TOKEN}"
ledger: /var/lib/${PANTAU_TEST_TOKEN}/x-${PANTAU_TEST_TOKEN}.db
defaults: {interval: "${PANTAU_TEST_INTERVAL}"}
channels:
  ops: {telegram: {token: "${PANTAU_TEST_TOKEN}", chat_id: "1"}}
)");
        CHECK(cfg.admin_token == "s3cret");
        CHECK(cfg.ledger == "/var/lib/s3cret/x-s3cret.db");
        CHECK(cfg.defaults.interval == duration{45'000});
        CHECK(cfg.channels.at("ops").settings.at("token") == "s3cret");
    }
    SUBCASE("$${ is a literal ${") {
        const config cfg = load_ok(R"(admin_token: "a$${PANTAU_TEST_TOKEN}b$c")");
        CHECK(cfg.admin_token == "a${PANTAU_TEST_TOKEN}b$c");
    }
    SUBCASE("an unset variable is an error at its value") {
        const std::string error = load_error(R"(listen: 127.0.0.1:9470
admin_token: "${PANTAU_TEST_UNSET}"
)");
        CHECK_MESSAGE(starts_with(error, "test.yaml:2:14: "), error);
        CHECK(contains(error, "environment variable PANTAU_TEST_UNSET is not set"));
    }
    SUBCASE("an unterminated reference is an error") {
        CHECK(
            contains(load_error("admin_token: \"${PANTAU_TEST_TOKEN\"\n"), R"(unterminated "${")"));
    }
    ::unsetenv("PANTAU_TEST_TOKEN");
    ::unsetenv("PANTAU_TEST_INTERVAL");
}

TEST_CASE("config: http values are validated") {
    const auto with_http = [](const std::string& http) {
        return head + "services:\n  - id: akta\n    agency: dukcapil\n    checks:\n" +
               "      - id: web\n        http: {url: \"https://a.go.id/\", " + http + "}\n";
    };
    const auto max_body = [&](const std::string& size) {
        return http_of(load_ok(with_http("max_body: " + size)).services[0].checks[0]).max_body;
    };
    CHECK(max_body("65536") == 65536);
    CHECK(max_body("512KiB") == 512 * 1024);
    CHECK(max_body("1MiB") == 1024 * 1024);
    CHECK(max_body("10MB") == 10'000'000);
    CHECK(max_body("2GiB") == std::size_t{2} * 1024 * 1024 * 1024);
    for (const std::string size : {"1 MiB", "1.5MB", "-1", "lots", "1MiBs", "99999999999999GiB"}) {
        CAPTURE(size);
        const std::string error = load_error(with_http("max_body: " + size));
        CHECK_MESSAGE(starts_with(error, "test.yaml:12:51: "), error);
        CHECK((contains(error, "512KiB, 1MiB, 10MB") || contains(error, "too large")));
    }

    const auto status = [&](const std::string& s) {
        return http_of(load_ok(with_http("expect: {status: " + s + "}")).services[0].checks[0])
            .expect.status;
    };
    CHECK(status("200") == std::vector<int>{200});
    CHECK(status("[200, 204]") == std::vector<int>{200, 204});
    CHECK(contains(load_error(with_http("expect: {status: [200, 2000]}")),
                   R"(invalid status "2000": write an HTTP status code from 100 to 599)"));

    const std::string regex = load_error(with_http(R"(expect: {body_matches: "(unclosed"})"));
    CHECK_MESSAGE(starts_with(regex, "test.yaml:12:64: "), regex);
    CHECK(contains(regex, R"(invalid regular expression "(unclosed")"));

    CHECK(contains(load_error(with_http("method: get")),
                   "write an HTTP method in capitals, e.g. GET, HEAD or POST"));
    CHECK(contains(load_error(with_http("tls_verify: maybe")),
                   R"(expected true or false for "tls_verify", got "maybe")"));
    CHECK(contains(load_error(with_http("headers: {\"Bad Name\": x}")),
                   R"(invalid header name "Bad Name")"));
    CHECK(
        contains(load_error(with_http("max_latency: 3s")), R"(unknown key "max_latency" in http)"));
    const auto contains_list =
        http_of(load_ok(with_http("expect: {body_contains: ok, body_not_contains: [a, b]}"))
                    .services[0]
                    .checks[0])
            .expect;
    CHECK(contains_list.body_contains == std::vector<std::string>{"ok"});
    CHECK(contains_list.body_not_contains == std::vector<std::string>{"a", "b"});
}

TEST_CASE("config: max_in_flight is a positive whole number") {
    CHECK(load_ok("max_in_flight: 10\n").max_in_flight == 10);
    const std::string error = load_error("max_in_flight: 0\n");
    CHECK_MESSAGE(starts_with(error, "test.yaml:1:16: "), error);
    CHECK(contains(error, "max_in_flight must be at least 1"));
}

// ---------------------------------------------------------------------------------------
// Timezone and service-hours calendars.

namespace {

using std::chrono::minutes;
using ymd = std::chrono::year_month_day;

constexpr ymd date(int y, unsigned m, unsigned d) {
    return std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
}

pantau::opening_hours hours(int open_h, int open_m, int close_h, int close_m) {
    return {minutes{open_h * 60 + open_m}, minutes{close_h * 60 + close_m}};
}

// A scratch directory with files written into it; removed with everything in it.
class scratch_dir {
public:
    scratch_dir() {
        std::string pattern = "/tmp/pantau-calendar-test-XXXXXX";
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    ~scratch_dir() { std::filesystem::remove_all(path_); }

    std::string write(const std::string& name, const std::string& text) const {
        const std::filesystem::path file = std::filesystem::path{path_} / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream{file} << text;
        return file.string();
    }

private:
    std::string path_;
};

std::string file_error(const std::string& path) {
    auto result = pantau::load_config_file(path);
    if (std::holds_alternative<config>(result)) {
        FAIL("expected an error, but " << path << " loaded");
    }
    return std::get<config_error>(result).to_string();
}

// A calendar section with the given body lines, then one service using it (for the
// "hours:" reference), so that calendar errors are at known lines: the body starts at line 3.
std::string with_calendar(const std::string& body) {
    return "calendars:\n  jam:\n" + body + head +
           "services:\n  - {id: akta, agency: dukcapil, hours: jam, checks: [{id: web, "
           "http: {url: \"https://a.go.id/\"}}]}\n";
}

const std::string shipped_holidays =
    std::string{PANTAU_SOURCE_DIR} + "/config/calendars/libur-nasional-2026.yaml";

} // namespace

TEST_CASE("config: timezone is validated and gives the UTC offset") {
    CHECK(load_ok("listen: 127.0.0.1:1\n").utc_offset == minutes{7 * 60}); // Asia/Jakarta
    CHECK(load_ok("timezone: Asia/Jakarta\n").utc_offset == minutes{7 * 60});
    CHECK(load_ok("timezone: Asia/Pontianak\n").utc_offset == minutes{7 * 60});
    CHECK(load_ok("timezone: Asia/Makassar\n").utc_offset == minutes{8 * 60});
    CHECK(load_ok("timezone: Asia/Jayapura\n").utc_offset == minutes{9 * 60});
    CHECK(load_ok("timezone: UTC\n").utc_offset == minutes{0});
    CHECK(load_ok("timezone: \"+09:00\"\n").utc_offset == minutes{9 * 60});

    const std::string typo = load_error("listen: 127.0.0.1:1\ntimezone: Asia/Jakrta\n");
    CHECK_MESSAGE(starts_with(typo, "test.yaml:2:11: "), typo);
    CHECK(contains(typo, R"(unknown timezone "Asia/Jakrta"; did you mean "Asia/Jakarta"?)"));
    CHECK(contains(typo, "accepted: Asia/Jakarta (WIB), Asia/Pontianak (WIB), Asia/Makassar "
                         "(WITA), Asia/Jayapura (WIT), UTC, or a fixed offset such as +07:00"));
    const std::string far = load_error("timezone: Europe/Amsterdam\n");
    CHECK(contains(far, R"(unknown timezone "Europe/Amsterdam"; accepted: Asia/Jakarta (WIB))"));
    CHECK(contains(load_error("timezone: WITA\n"),
                   R"(unknown timezone "WITA"; did you mean "Asia/Makassar"?)"));
    CHECK(contains(load_error("timezone: \"+7\"\n"), R"(unknown timezone "+7")"));
}

TEST_CASE("config: a calendar with hours per day, holidays and a service using it") {
    const config cfg = load_ok(R"(timezone: Asia/Makassar
calendars:
  jam-layanan:
    hours: {mon-thu: "07:30-16:00", fri: "07:30-16:30"}
    holidays: [2026-08-17, {date: 2026-01-01, name: Tahun Baru Masehi}, 2026-08-17]
  kecamatan:
    hours:
      mon-fri: ["08:00-12:00", "13:00 - 21:00"]
      sat: "8:00-12:00"
  igd:
    hours: {daily: 24h}
)" + head + R"(services:
  - id: akta
    agency: dukcapil
    hours: jam-layanan
    checks: [{id: web, http: {url: "https://a.go.id/"}}]
  - id: igd
    agency: dukcapil
    checks: [{id: web, http: {url: "https://a.go.id/"}}]
)");
    CHECK(cfg.utc_offset == minutes{8 * 60});
    REQUIRE(cfg.calendars.size() == 3);

    const pantau::service_calendar& jam = cfg.calendars.at("jam-layanan");
    CHECK(jam.id == "jam-layanan");
    for (std::size_t day = 0; day < 4; ++day) {
        CAPTURE(day);
        CHECK(jam.week[day] == std::vector{hours(7, 30, 16, 0)});
    }
    CHECK(jam.week[4] == std::vector{hours(7, 30, 16, 30)});
    CHECK(jam.week[5].empty());
    CHECK(jam.week[6].empty());
    CHECK(jam.holidays == std::vector{date(2026, 1, 1), date(2026, 8, 17)}); // sorted, once

    const pantau::service_calendar& kecamatan = cfg.calendars.at("kecamatan");
    CHECK(kecamatan.week[0] == std::vector{hours(8, 0, 12, 0), hours(13, 0, 21, 0)});
    CHECK(kecamatan.week[4] == kecamatan.week[0]);
    CHECK(kecamatan.week[5] == std::vector{hours(8, 0, 12, 0)});
    CHECK(kecamatan.week[6].empty());
    CHECK(kecamatan.holidays.empty());

    for (const auto& day : cfg.calendars.at("igd").week) {
        CHECK(day == std::vector{hours(0, 0, 24, 0)});
    }

    REQUIRE(cfg.services.size() == 2);
    CHECK(cfg.services[0].hours == "jam-layanan");
    CHECK_FALSE(cfg.services[1].hours.has_value());
}

TEST_CASE("config: split shifts are sorted and must not overlap") {
    const config cfg =
        load_ok(with_calendar(R"(    hours: {mon: ["13:00-16:00", "07:30-12:00", "12:00-13:00"]}
)"));
    CHECK(cfg.calendars.at("jam").week[0] ==
          std::vector{hours(7, 30, 12, 0), hours(12, 0, 13, 0), hours(13, 0, 16, 0)});

    const std::string overlap =
        load_error(with_calendar(R"(    hours: {mon: ["07:30-12:00", "08:00-09:00"]}
)"));
    CHECK_MESSAGE(starts_with(overlap, "test.yaml:3:34: "), overlap);
    CHECK(contains(overlap, R"(hours "08:00-09:00" overlap "07:30-12:00" for "mon")"));
    // The later one in the file is blamed, even when it starts first.
    const std::string earlier_start =
        load_error(with_calendar(R"(    hours: {mon: ["11:00-16:00", "07:30-12:00"]}
)"));
    CHECK_MESSAGE(starts_with(earlier_start, "test.yaml:3:34: "), earlier_start);
    CHECK(contains(earlier_start, R"(hours "07:30-12:00" overlap "11:00-16:00")"));
}

TEST_CASE("config: calendar day keys are days, ranges or daily, each day once") {
    SUBCASE("a day in two keys names the first") {
        const std::string error = load_error(with_calendar(R"(    hours:
      mon-thu: "07:30-16:00"
      wed: "07:30-12:00"
)"));
        CHECK_MESSAGE(starts_with(error, "test.yaml:5:7: "), error);
        CHECK(contains(error, R"(day "wed" is already given by "mon-thu" (line 4))"));
    }
    SUBCASE("daily and a day") {
        const std::string error =
            load_error(with_calendar("    hours: {sat: \"08:00-12:00\", daily: 24h}\n"));
        CHECK_MESSAGE(starts_with(error, "test.yaml:3:33: "), error);
        CHECK(contains(error, R"(day "sat" is already given by "sat" (line 3))"));
    }
    SUBCASE("two ranges sharing a day") {
        CHECK(contains(load_error(with_calendar(
                           "    hours: {mon-wed: \"08:00-12:00\", wed-fri: \"08:00-12:00\"}\n")),
                       R"(day "wed" is already given by "mon-wed")"));
    }
    SUBCASE("an unknown day suggests the closest") {
        const std::string error = load_error(with_calendar("    hours: {tues: \"08:00-12:00\"}\n"));
        CHECK_MESSAGE(starts_with(error, "test.yaml:3:13: "), error);
        CHECK(contains(error, R"(unknown day "tues" in hours; did you mean "tue"?)"));
        CHECK(contains(error, "a range such as mon-fri, or daily"));
        CHECK(contains(load_error(with_calendar("    hours: {mon-fry: \"08:00-12:00\"}\n")),
                       R"(unknown day "fry" in hours; did you mean "fri"?)"));
        CHECK(contains(load_error(with_calendar("    hours: {weekdays: \"08:00-12:00\"}\n")),
                       "write one of mon, tue, wed, thu, fri, sat, sun, a range"));
    }
    SUBCASE("a range runs from Monday towards Sunday") {
        const std::string error =
            load_error(with_calendar("    hours: {fri-mon: \"08:00-12:00\"}\n"));
        CHECK_MESSAGE(starts_with(error, "test.yaml:3:13: "), error);
        CHECK(contains(error, R"(day range "fri-mon" runs backwards)"));
        CHECK(contains(error, R"(write "fri-sun" and "mon" as two keys)"));
        CHECK(contains(load_error(with_calendar("    hours: {sun-tue: \"08:00-12:00\"}\n")),
                       R"(write "sun" and "mon-tue" as two keys)"));
    }
}

TEST_CASE("config: opening hours are HH:MM-HH:MM, a list of them, or 24h") {
    const auto error_for = [](const std::string& value) {
        return load_error(with_calendar("    hours: {mon: " + value + "}\n"));
    };
    for (const std::string bad :
         {R"("7.30-16")", R"("07:30")", R"("07:30-16:60")", R"("07:30-24:30")", R"("25:00-26:00")",
          R"("0730-1600")", "all-day", "24", R"("07:30-16:00-17:00")"}) {
        CAPTURE(bad);
        const std::string error = error_for(bad);
        CHECK_MESSAGE(starts_with(error, "test.yaml:3:18: "), error);
        CHECK(contains(error, R"(write "HH:MM-HH:MM", e.g. "07:30-16:00", a list of them)"));
    }
    const std::string backwards = error_for(R"("22:00-06:00")");
    CHECK_MESSAGE(starts_with(backwards, "test.yaml:3:18: "), backwards);
    CHECK(contains(backwards, R"(hours "22:00-06:00" close before they open)"));
    CHECK(contains(backwards, R"("22:00-24:00" on this day and "00:00-06:00" on the next)"));
    CHECK(contains(error_for(R"("08:00-08:00")"), "open and close at the same time"));
    CHECK(contains(error_for("[]"), R"(hours for "mon" need at least one range)"));
    CHECK(contains(error_for("{open: 08:00}"), R"(expected a single value for "mon")"));

    const config cfg = load_ok(with_calendar(R"(    hours: {mon: "00:00-24:00", tue: 24h}
)"));
    CHECK(cfg.calendars.at("jam").week[0] == std::vector{hours(0, 0, 24, 0)});
    CHECK(cfg.calendars.at("jam").week[1] == std::vector{hours(0, 0, 24, 0)});
}

TEST_CASE("config: a calendar needs hours and knows only hours and holidays") {
    const std::string missing = load_error(with_calendar("    holidays: [2026-08-17]\n"));
    CHECK_MESSAGE(starts_with(missing, "test.yaml:3:5: "), missing);
    CHECK(contains(missing, R"(calendar "jam" needs "hours", e.g. hours: {mon-thu: )"));
    CHECK(contains(load_error(with_calendar("    hours: {mon: 24h}\n    holiday: [2026-08-17]\n")),
                   R"(unknown key "holiday" in calendar "jam"; did you mean "holidays"?)"));
    CHECK(contains(load_error(with_calendar("    hours: {}\n")), "hours needs at least one day"));
    CHECK(contains(load_error(with_calendar("    hours: 07:30-16:00\n")),
                   R"(expected a mapping for "hours")"));
    CHECK(contains(load_error("calendars:\n  jam: 07:30-16:00\n"),
                   R"(expected a mapping for calendar "jam" with hours and holidays)"));
    CHECK(contains(load_error("calendars:\n  Jam Layanan: {hours: {mon: 24h}}\n"),
                   R"(invalid calendar name "Jam Layanan")"));
    const std::string twice =
        load_error("calendars:\n  jam: {hours: {mon: 24h}}\n  jam: {hours: {tue: 24h}}\n");
    CHECK(contains(twice, R"(duplicate calendar "jam" (first defined at line 2))"));
}

TEST_CASE("config: holiday dates must exist") {
    const std::string feb30 = load_error(
        with_calendar("    hours: {mon: 24h}\n    holidays: [2026-01-01, 2026-02-30]\n"));
    CHECK_MESSAGE(starts_with(feb30, "test.yaml:4:28: "), feb30);
    CHECK(contains(feb30, R"(invalid date "2026-02-30": that month has 28 days)"));
    CHECK(contains(load_error(with_calendar("    hours: {mon: 24h}\n    holidays: [2026-13-01]\n")),
                   R"(invalid date "2026-13-01": months are 01 to 12)"));
    CHECK(contains(load_error(with_calendar("    hours: {mon: 24h}\n    holidays: [17-08-2026]\n")),
                   R"(invalid date "17-08-2026": write YYYY-MM-DD, e.g. 2026-08-17)"));
    CHECK(
        contains(load_error(with_calendar(
                     "    hours: {mon: 24h}\n    holidays: [{date: 2026-08-17, nama: HUT RI}]\n")),
                 R"(unknown key "nama" in holiday; did you mean "name"?)"));
    CHECK(contains(
        load_error(with_calendar("    hours: {mon: 24h}\n    holidays: [{name: HUT RI}]\n")),
        R"(holiday needs "date", e.g. date: 2026-08-17)"));
    CHECK(contains(load_error(with_calendar("    hours: {mon: 24h}\n    holidays: {a: b}\n")),
                   R"(expected a file name or a list of dates for "holidays")"));
    // 2028 is a leap year.
    const config leap =
        load_ok(with_calendar("    hours: {mon: 24h}\n    holidays: [2028-02-29]\n"));
    CHECK(leap.calendars.at("jam").holidays == std::vector{date(2028, 2, 29)});
}

TEST_CASE("config: a service's hours must name a calendar") {
    const std::string typo = load_error(with_calendar("    hours: {mon: 24h}\n") +
                                        "  - {id: kia, agency: dukcapil, hours: jm, checks: "
                                        "[{id: web, http: {url: \"https://a.go.id/\"}}]}\n");
    CHECK_MESSAGE(starts_with(typo, "test.yaml:12:40: "), typo);
    CHECK(contains(typo,
                   R"(calendar "jm" is not defined; did you mean "jam"? defined calendars: jam)"));
    const std::string none = load_error(head + R"(services:
  - id: akta
    agency: dukcapil
    hours: jam-layanan
    checks: [{id: web, http: {url: "https://a.go.id/"}}]
)");
    CHECK_MESSAGE(starts_with(none, "test.yaml:10:12: "), none);
    CHECK(contains(none, R"(no calendars are defined (add them under "calendars:"))"));
}

TEST_CASE("config: holidays from a file relative to the config file") {
    const scratch_dir dir;
    dir.write("calendars/libur.yaml", R"(# a comment
- {date: 2026-12-25, name: Hari Raya Natal}
- 2026-08-17
- {date: 2026-12-25, name: "another holiday the same day"}
)");
    const std::string cfg_text = R"(calendars:
  jam:
    hours: {mon-fri: "08:00-16:00"}
    holidays: calendars/libur.yaml
  lain:
    hours: {sat: "08:00-12:00"}
    holidays: calendars/libur.yaml
)";
    const std::string path = dir.write("pantau.yaml", cfg_text);
    const auto result = pantau::load_config_file(path);
    REQUIRE_MESSAGE(std::holds_alternative<config>(result),
                    std::get<config_error>(result).to_string());
    const config& cfg = std::get<config>(result);
    CHECK(cfg.calendars.at("jam").holidays == std::vector{date(2026, 8, 17), date(2026, 12, 25)});
    CHECK(cfg.calendars.at("lain").holidays == cfg.calendars.at("jam").holidays);

    SUBCASE("an error inside the holidays file names that file and its line") {
        const std::string holidays = dir.write("calendars/libur.yaml", R"(- 2026-01-01
- {date: 2026-02-30, name: Tidak ada}
)");
        CHECK(file_error(path) ==
              holidays + R"(:2:10: invalid date "2026-02-30": that month has 28 days)");
        dir.write("calendars/libur.yaml", "- {date: 2026-01-01, nama: Tahun Baru}\n");
        CHECK(file_error(path) ==
              holidays + R"(:1:22: unknown key "nama" in holiday; did you mean "name"?)");
    }
    SUBCASE("a YAML syntax error in the holidays file names that file") {
        const std::string holidays =
            dir.write("calendars/libur.yaml", "- 2026-01-01\n- [2026-08-17\n");
        const std::string error = file_error(path);
        CHECK_MESSAGE(starts_with(error, holidays + ":"), error);
        CHECK(contains(error, "YAML syntax error"));
    }
    SUBCASE("a holidays file must be a list") {
        const std::string holidays =
            dir.write("calendars/libur.yaml", "2026-01-01: Tahun Baru Masehi\n");
        CHECK(starts_with(file_error(path), holidays + ":1:1: expected a list of holidays"));
        dir.write("calendars/libur.yaml", "# nothing yet\n");
        CHECK(file_error(path) == holidays + ":1:1: the holidays file is empty; write a list of "
                                             "holidays, e.g. - {date: 2026-08-17, name: "
                                             "Proklamasi Kemerdekaan RI}, or - 2026-08-17");
    }
    SUBCASE("a missing holidays file is reported at the config's holidays value") {
        std::filesystem::remove(std::filesystem::path{path}.parent_path() / "calendars" /
                                "libur.yaml");
        const std::string error = file_error(path);
        CHECK_MESSAGE(starts_with(error, path + ":4:15: cannot read holidays file "), error);
        CHECK(contains(error, "calendars/libur.yaml\": No such file or directory"));
    }
}

TEST_CASE("config: the shipped 2026 national holidays and cuti bersama") {
    const config cfg =
        load_ok(with_calendar(R"(    hours: {mon-thu: "07:30-16:00", fri: "07:30-16:30"}
    holidays: )" + shipped_holidays +
                              "\n"));
    const pantau::service_calendar& cal = cfg.calendars.at("jam");
    // 17 national holidays and 8 days of cuti bersama, all on distinct dates.
    REQUIRE(cal.holidays.size() == 25);
    CHECK(cal.holidays.front() == date(2026, 1, 1));
    CHECK(cal.holidays.back() == date(2026, 12, 25));
    for (const ymd day :
         {date(2026, 3, 18), date(2026, 3, 19), date(2026, 3, 20), date(2026, 3, 23),
          date(2026, 3, 24), date(2026, 8, 17), date(2026, 12, 24)}) {
        CAPTURE(static_cast<unsigned>(day.day()));
        CHECK(std::binary_search(cal.holidays.begin(), cal.holidays.end(), day));
    }
    // 261 weekdays in 2026, 21 of them holidays: 194 Mondays-Thursdays of 8.5 h and 46
    // Fridays of 9 h, 2063 hours in all.
    const auto year_start = pantau::wall_clock::time_point{std::chrono::sys_days{date(2026, 1, 1)}};
    const auto year_end = pantau::wall_clock::time_point{std::chrono::sys_days{date(2027, 1, 1)}};
    const auto spans =
        pantau::service_hours_within(cal, {year_start - cal.utc_offset, year_end - cal.utc_offset});
    CHECK(spans.size() == 240);
    std::chrono::seconds total{0};
    for (const auto& s : spans) {
        total += std::chrono::duration_cast<std::chrono::seconds>(s.to - s.from);
    }
    CHECK(total == std::chrono::hours{2063});
}

TEST_CASE("config: the example config/pantau.yaml is valid") {
    ::setenv("PANTAU_ADMIN_TOKEN", "contoh", 1);
    ::setenv("PANTAU_TELEGRAM_TOKEN", "123:abc", 1);
    const auto result =
        pantau::load_config_file(std::string{PANTAU_SOURCE_DIR} + "/config/pantau.yaml");
    ::unsetenv("PANTAU_ADMIN_TOKEN");
    ::unsetenv("PANTAU_TELEGRAM_TOKEN");
    REQUIRE_MESSAGE(std::holds_alternative<config>(result),
                    std::get<config_error>(result).to_string());
    const config& cfg = std::get<config>(result);
    REQUIRE(cfg.calendars.count("jam-layanan") == 1);
    CHECK(cfg.calendars.at("jam-layanan").holidays.size() == 25);
    CHECK(cfg.services.at(1).hours == "jam-layanan");
    CHECK(cfg.services.at(1).depends_on == std::vector<std::string>{"diskominfo/uplink"});
    CHECK(cfg.escalation.at("standar").size() == 3);
    CHECK(cfg.maintenance.size() == 1);
}

TEST_CASE("config: maintenance windows, weekly and one-off") {
    const config cfg = load_ok(head + R"(services:
  - {id: akta-online, agency: dukcapil, checks: [{id: portal, http: {url: "http://x/"}}]}
maintenance:
  - {service: akta-online, weekly: {days: [sat, sun], from: "22:00", to: "02:00"}, timezone: Asia/Makassar, reason: backup}
  - {agency: dukcapil, start: "2026-12-31T22:00:00+07:00", end: "2027-01-01 03:00"}
)");
    REQUIRE(cfg.maintenance.size() == 2);
    const pantau::maintenance_window& weekly = cfg.maintenance[0];
    CHECK(weekly.id == "config-1");
    CHECK(weekly.agency == "dukcapil");
    CHECK(weekly.service == "akta-online");
    CHECK(weekly.reason == "backup");
    REQUIRE(weekly.weekly);
    CHECK(weekly.weekly->days ==
          std::array<bool, 7>{false, false, false, false, false, true, true});
    CHECK(weekly.weekly->from == std::chrono::hours(22));
    CHECK(weekly.weekly->to == std::chrono::hours(2));
    CHECK(weekly.weekly->utc_offset == std::chrono::hours(8));
    const pantau::maintenance_window& once = cfg.maintenance[1];
    CHECK(once.service.empty());
    REQUIRE(once.start);
    REQUIRE(once.end);
    // The end has no offset: it is local time (the top-level timezone, +07:00).
    CHECK(*once.end - *once.start == std::chrono::hours(5));
}

TEST_CASE("config: maintenance mistakes name their place") {
    const std::string svc = head + R"(services:
  - {id: akta-online, agency: dukcapil, checks: [{id: portal, http: {url: "http://x/"}}]}
maintenance:
)";
    const std::string unknown =
        load_error(svc + "  - {service: akta-onlin, start: 2026-12-01, end: 2026-12-02}\n");
    INFO(unknown);
    CHECK(starts_with(unknown, "test.yaml:10:15:"));
    CHECK(contains(unknown, "did you mean \"akta-online\""));
    CHECK(contains(load_error(svc + "  - {agency: dukcapil, service: akta-online, start: "
                                    "2026-12-01, end: 2026-12-02}\n"),
                   "either service"));
    CHECK(contains(load_error(svc + "  - {agency: dukcapil, start: 2026-12-02, end: 2026-12-01}\n"),
                   "ends at or before it starts"));
    CHECK(contains(load_error(svc + "  - {agency: dukcapil, weekly: {days: [sab], from: \"22:00\", "
                                    "to: \"02:00\"}}\n"),
                   "did you mean \"sat\""));
    CHECK(contains(load_error(svc + "  - {agency: dukcapil, weekly: {days: [sat], from: \"25:00\", "
                                    "to: \"02:00\"}}\n"),
                   "invalid time of day"));
    CHECK(contains(load_error(svc + "  - {agency: dukcapil, start: tomorrow, end: 2026-12-02}\n"),
                   "invalid time \"tomorrow\""));
}

TEST_CASE("config: depends_on names services and refuses cycles") {
    const std::string two = head + R"(  - {id: diskominfo}
services:
  - {id: uplink, agency: diskominfo, checks: [{id: router, http: {url: "http://x/"}}]}
)";
    SUBCASE("by id or agency/service, on services and checks") {
        const config cfg = load_ok(two + R"(  - id: akta-online
    agency: dukcapil
    depends_on: [uplink]
    checks:
      - {id: portal, http: {url: "http://x/"}, depends_on: [diskominfo/uplink]}
)");
        CHECK(cfg.services[1].depends_on == std::vector<std::string>{"diskominfo/uplink"});
        CHECK(cfg.services[1].checks[0].depends_on ==
              std::vector<std::string>{"diskominfo/uplink"});
    }
    SUBCASE("an unknown service") {
        const std::string e = load_error(two + R"(  - id: akta-online
    agency: dukcapil
    depends_on: [uplnk]
    checks: [{id: portal, http: {url: "http://x/"}}]
)");
        CHECK(starts_with(e, "test.yaml:12:18:"));
        CHECK(contains(e, "did you mean \"uplink\""));
    }
    SUBCASE("itself") {
        CHECK(contains(
            load_error(
                two +
                R"(  - {id: a, agency: dukcapil, depends_on: [a], checks: [{id: p, http: {url: "http://x/"}}]}
)"),
            "cannot depend on itself"));
    }
    SUBCASE("a cycle through others") {
        const std::string e = load_error(
            two +
            R"(  - {id: a, agency: dukcapil, depends_on: [b], checks: [{id: p, http: {url: "http://x/"}}]}
  - {id: b, agency: dukcapil, depends_on: [a], checks: [{id: p, http: {url: "http://x/"}}]}
)");
        INFO(e);
        CHECK(contains(e, "depends_on makes a cycle: dukcapil/a -> dukcapil/b -> dukcapil/a"));
        CHECK(starts_with(e, "test.yaml:11:44:")); // the entry that closes the cycle
    }
}
