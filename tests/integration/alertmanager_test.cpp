// The Alertmanager channel: the payload against a loopback fake (answers, lease times), and
// end to end against a real Alertmanager (Debian's prometheus-alertmanager) on loopback.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/time_format.hpp"
#include "fixtures/alertmanager_process.hpp"
#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "notify/channel.hpp"
#include "notify_support.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using json = nlohmann::json;
using pantau::test::alertmanager_process;
using pantau::test::fixture_server;
using pantau::test::notify_env;
using pantau::test::sample;

namespace {

const bool have_alertmanager = alertmanager_process::binary().has_value();

// An outage that started five minutes ago: Alertmanager wants startsAt before endsAt.
notification recent() {
    notification n = sample();
    n.since = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 5min;
    return n;
}

wall_time parse_time(const json& value) {
    REQUIRE(value.is_string());
    const auto t = parse_rfc3339_or_date(value.get<std::string>(), std::chrono::minutes{0});
    REQUIRE(t);
    return *t;
}

// Our alert for outage_id among what GET /api/v2/alerts returned, if listed.
std::optional<json> find_alert(const std::string& base_url, const std::string& query,
                               std::int64_t outage_id) {
    const auto reply = pantau::test::http_get(base_url + "/api/v2/alerts" + query);
    REQUIRE(reply.status == 200);
    const json alerts = json::parse(reply.body);
    REQUIRE(alerts.is_array());
    for (const json& a : alerts) {
        if (a["labels"].value("alertname", "") == "PantauServiceDown" &&
            a["labels"].value("pantau_outage_id", "") == std::to_string(outage_id)) {
            return a;
        }
    }
    return std::nullopt;
}

struct recorded_posts {
    std::mutex mutex;
    std::vector<pantau::test::request> requests;
    int status = 200;

    pantau::sim::request_handler handler() {
        return [this](const pantau::test::request& req) {
            const std::lock_guard lock(mutex);
            requests.push_back(req);
            pantau::test::response r;
            r.status = status;
            r.body = status == 200 ? "" : R"({"code":400,"message":"bad alert"})";
            return r;
        };
    }
    std::vector<pantau::test::request> taken() {
        const std::lock_guard lock(mutex);
        return requests;
    }
};

} // namespace

TEST_CASE("notify: alertmanager: the alert, its labels and its lease") {
    fixture_server srv;
    recorded_posts posts;
    srv.set_handler("/am/api/v2/alerts", posts.handler());
    notify_env env;
    auto ch = env.make("alertmanager", {{"urls", srv.url("/am/")},
                                        {"resend_interval", "30s"},
                                        {"labels.team", "noc"},
                                        {"labels.severity", "page"}});
    REQUIRE(ch->refresh_every());
    CHECK(*ch->refresh_every() == 30s);

    const notification n = recent();
    const auto before = std::chrono::system_clock::now();
    const send_result r = env.send(*ch, n);
    INFO(r.detail);
    CHECK(r.ok);
    CHECK(r.detail == "accepted by 1 of 1 alertmanager");

    auto requests = posts.taken();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].method == "POST");
    CHECK(requests[0].header("Content-Type") == "application/json");
    const json body = json::parse(requests[0].body);
    REQUIRE(body.is_array());
    REQUIRE(body.size() == 1);
    const json& alert = body[0];
    CHECK(alert["labels"] == json{{"alertname", "PantauServiceDown"},
                                  {"agency", "dukcapil"},
                                  {"service", "akta-online"},
                                  {"check", "portal"},
                                  {"severity", "page"},
                                  {"pantau_outage_id", "42"},
                                  {"team", "noc"}});
    CHECK(alert["annotations"]["level"] == "L2");
    CHECK(alert["annotations"]["reason"] == "http 503");
    const std::string summary = alert["annotations"]["summary"];
    CHECK(summary ==
          "Layanan Akta Kelahiran Online (Dinas Kependudukan dan Pencatatan Sipil) terganggu");
    const std::string description = alert["annotations"]["description"];
    CHECK(description.find("pemeriksaan portal gagal (http 503)") != std::string::npos);
    CHECK(alert["generatorURL"] == "https://status.example.go.id/outages/42");
    CHECK(parse_time(alert["startsAt"]) == n.since);
    // Firing: the lease runs four resend intervals from now.
    const wall_time ends = parse_time(alert["endsAt"]);
    CHECK(ends >= std::chrono::floor<std::chrono::seconds>(before) + 2min);
    CHECK(ends <= std::chrono::system_clock::now() + 2min);

    notification resolved = n;
    resolved.kind = notification_kind::resolved;
    resolved.link.clear();
    CHECK(env.send(*ch, resolved).ok);
    requests = posts.taken();
    REQUIRE(requests.size() == 2);
    const json ended = json::parse(requests[1].body)[0];
    CHECK(ended["labels"] == alert["labels"]); // the same alert in Alertmanager's eyes
    CHECK(ended["annotations"]["summary"] ==
          "Layanan Akta Kelahiran Online (Dinas Kependudukan dan Pencatatan Sipil) pulih");
    CHECK_FALSE(ended.contains("generatorURL"));
    const wall_time resolved_at = parse_time(ended["endsAt"]);
    CHECK(resolved_at >= std::chrono::floor<std::chrono::seconds>(before));
    CHECK(resolved_at <= std::chrono::system_clock::now());
}

TEST_CASE("notify: alertmanager: rejections are final, server errors retryable") {
    fixture_server srv;
    recorded_posts posts;
    srv.set_handler("/api/v2/alerts", posts.handler());
    notify_env env;
    auto ch = env.make("alertmanager", {{"urls", srv.url("/")}});
    CHECK(*ch->refresh_every() == 1min);

    posts.status = 400;
    send_result r = env.send(*ch, recent());
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retryable);
    std::string base = srv.url("/");
    base.pop_back();
    CHECK(r.detail.rfind("accepted by 0 of 1 alertmanager; " + base + ": http 400", 0) == 0);

    posts.status = 503;
    r = env.send(*ch, recent());
    CHECK_FALSE(r.ok);
    CHECK(r.retryable);
}

TEST_CASE("notify: alertmanager: make_channel checks the settings") {
    notify_env env;
    CHECK(env.refusal("alertmanager", {{"urls", "http://127.0.0.1:9093"}}).empty());
    CHECK(env.refusal("alertmanager", {}) == "channel \"c\": alertmanager needs urls");
    CHECK(env.refusal("alertmanager", {{"urls", "http://a:9093,ftp://b"}}) ==
          "channel \"c\": urls: \"ftp://b\" must start with http:// or https://");
    CHECK(env.refusal("alertmanager", {{"urls", "http://a"}, {"url", "http://b"}}) ==
          "channel \"c\": unknown alertmanager setting \"url\" (known: urls, resend_interval, "
          "timeout, labels.*)");
    CHECK(env.refusal("alertmanager", {{"urls", "http://a"}, {"resend_interval", "0s"}})
              .find("resend_interval must be a positive duration") != std::string::npos);
    CHECK(env.refusal("alertmanager", {{"urls", "http://a"}, {"labels.agency", "x"}}) ==
          "channel \"c\": labels.agency: Pantau sets this label itself");
    CHECK(env.refusal("alertmanager", {{"urls", "http://a"}, {"labels.tim-noc", "x"}})
              .find("[a-zA-Z_][a-zA-Z0-9_]*") != std::string::npos);
    CHECK(env.refusal("alertmanager", {{"urls", "http://a"}, {"labels.team", ""}})
              .find("empty value") != std::string::npos);
}

TEST_CASE("notify: alertmanager: a real Alertmanager shows the alert firing, then resolved" *
          doctest::skip(!have_alertmanager) *
          doctest::description("needs /usr/bin/prometheus-alertmanager "
                               "(Debian package prometheus-alertmanager)")) {
    const alertmanager_process am;
    notify_env env;
    auto ch = env.make("alertmanager", {{"urls", am.base_url()}, {"labels.team", "noc"}});
    const notification n = recent();
    send_result r = env.send(*ch, n);
    INFO(r.detail);
    INFO(am.output());
    REQUIRE(r.ok);

    const auto alert = find_alert(am.base_url(), "", n.outage_id);
    REQUIRE(alert);
    const json& a = *alert;
    CHECK(a["labels"]["agency"] == "dukcapil");
    CHECK(a["labels"]["service"] == "akta-online");
    CHECK(a["labels"]["check"] == "portal");
    CHECK(a["labels"]["severity"] == "critical");
    CHECK(a["labels"]["team"] == "noc");
    CHECK(a["annotations"]["level"] == "L2");
    CHECK(a["annotations"]["reason"] == "http 503");
    CHECK(a["status"]["state"] == "active");
    CHECK(a["generatorURL"] == "https://status.example.go.id/outages/42");
    CHECK(parse_time(a["startsAt"]) == n.since);
    CHECK(parse_time(a["endsAt"]) > std::chrono::system_clock::now() + 3min);

    notification resolved = n;
    resolved.kind = notification_kind::resolved;
    r = env.send(*ch, resolved);
    REQUIRE(r.ok);
    // Ended alerts are no longer listed (Alertmanager filters alerts past their endsAt).
    CHECK(pantau::test::eventually(
        [&] { return !find_alert(am.base_url(), "?active=true", n.outage_id); }, 5s));
    CHECK_FALSE(find_alert(am.base_url(), "", n.outage_id));
}

TEST_CASE("notify: alertmanager: one live member of two is enough" *
          doctest::skip(!have_alertmanager) *
          doctest::description("needs /usr/bin/prometheus-alertmanager "
                               "(Debian package prometheus-alertmanager)")) {
    const alertmanager_process am;
    std::string dead;
    {
        fixture_server gone;
        dead = gone.url("");
        dead.pop_back(); // no trailing '/'
    }
    notify_env env;
    auto ch = env.make("alertmanager", {{"urls", dead + "," + am.base_url()}, {"timeout", "3s"}});
    notification n = recent();
    n.outage_id = 43;
    const send_result r = env.send(*ch, n);
    INFO(r.detail);
    CHECK(r.ok);
    CHECK(r.detail.rfind("accepted by 1 of 2 alertmanagers; " + dead + ": ", 0) == 0);
    CHECK(find_alert(am.base_url(), "", 43));

    auto none = env.make("alertmanager", {{"urls", dead}, {"timeout", "3s"}});
    const send_result failed = env.send(*none, n);
    CHECK_FALSE(failed.ok);
    CHECK(failed.retryable);
    CHECK(failed.detail.rfind("accepted by 0 of 1 alertmanager; " + dead + ": ", 0) == 0);
}
