#include "config/config.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

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
calendars:
  jam-layanan: {}
)");
    CHECK_MESSAGE(starts_with(error, "test.yaml:2:1: "), error);
    CHECK(contains(error, R"(unknown key "calendars" at top level)"));
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
