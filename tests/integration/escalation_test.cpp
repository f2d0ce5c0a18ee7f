// Escalation and the durable outbox end to end: the real daemon, a loopback service that
// goes down, and loopback receivers (webhooks, a fake Telegram Bot API) that record what
// reaches them and when.
#include <doctest/doctest.h>

#include <signal.h>

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fixtures/alertmanager_process.hpp"
#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/smtp_fake.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

using steady = std::chrono::steady_clock;

struct received {
    std::string channel;
    json body; // webhook payload, or the Bot API request
    std::string key;
    steady::time_point at;
    int answered = 200;
};

// Receivers on one loopback server: /hook/NAME (webhooks) and /botTOKEN/sendMessage.
class inbox {
public:
    inbox() {
        for (const char* name : {"ops", "kadis", "walikota"}) {
            srv_.set_handler(std::string{"/hook/"} + name, [this, name](const request& r) {
                return take(name, r, json::parse(r.body, nullptr, false),
                            r.header("Idempotency-Key").value_or(""));
            });
        }
        srv_.set_handler("/botT0KEN/sendMessage", [this](const request& r) {
            const json body = json::parse(r.body, nullptr, false);
            return take("kadis-telegram", r, body, "");
        });
    }

    std::string url(const std::string& path) const { return srv_.url(path); }
    std::string base() const { return srv_.url(""); }

    // Answer this status (e.g. 503) to every webhook until told otherwise.
    void answer(int status) {
        const std::lock_guard lock(mutex_);
        status_ = status;
    }

    std::vector<received> all() const {
        const std::lock_guard lock(mutex_);
        return got_;
    }
    // Messages answered 2xx for a channel whose text or event mentions `what`.
    std::vector<received> delivered(const std::string& channel, const std::string& event) const {
        std::vector<received> out;
        for (const received& r : all()) {
            if (r.channel != channel || r.answered != 200) {
                continue;
            }
            const bool telegram = r.body.contains("text");
            const bool match =
                telegram ? r.body["text"].get<std::string>().find(event) != std::string::npos
                         : r.body.value("event", "") == event;
            if (match) {
                out.push_back(r);
            }
        }
        return out;
    }

private:
    using request = pantau::test::request;
    using response = pantau::test::response;

    response take(const std::string& channel, const request&, json body, std::string key) {
        const std::lock_guard lock(mutex_);
        const bool telegram = channel == "kadis-telegram";
        const int status = telegram ? 200 : status_;
        got_.push_back({channel, std::move(body), std::move(key), steady::now(), status});
        response res;
        res.status = status;
        res.body = telegram ? R"({"ok": true, "result": {"message_id": 1}})" : "ok";
        res.headers.emplace_back("Content-Type", "application/json");
        return res;
    }

    mutable std::mutex mutex_;
    std::vector<received> got_;
    int status_ = 200;
    fixture_server srv_;
};

// Our alerts in a real Alertmanager: service label -> state ("active", ...), from
// GET /api/v2/alerts?active=true (resolved alerts are not listed).
std::map<std::string, std::string> active_alerts(const std::string& am) {
    std::map<std::string, std::string> out;
    const json list = json::parse(http_get(am + "/api/v2/alerts?active=true").body, nullptr, false);
    if (!list.is_array()) {
        return out;
    }
    for (const json& a : list) {
        if (a.contains("labels") && a["labels"].value("alertname", "") == "PantauServiceDown") {
            out[a["labels"].value("service", "")] = a["status"].value("state", "");
        }
    }
    return out;
}

std::string start(child_process& p) {
    std::string base = wait_for_base_url(p);
    REQUIRE_MESSAGE(!base.empty(), p.output());
    return base;
}

} // namespace

TEST_CASE("escalation: every kind of channel hears each level of a real outage, an ack is "
          "recorded, recovery resolves every channel told") {
    // Timing, order, acknowledgement rules and exactly-once delivery are covered with a
    // manual clock in tests/unit/runtime_test.cpp; this is the real thing end to end.
    const auto am_binary = alertmanager_process::binary();
    if (!am_binary) {
        MESSAGE("prometheus-alertmanager is not installed (scripts/install-deps.sh installs it)");
    }
    REQUIRE(am_binary); // installed by the test command: its absence is a failure here
    alertmanager_process am;
    smtp_fake mail;
    fixture_server service;
    service.set_status("/akta", 200);
    inbox in;
    temp_dir dir;
    const std::string cfg = dir.write("pantau.yaml", R"(listen: 127.0.0.1:0
admin_token: rahasia
ledger: )" + dir.path.string() + R"(/ledger.db
public_url: https://pantau.kota.example
defaults: {interval: 1s, timeout: 800ms, retry_interval: 500ms, failure_threshold: 1}
channels:
  ops-hook: {webhook: {url: ")" + in.url("/hook/ops") + R"("}}
  kadis-telegram: {telegram: {token: T0KEN, chat_id: "-100123", base_url: ")" +
                                                         in.base() + R"("}}
  walikota-hook: {webhook: {url: ")" + in.url("/hook/walikota") +
                                                         R"("}}
  noc-am: {alertmanager: {urls: [")" + am.base_url() +
                                                         R"("], resend_interval: 2s}}
  kadis-email:
    email:
      smtp: {url: ")" + mail.url() + R"(", starttls: false}
      from: pantau@kota.example
      to: [kadis@kota.example]
escalation:
  standar:
    - {after: 0s, notify: [ops-hook, noc-am]}
    - {after: 1s, notify: [kadis-telegram, kadis-email]}
    - {after: 2s, notify: [walikota-hook], even_if_acknowledged: true}
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - {id: akta, name: Akta Online, agency: dukcapil, checks: [{id: portal, http: {url: ")" +
                                                         service.url("/akta") + R"("}}]}
)");
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);
    REQUIRE(p.wait_for_output("watching 1 checks", 5s));

    service.set_status("/akta", 503);
    REQUIRE_MESSAGE(eventually([&] { return in.delivered("ops", "firing").size() == 1; }, 10s),
                    p.output());
    const received first = in.delivered("ops", "firing")[0];
    const std::int64_t outage = first.body["outage_id"].get<std::int64_t>();
    CHECK(first.body["agency"]["name"] == "Dinas Kependudukan");
    CHECK(first.body["service"]["name"] == "Akta Online");
    CHECK(first.body["check"] == "portal");
    CHECK(first.body["reason"].get<std::string>().find("503") != std::string::npos);
    CHECK(first.body["level"] == 1);
    CHECK(first.body["link"] ==
          "https://pantau.kota.example/api/v1/outages/" + std::to_string(outage));
    CHECK(first.key == first.body["idempotency_key"]);
    // Alertmanager shows it firing.
    REQUIRE_MESSAGE(eventually([&] { return active_alerts(am.base_url()).size() == 1; }, 10s),
                    p.output());

    // Level 2 by Telegram and e-mail, then level 3 to the mayor.
    REQUIRE_MESSAGE(eventually([&] { return in.delivered("walikota", "firing").size() == 1; }, 15s),
                    p.output());
    CHECK(in.delivered("walikota", "firing")[0].body["level"] == 3);
    const auto kadis = in.delivered("kadis-telegram", "GANGGUAN LAYANAN");
    REQUIRE(kadis.size() == 1);
    CHECK(kadis[0].body["text"].get<std::string>().find("Akta Online") != std::string::npos);
    CHECK(kadis[0].body["chat_id"].dump().find("-100123") != std::string::npos);
    REQUIRE(mail.wait_for_messages(1, 5s));
    CHECK(mail.messages().size() == 1);
    CHECK(mail.messages()[0].data.find("Subject:") != std::string::npos);
    CHECK(mail.messages()[0].rcpt_to == std::vector<std::string>{"kadis@kota.example"});

    // Acknowledged through the API.
    const auto ack =
        http_send("POST", base + "/api/v1/outages/" + std::to_string(outage) + "/ack", "rahasia",
                  R"({"by": "Kabid Dukcapil", "note": "sedang ditangani"})");
    REQUIRE_MESSAGE(ack.status == 200, ack.body);
    CHECK(json::parse(ack.body)["acknowledged_by"] == "Kabid Dukcapil");

    // /metrics shows the level of the outage and the deliveries.
    const std::string metrics = http_get(base + "/metrics").body;
    CHECK(metrics.find(R"(pantau_escalation_level{agency="dukcapil",service="akta"} 3)") !=
          std::string::npos);
    CHECK(metrics.find(
              R"(pantau_notifications_total{channel="walikota-hook",result="delivered"} 1)") !=
          std::string::npos);
    CHECK(metrics.find(R"(pantau_outbox_pending{channel="ops-hook"} 0)") != std::string::npos);

    // Recovery: every channel that was told hears it.
    service.set_status("/akta", 200);
    REQUIRE_MESSAGE(eventually(
                        [&] {
                            return in.delivered("ops", "resolved").size() == 1 &&
                                   in.delivered("walikota", "resolved").size() == 1 &&
                                   in.delivered("kadis-telegram", "PULIH").size() == 1 &&
                                   mail.messages().size() == 2;
                        },
                        10s),
                    p.output());
    // Resolved in Alertmanager too: no active alert of ours is left.
    CHECK_MESSAGE(eventually([&] { return active_alerts(am.base_url()).empty(); }, 10s),
                  am.output());

    // The ledger has the story: level 3, acknowledged, ended.
    const json o = json::parse(http_get(base + "/api/v1/outages/" + std::to_string(outage)).body,
                               nullptr, false);
    CHECK(o["level"] == 3);
    CHECK(o["acknowledged_by"] == "Kabid Dukcapil");
    CHECK(o["ended_at"].is_string());
    p.signal(SIGTERM);
    CHECK(p.wait(10s) == 0);
}

TEST_CASE("escalation: a maintenance window set through the API makes an outage planned, "
          "survives a restart and can be removed") {
    fixture_server service;
    service.set_status("/akta", 200);
    inbox in;
    temp_dir dir;
    const std::string cfg = dir.write("pantau.yaml", R"(listen: 127.0.0.1:0
admin_token: rahasia
ledger: )" + dir.path.string() + R"(/ledger.db
defaults: {interval: 1s, timeout: 800ms, retry_interval: 500ms, failure_threshold: 1}
channels:
  ops-hook: {webhook: {url: ")" + in.url("/hook/ops") + R"("}}
escalation:
  standar: [{after: 0s, notify: [ops-hook]}]
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - {id: akta, agency: dukcapil, checks: [{id: portal, http: {url: ")" +
                                                         service.url("/akta") + R"("}}]}
)");
    const std::string window = R"({"service": "akta", "start": "2026-01-01T00:00:00+07:00",
        "end": "2099-01-01T00:00:00+07:00", "reason": "ganti server", "by": "Tim TI"})";
    std::string id;
    {
        child_process p({PANTAU_BINARY, "run", "--config", cfg});
        const std::string base = start(p);
        // Without the token: refused, nothing added.
        CHECK(http_send("POST", base + "/api/v1/maintenance", "", window).status == 401);
        CHECK(http_send("POST", base + "/api/v1/maintenance", "salah", window).status == 401);
        const auto bad =
            http_send("POST", base + "/api/v1/maintenance", "rahasia",
                      R"({"service": "nope", "start": "2026-01-01", "end": "2099-01-01"})");
        CHECK(bad.status == 400);
        CHECK(bad.body.find("no service") != std::string::npos);
        const auto added = http_send("POST", base + "/api/v1/maintenance", "rahasia", window);
        REQUIRE_MESSAGE(added.status == 201, added.body);
        const json w = json::parse(added.body);
        id = w["id"].get<std::string>();
        CHECK(w["active"] == true);
        CHECK(w["recorded"] == true);
        CHECK(w["agency"] == "dukcapil");

        // The service goes down inside the window: recorded as planned (that nobody is told
        // is covered with a manual clock in tests/unit/runtime_test.cpp).
        service.set_status("/akta", 503);
        REQUIRE(p.wait_for_output("is planned (maintenance until", 10s));
        const json outages = json::parse(http_get(base + "/api/v1/outages").body, nullptr, false);
        REQUIRE(outages["outages"].size() == 1);
        CHECK(outages["outages"][0]["planned"] == true);
        CHECK(outages["outages"][0]["planned_until"] == "2099-01-01T00:00:00+07:00");
        // The status page lists the window and shows the service in maintenance.
        const std::string page = http_get(base + "/?lang=en").body;
        CHECK(page.find("ganti server") != std::string::npos);
        CHECK(page.find("1 service is under maintenance") != std::string::npos);
        p.signal(SIGTERM);
        REQUIRE(p.wait(10s) == 0);
    }
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);
    // The window came back from the ledger, and the open outage is still held.
    const json list = json::parse(http_get(base + "/api/v1/maintenance").body, nullptr, false);
    REQUIRE(list["maintenance"].size() == 1);
    CHECK(list["maintenance"][0]["id"] == id);
    CHECK(list["maintenance"][0]["reason"] == "ganti server");
    CHECK(http_send("DELETE", base + "/api/v1/maintenance/" + id, "", "").status == 401);
    CHECK(http_send("DELETE", base + "/api/v1/maintenance/" + id, "rahasia", "").status == 200);
    CHECK(http_send("DELETE", base + "/api/v1/maintenance/" + id, "rahasia", "").status == 404);
    CHECK(json::parse(http_get(base + "/api/v1/maintenance").body)["maintenance"].empty());
    CHECK(in.all().empty());
    p.signal(SIGTERM);
    CHECK(p.wait(10s) == 0);
}
