// Escalation and the durable outbox end to end: the real daemon, a loopback service that
// goes down, and loopback receivers (webhooks, a fake Telegram Bot API) that record what
// reaches them and when.
#include <doctest/doctest.h>

#include <signal.h>

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <set>
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

TEST_CASE("escalation: levels reach their channels in order, an ack stops level 2, not the "
          "leadership level, recovery resolves every channel told") {
    const auto am_binary = alertmanager_process::binary();
    if (!am_binary) {
        MESSAGE("prometheus-alertmanager is not installed (scripts/install-deps.sh installs it)");
    }
    REQUIRE(am_binary); // installed by the test command: its absence is a failure here
    alertmanager_process am;
    smtp_fake mail;
    fixture_server service;
    service.set_status("/akta", 200);
    service.set_status("/kia", 200);
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
    - {after: 3s, notify: [kadis-telegram, kadis-email]}
    - {after: 6s, notify: [walikota-hook], even_if_acknowledged: true}
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - {id: akta, name: Akta Online, agency: dukcapil, checks: [{id: portal, http: {url: ")" +
                                                         service.url("/akta") + R"("}}]}
  - {id: kia, name: Kartu Identitas Anak, agency: dukcapil, checks: [{id: portal, http: {url: ")" +
                                                         service.url("/kia") + R"("}}]}
)");
    child_process p({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(p);
    REQUIRE(p.wait_for_output("watching 2 checks", 5s));

    // Both services go down together; kia's outage will be acknowledged after level 1.
    service.set_status("/akta", 503);
    service.set_status("/kia", 503);
    REQUIRE_MESSAGE(eventually([&] { return in.delivered("ops", "firing").size() == 2; }, 10s),
                    p.output());
    // Find kia's outage id from the level-1 message and acknowledge it.
    std::int64_t kia_outage = 0;
    for (const received& r : in.delivered("ops", "firing")) {
        if (r.body["service"]["id"] == "kia") {
            kia_outage = r.body["outage_id"].get<std::int64_t>();
            CHECK(r.body["agency"]["name"] == "Dinas Kependudukan");
            CHECK(r.body["service"]["name"] == "Kartu Identitas Anak");
            CHECK(r.body["check"] == "portal");
            CHECK(r.body["reason"].get<std::string>().find("503") != std::string::npos);
            CHECK(r.body["level"] == 1);
            CHECK(r.body["link"] ==
                  "https://pantau.kota.example/api/v1/outages/" + std::to_string(kia_outage));
            CHECK(r.key == r.body["idempotency_key"]);
        }
    }
    REQUIRE(kia_outage > 0);
    // Alertmanager shows both outages firing.
    REQUIRE_MESSAGE(eventually([&] { return active_alerts(am.base_url()).size() == 2; }, 10s),
                    p.output());
    const auto ack =
        http_send("POST", base + "/api/v1/outages/" + std::to_string(kia_outage) + "/ack",
                  "rahasia", R"({"by": "Kabid Dukcapil", "note": "sedang ditangani"})");
    REQUIRE_MESSAGE(ack.status == 200, ack.body);

    // Level 3 reaches the mayor for both outages; level 2 only for the unacknowledged one.
    REQUIRE_MESSAGE(eventually([&] { return in.delivered("walikota", "firing").size() == 2; }, 15s),
                    p.output());
    const auto kadis = in.delivered("kadis-telegram", "GANGGUAN LAYANAN");
    REQUIRE(kadis.size() == 1);
    CHECK(kadis[0].body["text"].get<std::string>().find("Akta Online") != std::string::npos);
    CHECK(kadis[0].body["chat_id"].dump().find("-100123") != std::string::npos);
    // The same level by e-mail, once, about akta only.
    REQUIRE(mail.wait_for_messages(1, 5s));
    CHECK(mail.messages().size() == 1);
    CHECK(mail.messages()[0].data.find("Subject:") != std::string::npos);
    CHECK(mail.messages()[0].rcpt_to == std::vector<std::string>{"kadis@kota.example"});

    // In order for the unacknowledged outage, each level about 3 s after the one before.
    steady::time_point akta_l1{};
    steady::time_point akta_l3{};
    for (const received& r : in.delivered("ops", "firing")) {
        if (r.body["service"]["id"] == "akta") {
            akta_l1 = r.at;
        }
    }
    for (const received& r : in.delivered("walikota", "firing")) {
        if (r.body["service"]["id"] == "akta") {
            akta_l3 = r.at;
            CHECK(r.body["level"] == 3);
        }
    }
    CHECK(kadis[0].at - akta_l1 >= 2500ms);
    CHECK(kadis[0].at - akta_l1 <= 5s);
    CHECK(akta_l3 - kadis[0].at >= 2500ms);
    CHECK(akta_l3 - kadis[0].at <= 5s);

    // /metrics shows the level of each outage and the deliveries.
    const std::string metrics = http_get(base + "/metrics").body;
    CHECK(metrics.find(R"(pantau_escalation_level{agency="dukcapil",service="akta"} 3)") !=
          std::string::npos);
    CHECK(metrics.find(
              R"(pantau_notifications_total{channel="walikota-hook",result="delivered"} 2)") !=
          std::string::npos);
    CHECK(metrics.find(R"(pantau_outbox_pending{channel="ops-hook"} 0)") != std::string::npos);

    // Recovery: every channel that was told hears it, once; kadis only about akta.
    service.set_status("/akta", 200);
    service.set_status("/kia", 200);
    REQUIRE_MESSAGE(eventually(
                        [&] {
                            return in.delivered("ops", "resolved").size() == 2 &&
                                   in.delivered("walikota", "resolved").size() == 2 &&
                                   in.delivered("kadis-telegram", "PULIH").size() == 1 &&
                                   mail.messages().size() == 2;
                        },
                        10s),
                    p.output());
    // Resolved in Alertmanager too: no active alert of ours is left.
    CHECK_MESSAGE(eventually([&] { return active_alerts(am.base_url()).empty(); }, 10s),
                  am.output());
    std::this_thread::sleep_for(1500ms); // nothing more may follow
    CHECK(in.delivered("kadis-telegram", "PULIH").size() == 1);
    CHECK(in.delivered("kadis-telegram", "GANGGUAN LAYANAN").size() == 1);
    CHECK(in.delivered("ops", "resolved").size() == 2);

    // The ledger has the story: the acknowledged outage reached level 3.
    const json outage = json::parse(
        http_get(base + "/api/v1/outages/" + std::to_string(kia_outage)).body, nullptr, false);
    CHECK(outage["level"] == 3);
    CHECK(outage["acknowledged_by"] == "Kabid Dukcapil");
    CHECK(outage["ended_at"].is_string());
    p.signal(SIGTERM);
    CHECK(p.wait(10s) == 0);
}

TEST_CASE("escalation: a channel down for 30 s gets every message exactly once, across a "
          "daemon crash") {
    fixture_server service;
    service.set_status("/akta", 200);
    inbox in;
    in.answer(503); // the receiver is down from the start
    temp_dir dir;
    const std::string cfg = dir.write("pantau.yaml", R"(listen: 127.0.0.1:0
ledger: )" + dir.path.string() + R"(/ledger.db
defaults: {interval: 1s, timeout: 800ms, retry_interval: 500ms, failure_threshold: 1}
notify_retry: {first: 500ms, max: 2s}
channels:
  ops-hook: {webhook: {url: ")" + in.url("/hook/ops") + R"(", timeout: 2s}}
escalation:
  standar:
    - {after: 0s, notify: [ops-hook], repeat: 8s}
agencies:
  - {id: dukcapil, name: Dinas Kependudukan, escalation: standar}
services:
  - {id: akta, name: Akta Online, agency: dukcapil, checks: [{id: portal, http: {url: ")" +
                                                         service.url("/akta") + R"("}}]}
)");
    const auto down_from = steady::now();
    std::set<std::string> keys_before_crash;
    {
        child_process first({PANTAU_BINARY, "run", "--config", cfg});
        start(first);
        service.set_status("/akta", 503);
        // Attempts fail and are retried with backoff.
        REQUIRE_MESSAGE(eventually([&] { return in.all().size() >= 3; }, 15s), first.output());
        for (const received& r : in.all()) {
            keys_before_crash.insert(r.key);
        }
        CHECK(first.output().find("retrying in") != std::string::npos);
        first.signal(SIGKILL); // no chance to tidy up
        first.wait(5s);
    }
    REQUIRE(keys_before_crash.count("outage-1/level-1/ops-hook/notify/0") == 1);

    child_process second({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = start(second);
    CHECK(second.wait_for_output("pending; sending them", 10s));
    // The receiver comes back 30 s after it went down.
    while (steady::now() - down_from < 30s) {
        std::this_thread::sleep_for(200ms);
    }
    in.answer(200);
    REQUIRE_MESSAGE(eventually([&] { return !in.delivered("ops", "firing").empty(); }, 10s),
                    second.output());
    // A reminder falls due every 8 s; let a few periods pass while it is up.
    std::this_thread::sleep_for(3s);
    service.set_status("/akta", 200);
    REQUIRE_MESSAGE(eventually([&] { return in.delivered("ops", "resolved").size() == 1; }, 15s),
                    second.output());
    std::this_thread::sleep_for(2s);

    // Every key that was ever tried was delivered (answered 2xx) exactly once.
    std::map<std::string, int> delivered;
    std::set<std::string> tried;
    for (const received& r : in.all()) {
        tried.insert(r.key);
        if (r.answered == 200) {
            ++delivered[r.key];
        }
    }
    for (const std::string& key : tried) {
        INFO(key);
        CHECK(delivered[key] == 1);
    }
    CHECK(delivered.count("outage-1/level-1/ops-hook/notify/0") == 1);
    CHECK(delivered.count("outage-1/resolve/ops-hook") == 1);
    const std::string metrics = http_get(base + "/metrics").body;
    CHECK(metrics.find(R"(pantau_outbox_pending{channel="ops-hook"} 0)") != std::string::npos);
    second.signal(SIGTERM);
    CHECK(second.wait(10s) == 0);
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

        // The service goes down inside the window: recorded as planned, nobody is told.
        service.set_status("/akta", 503);
        REQUIRE(p.wait_for_output("is planned (maintenance until", 10s));
        std::this_thread::sleep_for(1500ms);
        CHECK(in.all().empty());
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
    std::this_thread::sleep_for(2s);
    CHECK(in.all().empty());
    CHECK(http_send("DELETE", base + "/api/v1/maintenance/" + id, "", "").status == 401);
    CHECK(http_send("DELETE", base + "/api/v1/maintenance/" + id, "rahasia", "").status == 200);
    CHECK(http_send("DELETE", base + "/api/v1/maintenance/" + id, "rahasia", "").status == 404);
    CHECK(json::parse(http_get(base + "/api/v1/maintenance").body)["maintenance"].empty());
    p.signal(SIGTERM);
    CHECK(p.wait(10s) == 0);
}
