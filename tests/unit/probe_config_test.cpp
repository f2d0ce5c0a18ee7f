// Configuration of the tcp, tls, dns and icmp probes and of HTTP json expectations: what
// loads, the defaults, and FILE:LINE:COL errors for what does not.
#include "config/config.hpp"

#include <string>
#include <variant>

#include <doctest/doctest.h>

namespace {

using namespace pantau;

const std::string head = R"(agencies:
  - {id: kominfo, name: Diskominfo}
services:
  - id: mail
    agency: kominfo
    checks:
)";
// Checks start on line 7.

config load_ok(const std::string& checks) {
    auto result = load_config_text(head + checks, "test.yaml");
    if (const auto* error = std::get_if<config_error>(&result)) {
        FAIL("expected the config to load, got: " << error->to_string());
    }
    return std::get<config>(std::move(result));
}

std::string load_error(const std::string& checks) {
    auto result = load_config_text(head + checks, "test.yaml");
    if (std::holds_alternative<config>(result)) {
        FAIL("expected an error, but the config loaded");
    }
    return std::get<config_error>(result).to_string();
}

template <typename T>
const T& spec_of(const config& cfg, std::size_t check = 0) {
    const check_spec& spec = cfg.services.at(0).checks.at(check).spec;
    REQUIRE(std::holds_alternative<T>(spec));
    return std::get<T>(spec);
}

} // namespace

TEST_CASE("config: tcp checks") {
    const config cfg = load_ok(R"(      - id: smtp
        tcp: {address: "mail.example.go.id:25", send: "EHLO pantau\r\n", expect: "^220 "}
      - id: bare
        tcp: {address: "[2001:db8::1]:22"}
)");
    const auto& smtp = spec_of<tcp_check>(cfg, 0);
    CHECK(smtp.address == "mail.example.go.id:25");
    CHECK(smtp.send == "EHLO pantau\r\n");
    REQUIRE(smtp.expect);
    CHECK(*smtp.expect == "^220 ");
    const auto& bare = spec_of<tcp_check>(cfg, 1);
    CHECK(bare.address == "[2001:db8::1]:22");
    CHECK(bare.send.empty());
    CHECK_FALSE(bare.expect);
}

TEST_CASE("config: tcp errors") {
    CHECK(load_error("      - id: a\n        tcp: {address: mail.example.go.id}\n") ==
          "test.yaml:8:24: invalid address \"mail.example.go.id\": write host:port with a port "
          "from 1 to 65535, e.g. mail.example.go.id:25 or [2001:db8::1]:443");
    CHECK(load_error("      - id: a\n        tcp: {address: \"h:0\"}\n") ==
          "test.yaml:8:24: invalid address \"h:0\": write host:port with a port from 1 to "
          "65535, e.g. mail.example.go.id:25 or [2001:db8::1]:443");
    CHECK(load_error("      - id: a\n        tcp: {adress: \"h:25\"}\n") ==
          "test.yaml:8:15: unknown key \"adress\" in tcp; did you mean \"address\"?");
    CHECK(load_error("      - id: a\n        tcp: {send: x}\n") ==
          "test.yaml:8:14: tcp needs \"address\", e.g. address: \"mail.example.go.id:25\"");
    const std::string bad_regex = load_error("      - id: a\n        tcp: {address: \"h:25\", "
                                             "expect: \"(220\"}\n");
    CHECK_MESSAGE(bad_regex.rfind("test.yaml:8:40: invalid regular expression \"(220\" (", 0) == 0,
                  bad_regex);
}

TEST_CASE("config: a check has exactly one probe type") {
    CHECK(
        load_error("      - id: a\n        tcp: {address: \"h:25\"}\n        icmp: {host: h}\n") ==
        "test.yaml:9:9: check \"a\" has two probe types (\"tcp\" and \"icmp\"); write one "
        "probe type per check");
    CHECK(load_error("      - id: a\n        interval: 30s\n") ==
          "test.yaml:7:9: check needs one probe type: http, tcp, tls, dns, icmp, heartbeat or "
          "activity, e.g. http: "
          "{url: \"https://example.go.id/\"} or tcp: {address: \"mail.example.go.id:25\"}");
    CHECK(load_error("      - id: a\n        tcpp: {address: \"h:25\"}\n") ==
          "test.yaml:8:9: unknown key \"tcpp\" in check; did you mean \"tcp\"?");
}

TEST_CASE("config: tls checks") {
    const config cfg = load_ok(R"(      - id: cert
        tls:
          address: "mail.example.go.id:587"
          server_name: mail.example.go.id
          cert_min_days: 14
          ca_file: /etc/pantau/ca.pem
          starttls: smtp
      - id: web
        tls: {address: "portal.example.go.id:443"}
)");
    const auto& t = spec_of<tls_check>(cfg, 0);
    CHECK(t.address == "mail.example.go.id:587");
    CHECK(t.server_name == "mail.example.go.id");
    CHECK(t.cert_min_days == 14);
    CHECK(t.ca_file == "/etc/pantau/ca.pem");
    CHECK(t.starttls == starttls_protocol::smtp);
    const auto& w = spec_of<tls_check>(cfg, 1);
    CHECK_FALSE(w.server_name);
    CHECK_FALSE(w.cert_min_days);
    CHECK_FALSE(w.ca_file);
    CHECK(w.starttls == starttls_protocol::none);
}

TEST_CASE("config: tls errors") {
    CHECK(load_error("      - id: a\n        tls: {address: \"h:443\", starttls: imap}\n") ==
          "test.yaml:8:43: unsupported starttls \"imap\": write starttls: smtp, or leave it out "
          "for TLS from the first byte");
    CHECK(load_error("      - id: a\n        tls: {address: \"h:443\", cert_min_days: -1}\n") ==
          "test.yaml:8:48: cert_min_days must be at least 0, e.g. 14");
    CHECK(
        load_error("      - id: a\n        tls: {address: \"h:443\", server_name: \"h:443\"}\n") ==
        "test.yaml:8:46: invalid server_name \"h:443\": write the host name the certificate "
        "must carry, without a port, e.g. portal.example.go.id");
    CHECK(load_error("      - id: a\n        tls: {address: \"h:443\", cert_min_day: 3}\n") ==
          "test.yaml:8:33: unknown key \"cert_min_day\" in tls; did you mean \"cert_min_days\"?");
}

TEST_CASE("config: dns checks") {
    const config cfg = load_ok(R"(      - id: a
        dns: {name: portal.example.go.id}
      - id: mx
        dns:
          name: example.go.id
          type: mx
          server: "127.0.0.1:5353"
          expect: {rcode: NOERROR, answers_contain: ["10 mx.example.go.id"]}
      - id: gone
        dns: {name: old.example.go.id, server: "[::1]:53", expect: {rcode: nxdomain}}
)");
    const auto& a = spec_of<dns_check>(cfg, 0);
    CHECK(a.type == "A");
    CHECK_FALSE(a.server);
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answers_contain.empty());
    const auto& mx = spec_of<dns_check>(cfg, 1);
    CHECK(mx.type == "MX");
    CHECK(mx.server == "127.0.0.1:5353");
    CHECK(mx.answers_contain == std::vector<std::string>{"10 mx.example.go.id"});
    const auto& gone = spec_of<dns_check>(cfg, 2);
    CHECK(gone.rcode == "NXDOMAIN");
    CHECK(gone.server == "[::1]:53");
}

TEST_CASE("config: dns errors") {
    CHECK(load_error("      - id: a\n        dns: {name: x.go.id, type: AAA}\n") ==
          "test.yaml:8:36: unknown record type \"AAA\"; did you mean \"AAAA\"? write one of A, "
          "AAAA, CNAME, MX, TXT, NS, SOA");
    CHECK(load_error("      - id: a\n        dns: {name: x.go.id, server: ns1.go.id}\n") ==
          "test.yaml:8:38: invalid server \"ns1.go.id\": write an IP address with an optional "
          "port, e.g. 10.0.0.53, 127.0.0.1:5353 or [2001:db8::53]:53 (leave server out to use "
          "the system's resolvers)");
    CHECK(load_error("      - id: a\n        dns: {name: x.go.id, expect: {rcode: NXDOMAN}}\n") ==
          "test.yaml:8:46: unknown rcode \"NXDOMAN\"; did you mean \"NXDOMAIN\"? write one of "
          "NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED");
    CHECK(load_error("      - id: a\n        dns: {name: x.go.id, expect: {answer: [a]}}\n") ==
          "test.yaml:8:39: unknown key \"answer\" in dns expect; allowed keys: rcode, "
          "answers_contain");
    CHECK(load_error("      - id: a\n        dns: {name: x.go.id, expect: {rcode: NXDOMAIN, "
                     "answers_contain: [a]}}\n") ==
          "test.yaml:8:56: answers_contain needs rcode NOERROR (a NXDOMAIN response has no "
          "answers); remove one of them");
}

TEST_CASE("config: icmp checks") {
    const config cfg = load_ok(R"(      - id: gw
        icmp: {host: 10.0.0.1}
      - id: core
        icmp: {host: core.example.go.id, count: 5, max_loss: 20%}
)");
    const auto& gw = spec_of<icmp_check>(cfg, 0);
    CHECK(gw.host == "10.0.0.1");
    CHECK(gw.count == 3);
    CHECK(gw.max_loss == doctest::Approx(34.0));
    const auto& core = spec_of<icmp_check>(cfg, 1);
    CHECK(core.count == 5);
    CHECK(core.max_loss == doctest::Approx(20.0));
}

TEST_CASE("config: icmp errors") {
    CHECK(load_error("      - id: a\n        icmp: {host: \"h:80\"}\n") ==
          "test.yaml:8:22: invalid host \"h:80\": write a host name or IP address without a "
          "port, e.g. 10.0.0.1 or gateway.example.go.id");
    CHECK(load_error("      - id: a\n        icmp: {host: h, max_loss: 120%}\n") ==
          "test.yaml:8:35: invalid max_loss \"120%\": write a percentage from 0% to 100%, e.g. "
          "34% (one of three lost is fine, two are not)");
    CHECK(load_error("      - id: a\n        icmp: {host: h, count: 0}\n") ==
          "test.yaml:8:32: count must be at least 1, e.g. 3");
    CHECK(load_error("      - id: a\n        icmp: {host: h, cout: 3}\n") ==
          "test.yaml:8:25: unknown key \"cout\" in icmp; did you mean \"count\"?");
}

TEST_CASE("config: http json expectations") {
    const config cfg = load_ok(R"(      - id: api
        http:
          url: https://antrian.example.go.id/stats.json
          expect:
            json:
              - /status == "ok"
              - /queue/waiting < 200
              - /x exists
              - /list contains "a"
              - /ratio >= 0.5
              - /flag != true
)");
    const auto& http = spec_of<http_check>(cfg);
    REQUIRE(http.expect.json.size() == 6);
    CHECK(http.expect.json[0].pointer == "/status");
    CHECK(http.expect.json[0].op == json_op::eq);
    CHECK(http.expect.json[0].operand == "\"ok\"");
    CHECK(http.expect.json[1].op == json_op::lt);
    CHECK(http.expect.json[1].operand == "200");
    CHECK(http.expect.json[2].op == json_op::exists);
    CHECK(http.expect.json[2].operand.empty());
    CHECK(http.expect.json[3].op == json_op::contains);
    CHECK(http.expect.json[4].op == json_op::ge);
    CHECK(http.expect.json[5].op == json_op::ne);
    CHECK(http.expect.json[5].operand == "true");

    // One expectation may be written without a list.
    const config single = load_ok(R"(      - id: api
        http: {url: "https://a.go.id/", expect: {json: "/ok == true"}}
)");
    CHECK(spec_of<http_check>(single).expect.json.size() == 1);
}

TEST_CASE("config: http json expectation errors point at the item") {
    const std::string prefix = "      - id: api\n        http:\n          url: https://a.go.id/\n"
                               "          expect:\n            json:\n";
    // The items are on line 12.
    CHECK(load_error(prefix + "              - /status = \"ok\"\n") ==
          "test.yaml:12:17: invalid json expectation \"/status = \"ok\"\": unknown operator "
          "= (did you mean ==?); write one of ==, !=, <, <=, >, >=, exists, contains");
    CHECK(load_error(prefix + "              - /status == ok\n") ==
          "test.yaml:12:17: invalid json expectation \"/status == ok\": the value ok is not "
          "JSON: put text in double quotes (\"ok\"); numbers, true, false and null are written "
          "bare");
    CHECK(load_error(prefix + "              - /queue/waiting < \"many\"\n") ==
          "test.yaml:12:17: invalid json expectation \"/queue/waiting < \"many\"\": < "
          "compares numbers; write a number after it, e.g. /queue/waiting < 200");
    CHECK(load_error(prefix + "              - status == 1\n") ==
          "test.yaml:12:17: invalid json expectation \"status == 1\": start with a JSON "
          "pointer, e.g. /status == \"ok\", /queue/waiting < 200 or /data exists");
    CHECK(load_error(prefix + "              - /a~2b exists\n") ==
          "test.yaml:12:17: invalid json expectation \"/a~2b exists\": invalid JSON pointer "
          "/a~2b (write ~0 for \"~\" and ~1 for \"/\" inside a key)");
    CHECK(load_error(prefix + "              - /x exists 1\n") ==
          "test.yaml:12:17: invalid json expectation \"/x exists 1\": nothing may follow "
          "exists, e.g. /x exists");
    CHECK(load_error(prefix + "              - /x >=\n") ==
          "test.yaml:12:17: invalid json expectation \"/x >=\": >= needs a value after it, e.g. "
          "/x >= 200");
    CHECK(load_error(prefix + "              - /x\n") ==
          "test.yaml:12:17: invalid json expectation \"/x\": an operator must follow the "
          "pointer: ==, !=, <, <=, >, >=, exists, contains, e.g. /x exists");
}

TEST_CASE("config: changing a probe's settings changes its spec (reload makes a new probe)") {
    const config a = load_ok("      - id: a\n        dns: {name: x.go.id}\n");
    const config b = load_ok("      - id: a\n        dns: {name: x.go.id, type: MX}\n");
    const config c = load_ok("      - id: a\n        dns: {name: x.go.id}\n");
    CHECK_FALSE(a.services[0].checks[0].spec == b.services[0].checks[0].spec);
    CHECK(a.services[0].checks[0].spec == c.services[0].checks[0].spec);
}

TEST_CASE("config: heartbeat checks") {
    const config cfg =
        load_ok(R"(      - {id: sync, heartbeat: {expect_every: 24h, grace: 30m, token: s3cret}}
      - {id: hourly, failure_threshold: 2, heartbeat: {expect_every: 1h, token: t}}
)");
    const auto& sync = spec_of<heartbeat_check>(cfg, 0);
    CHECK(sync.expect_every == std::chrono::hours{24});
    CHECK(sync.grace == std::chrono::minutes{30});
    CHECK(sync.token == "s3cret");
    // Late is late: one judgement makes it DOWN unless the check says otherwise.
    CHECK(cfg.services[0].checks[0].failure_threshold == 1);
    CHECK(cfg.services[0].checks[1].failure_threshold == 2);
    CHECK(spec_of<heartbeat_check>(cfg, 1).grace.count() == 0);

    CHECK(load_error("      - {id: s, heartbeat: {token: t}}\n") ==
          "test.yaml:7:28: heartbeat needs \"expect_every\", e.g. expect_every: 24h");
    CHECK(load_error("      - {id: s, heartbeat: {expect_every: 1h}}\n") ==
          "test.yaml:7:28: heartbeat needs \"token\", e.g. token: \"${SYNC_TOKEN}\"");
    CHECK(load_error("      - {id: s, heartbeat: {expect_every: 1h, token: \"\"}}\n")
              .starts_with("test.yaml:7:54: a heartbeat token must be a non-empty word"));
    CHECK(load_error("      - {id: s, heartbeat: {expect_every: 0s, token: t}}\n") ==
          "test.yaml:7:43: expect_every must be longer than 0, e.g. 24h");
}

namespace {

const std::string with_calendar = R"(calendars:
  jam-layanan: {hours: {mon-fri: "07:30-16:00"}}
)" + head;

config load_activity(const std::string& check) {
    auto result = load_config_text(with_calendar + check, "test.yaml");
    if (const auto* error = std::get_if<config_error>(&result)) {
        FAIL("expected the config to load, got: " << error->to_string());
    }
    return std::get<config>(std::move(result));
}

std::string activity_error(const std::string& check) {
    auto result = load_config_text(with_calendar + check, "test.yaml");
    if (std::holds_alternative<config>(result)) {
        FAIL("expected an error, but the config loaded");
    }
    return std::get<config_error>(result).to_string();
}

} // namespace

TEST_CASE("config: activity checks") {
    const config cfg = load_activity(R"(      - id: antrian
        activity:
          url: "https://antrian.example.go.id/stats.json"
          value: /antrian/dilayani_hari_ini
          min_increase: 1
          must_increase_within: 60m
          during: jam-layanan
          what: tickets served
          headers: {X-Api-Key: k}
      - id: loket
        activity: {url: "http://127.0.0.1:9100/metrics", metric: 'antrian_total{loket="1"}', min_increase: 2.5}
)");
    const auto& a = spec_of<activity_check>(cfg, 0);
    CHECK(a.http.url == "https://antrian.example.go.id/stats.json");
    CHECK(a.pointer == "/antrian/dilayani_hari_ini");
    CHECK_FALSE(a.metric);
    CHECK(a.min_increase == 1);
    CHECK(a.must_increase_within == std::chrono::minutes{60});
    REQUIRE(a.during);
    CHECK(*a.during == "jam-layanan");
    REQUIRE(a.calendar);
    CHECK(a.calendar->week[0].size() == 1);
    CHECK(a.what == "tickets served");
    CHECK(a.http.headers.size() == 1);
    const auto& m = spec_of<activity_check>(cfg, 1);
    REQUIRE(m.metric);
    CHECK(to_string(*m.metric) == R"(antrian_total{loket="1"})");
    CHECK(m.min_increase == 2.5);
    CHECK_FALSE(m.during); // at all hours
    CHECK(m.must_increase_within == std::chrono::hours{1});

    // Lines: calendars take 2, so checks start on line 9.
    CHECK(activity_error("      - {id: a, activity: {url: \"http://h/\"}}\n")
              .starts_with("test.yaml:9:27: activity needs exactly one of value"));
    CHECK(activity_error("      - {id: a, activity: {url: \"http://h/\", value: /a, metric: x}}\n")
              .starts_with("test.yaml:9:57: activity needs exactly one of value"));
    CHECK(activity_error("      - {id: a, activity: {url: \"http://h/\", value: a/b}}\n") ==
          "test.yaml:9:53: invalid JSON pointer \"a/b\": a JSON pointer starts with /; write "
          "e.g. /antrian/dilayani_hari_ini");
    CHECK(activity_error("      - {id: a, activity: {url: \"http://h/\", metric: \"x{a=b}\"}}\n") ==
          "test.yaml:9:54: invalid metric \"x{a=b}\": invalid labels: write them as "
          "{name=\"value\", other=\"value\"}");
    CHECK(
        activity_error("      - {id: a, activity: {url: \"http://h/\", value: /a, during: jam}}\n")
            .starts_with("test.yaml:9:65: calendar \"jam\" is not defined"));
    CHECK(activity_error(
              "      - {id: a, activity: {url: \"http://h/\", value: /a, min_increase: 0}}\n") ==
          "test.yaml:9:71: min_increase must be more than 0, e.g. min_increase: 1");
    // `during: always` is all hours; a service open always cannot limit its activity check.
    CHECK_FALSE(spec_of<activity_check>(
                    load_activity("      - {id: a, activity: {url: \"http://h/\", value: /a, "
                                  "during: always}}\n"))
                    .calendar);
    auto always = load_config_text(R"(calendars:
  jam-layanan: {hours: {mon-fri: "07:30-16:00"}}
agencies:
  - {id: dinkes, name: Dinas Kesehatan}
services:
  - id: igd
    agency: dinkes
    hours: always
    checks:
      - {id: a, activity: {url: "http://h/", value: /a, during: jam-layanan}}
)",
                                   "test.yaml");
    REQUIRE(std::holds_alternative<config_error>(always));
    CHECK(std::get<config_error>(always).to_string() ==
          "test.yaml:10:65: the service has hours: always (it never closes), so its activity "
          "check applies at all hours; remove \"during: jam-layanan\" or give the service hours: "
          "jam-layanan");
    CHECK(activity_error("      - {id: a, activity: {url: \"ftp://h/\", value: /a}}\n")
              .starts_with("test.yaml:9:33: invalid url \"ftp://h/\""));
}
