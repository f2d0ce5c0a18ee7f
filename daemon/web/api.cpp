#include "web/api.hpp"

#include <openssl/crypto.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>

#include "config/config.hpp"
#include "core/outage_book.hpp"
#include "core/time_format.hpp"
#include "runtime/coordinator.hpp"
#include "runtime/monitor.hpp"
#include "runtime/recorder.hpp"
#include "web/http_server.hpp"

namespace pantau {

namespace {

void json_error(http_response& res, int status, const std::string& message) {
    res.status = status;
    res.content_type = "application/json";
    res.body = nlohmann::json{{"error", message}}.dump() + "\n";
}

void json_ok(http_response& res, const nlohmann::json& body) {
    res.content_type = "application/json";
    res.body = body.dump(2) + "\n";
}

// Whether the request carries the admin token; answers 401 when it does not.
bool authorized(const config& cfg, const http_request& req, http_response& res,
                std::string_view what) {
    if (bearer_matches(cfg.admin_token, req.header("Authorization"))) {
        return true;
    }
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    json_error(res, 401,
               cfg.admin_token.empty()
                   ? std::string{what} + " needs admin_token in the configuration"
                   : std::string{"missing or wrong bearer token"});
    return false;
}

std::optional<std::int64_t> parse_id(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v <= 0) {
        return std::nullopt;
    }
    return v;
}

} // namespace

bool bearer_matches(const std::string& expected, std::string_view authorization) {
    constexpr std::string_view prefix = "Bearer ";
    if (expected.empty() || authorization.substr(0, prefix.size()) != prefix) {
        return false;
    }
    const std::string_view given = authorization.substr(prefix.size());
    if (given.size() != expected.size()) {
        return false;
    }
    return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

nlohmann::json outage_json(const outage_record& o, wall_time now, std::chrono::minutes off) {
    const wall_time end = o.ended_at.value_or(now);
    nlohmann::json j = {
        {"id", o.id},
        {"agency", o.agency},
        {"service", o.service},
        {"started_at", format_rfc3339(o.started_at, off)},
        {"ended_at", o.ended_at ? nlohmann::json(format_rfc3339(*o.ended_at, off)) : nullptr},
        {"duration_seconds",
         std::chrono::duration_cast<std::chrono::milliseconds>(end - o.started_at).count() /
             1000.0},
        {"cause", o.cause},
        {"level", o.level},
        {"acknowledged_by", o.acknowledged_by ? nlohmann::json(*o.acknowledged_by) : nullptr},
        {"acknowledged_at",
         o.acknowledged_at ? nlohmann::json(format_rfc3339(*o.acknowledged_at, off)) : nullptr},
    };
    if (!o.ack_note.empty()) {
        j["ack_note"] = o.ack_note;
    }
    j["planned"] = o.planned_until.has_value();
    j["planned_until"] =
        o.planned_until ? nlohmann::json(format_rfc3339(*o.planned_until, off)) : nullptr;
    j["caused_by"] = o.caused_by != 0 ? nlohmann::json(o.caused_by) : nullptr;
    return j;
}

nlohmann::json window_json(const maintenance_window& w, wall_time now, std::chrono::minutes off) {
    static constexpr std::array<const char*, 7> days{"mon", "tue", "wed", "thu",
                                                     "fri", "sat", "sun"};
    nlohmann::json j{
        {"id", w.id},
        {"agency", w.agency},
        {"service", w.service.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.service)},
        {"reason", w.reason},
        {"source", w.id.rfind("api-", 0) == 0 ? "api" : "config"},
        {"active", active_until(w, now).has_value()},
    };
    if (w.start && w.end) {
        j["start"] = format_rfc3339(*w.start, off);
        j["end"] = format_rfc3339(*w.end, off);
    }
    if (w.weekly) {
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t d = 0; d < days.size(); ++d) {
            if (w.weekly->days[d]) {
                list.push_back(days[d]);
            }
        }
        const auto clock = [](std::chrono::minutes m) {
            std::array<char, 8> buf{};
            std::snprintf(buf.data(), buf.size(), "%02d:%02d", static_cast<int>(m.count() / 60),
                          static_cast<int>(m.count() % 60));
            return std::string{buf.data()};
        };
        j["weekly"] = {{"days", list},
                       {"from", clock(w.weekly->from)},
                       {"to", clock(w.weekly->to)},
                       {"utc_offset_minutes", w.weekly->utc_offset.count()}};
    }
    if (const auto next = next_occurrence(w, now)) {
        j["next"] = {{"start", format_rfc3339(next->first, off)},
                     {"end", format_rfc3339(next->second, off)}};
    }
    return j;
}

nlohmann::json services_json(const monitor& m, const outage_book& book, const config& cfg) {
    const auto off = cfg.utc_offset;
    std::map<std::string_view, nlohmann::json> by_agency; // agency id -> its services
    for (const service_runtime& s : m.services()) {
        nlohmann::json checks = nlohmann::json::array();
        for (auto id : s.checks) {
            const check_runtime* c = m.checks()[id].get();
            if (c == nullptr) {
                continue;
            }
            nlohmann::json jc = {
                {"id", c->cfg.id},
                {"state", to_string(c->health.state())},
                {"since", format_rfc3339(c->state_since, off)},
                {"reason", c->last ? nlohmann::json(c->last->reason) : nlohmann::json(nullptr)},
                {"duration_seconds",
                 c->last ? nlohmann::json(std::chrono::duration<double>(c->last->elapsed).count())
                         : nlohmann::json(nullptr)},
            };
            checks.push_back(std::move(jc));
        }
        const auto open = book.open_outage(s.agency + "/" + s.id);
        by_agency[s.agency].push_back({
            {"agency", s.agency},
            {"id", s.id},
            {"name", s.name},
            {"state", to_string(s.state)},
            {"since", format_rfc3339(s.state_since, off)},
            {"cause", s.cause.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.cause)},
            {"open_outage", open ? nlohmann::json(*open) : nlohmann::json(nullptr)},
            {"checks", std::move(checks)},
        });
    }
    nlohmann::json agencies = nlohmann::json::array();
    nlohmann::json services = nlohmann::json::array();
    const auto add_agency = [&](const std::string& id, const std::string& name) {
        auto found = by_agency.find(id);
        nlohmann::json list =
            found == by_agency.end() ? nlohmann::json::array() : std::move(found->second);
        for (const auto& s : list) {
            services.push_back(s);
        }
        agencies.push_back({{"id", id}, {"name", name}, {"services", std::move(list)}});
        if (found != by_agency.end()) {
            by_agency.erase(found);
        }
    };
    for (const agency_config& a : cfg.agencies) {
        add_agency(a.id, a.name);
    }
    while (!by_agency.empty()) { // services of agencies missing from cfg (not expected)
        const std::string id{by_agency.begin()->first};
        add_agency(id, id);
    }
    return {{"agencies", std::move(agencies)}, {"services", std::move(services)}};
}

// The handlers below capture the functions' parameters by reference: the objects they refer
// to (the daemon's runtime, configuration and clock) outlive the server.

void add_service_routes(http_server& server, const monitor& m, const outage_book& book,
                        const config& cfg) {
    server.route("/api/v1/services", [&](const http_request& req, http_response& res) {
        if (req.method != "GET" && req.method != "HEAD") {
            json_error(res, 405, "use GET");
            return;
        }
        json_ok(res, services_json(m, book, cfg));
    });
}

void add_outage_routes(http_server& server, coordinator& flow, recorder& rec, const config& cfg,
                       const time_source& time) {
    server.route("/api/v1/outages", [&](const http_request& req, http_response& res) {
        if (req.method != "GET" && req.method != "HEAD") {
            json_error(res, 405, "use GET");
            return;
        }
        outage_query q;
        for (const char* name : {"from", "to"}) {
            const std::string v = query_param(req.query, name);
            if (v.empty()) {
                continue;
            }
            auto t = parse_rfc3339_or_date(v, cfg.utc_offset);
            if (!t) {
                json_error(res, 400,
                           std::string("invalid ") + name +
                               ": write a date like 2026-11-28 or a time like "
                               "2026-11-28T08:00:00+07:00");
                return;
            }
            (std::string_view(name) == "from" ? q.from : q.to) = *t;
        }
        if (auto s = query_param(req.query, "service"); !s.empty()) {
            q.service = s;
        }
        if (auto a = query_param(req.query, "agency"); !a.empty()) {
            q.agency = a;
        }
        auto rows = rec.outages(q);
        if (!rows) {
            json_error(res, 503, "the ledger is not available");
            return;
        }
        const wall_time now = time.wall_now();
        nlohmann::json list = nlohmann::json::array();
        for (const outage_record& o : *rows) {
            list.push_back(outage_json(o, now, cfg.utc_offset));
        }
        json_ok(res, {{"outages", std::move(list)}});
    });

    server.route("/api/v1/outages/", [&](const http_request& req, http_response& res) {
        std::string_view rest = std::string_view(req.path).substr(std::strlen("/api/v1/outages/"));
        const bool ack = rest.size() > 4 && rest.substr(rest.size() - 4) == "/ack";
        if (ack) {
            rest.remove_suffix(4);
        }
        const auto id = parse_id(rest);
        if (!id) {
            json_error(res, 404, "no such outage: ids are positive integers");
            return;
        }
        const wall_time now = time.wall_now();
        if (!ack) {
            if (req.method != "GET" && req.method != "HEAD") {
                json_error(res, 405, "use GET");
                return;
            }
            auto found = rec.outage(*id);
            if (!found) {
                json_error(res, 503, "the ledger is not available");
            } else if (!*found) {
                json_error(res, 404, "no outage " + std::to_string(*id));
            } else {
                json_ok(res, outage_json(**found, now, cfg.utc_offset));
            }
            return;
        }
        if (req.method != "POST") {
            json_error(res, 405, "use POST");
            return;
        }
        if (!authorized(cfg, req, res, "acknowledging")) {
            return;
        }
        nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_object() || !body.contains("by") ||
            !body["by"].is_string() || body["by"].get<std::string>().empty()) {
            json_error(res, 400, R"(send JSON like {"by": "Kepala Dinas", "note": "on it"})");
            return;
        }
        const std::string note = body.contains("note") && body["note"].is_string()
                                     ? body["note"].get<std::string>()
                                     : "";
        std::string error;
        auto o = flow.acknowledge(*id, body["by"].get<std::string>(), note, error);
        if (!o) {
            json_error(res, error.rfind("no outage", 0) == 0 ? 404 : 503, error);
            return;
        }
        json_ok(res, outage_json(*o, now, cfg.utc_offset));
    });
}

namespace {

// A window from {"service" or "agency", "start", "end", "reason"}; sets `error` otherwise.
std::optional<maintenance_window> window_from_request(const nlohmann::json& body, const config& cfg,
                                                      wall_time now, std::string& error) {
    const auto text = [&](const char* name) {
        const auto it = body.find(name);
        return it != body.end() && it->is_string() ? it->get<std::string>() : std::string{};
    };
    maintenance_window w;
    const std::string service = text("service");
    const std::string agency = text("agency");
    if (service.empty() == agency.empty()) {
        error = R"(send either "service" (e.g. "akta-online" or "dukcapil/akta-online") or )"
                R"("agency" (e.g. "dukcapil"))";
        return std::nullopt;
    }
    if (!service.empty()) {
        const std::size_t slash = service.find('/');
        const std::string id = slash == std::string::npos ? service : service.substr(slash + 1);
        const auto found =
            std::find_if(cfg.services.begin(), cfg.services.end(), [&](const service_config& s) {
                return s.id == id &&
                       (slash == std::string::npos || s.agency == service.substr(0, slash));
            });
        if (found == cfg.services.end()) {
            error = "no service \"" + service + "\"";
            return std::nullopt;
        }
        w.agency = found->agency;
        w.service = found->id;
    } else {
        if (std::none_of(cfg.agencies.begin(), cfg.agencies.end(),
                         [&](const agency_config& a) { return a.id == agency; })) {
            error = "no agency \"" + agency + "\"";
            return std::nullopt;
        }
        w.agency = agency;
    }
    const auto start = parse_rfc3339_or_date(text("start"), cfg.utc_offset);
    const auto end = parse_rfc3339_or_date(text("end"), cfg.utc_offset);
    if (!start || !end) {
        error = R"("start" and "end" must be times like 2026-12-05T22:00:00+07:00)";
        return std::nullopt;
    }
    if (*end <= *start) {
        error = R"("end" must come after "start")";
        return std::nullopt;
    }
    if (*end <= now) {
        error = R"("end" is in the past)";
        return std::nullopt;
    }
    w.start = start;
    w.end = end;
    w.reason = text("reason");
    return w;
}

} // namespace

void add_maintenance_routes(http_server& server, coordinator& flow, const config& cfg,
                            const time_source& time) {
    server.route("/api/v1/maintenance", [&](const http_request& req, http_response& res) {
        const wall_time now = time.wall_now();
        if (req.method == "GET" || req.method == "HEAD") {
            nlohmann::json list = nlohmann::json::array();
            for (const maintenance_window& w : flow.book().windows()) {
                list.push_back(window_json(w, now, cfg.utc_offset));
            }
            json_ok(res, {{"maintenance", std::move(list)}});
            return;
        }
        if (req.method != "POST") {
            json_error(res, 405, "use GET or POST");
            return;
        }
        if (!authorized(cfg, req, res, "adding maintenance")) {
            return;
        }
        const auto body = nlohmann::json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            json_error(res, 400,
                       R"(send JSON like {"service": "akta-online", "start": )"
                       R"("2026-12-05T22:00:00+07:00", "end": "2026-12-06T02:00:00+07:00", )"
                       R"("reason": "server upgrade", "by": "Tim TI"})");
            return;
        }
        std::string error;
        auto w = window_from_request(body, cfg, now, error);
        if (!w) {
            json_error(res, 400, error);
            return;
        }
        const std::string by =
            body.contains("by") && body["by"].is_string() ? body["by"].get<std::string>() : "api";
        const bool recorded = flow.add_window(*w, by);
        nlohmann::json out = window_json(*w, now, cfg.utc_offset);
        out["recorded"] = recorded;
        res.status = 201;
        json_ok(res, out);
    });
    server.route("/api/v1/maintenance/", [&](const http_request& req, http_response& res) {
        const std::string id{
            std::string_view(req.path).substr(std::strlen("/api/v1/maintenance/"))};
        if (req.method != "DELETE") {
            json_error(res, 405, "use DELETE");
            return;
        }
        if (!authorized(cfg, req, res, "removing maintenance")) {
            return;
        }
        const std::string by = query_param(req.query, "by");
        if (!flow.remove_window(id, by.empty() ? "api" : by)) {
            json_error(res, 404,
                       "no maintenance window \"" + id +
                           "\" added through the API (windows from the configuration file "
                           "are removed there)");
            return;
        }
        json_ok(res, {{"removed", id}});
    });
}

void add_heartbeat_routes(http_server& server, monitor& m, recorder& rec, const config& cfg,
                          const time_source& time) {
    server.route(
        "/api/v1/heartbeat/", [&m, &rec, &cfg, &time](const http_request& req, http_response& res) {
            const std::string_view rest =
                std::string_view(req.path).substr(std::strlen("/api/v1/heartbeat/"));
            const std::size_t slash = rest.find('/');
            if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
                rest.find('/', slash + 1) != std::string_view::npos) {
                json_error(res, 404, "use POST /api/v1/heartbeat/{service}/{check}");
                return;
            }
            const std::string_view service = rest.substr(0, slash);
            const std::string_view check = rest.substr(slash + 1);
            if (req.method != "POST") {
                res.headers.emplace_back("Allow", "POST");
                json_error(res, 405, "use POST");
                return;
            }
            const check_runtime* c = m.find_heartbeat(service, check);
            if (c == nullptr) {
                json_error(res, 404,
                           "no heartbeat check \"" + std::string{check} + "\" in service \"" +
                               std::string{service} + "\"");
                return;
            }
            const auto& spec = std::get<heartbeat_check>(c->cfg.spec);
            if (!bearer_matches(spec.token, req.header("Authorization"))) {
                res.headers.emplace_back("WWW-Authenticate", "Bearer");
                json_error(res, 401, "missing or wrong bearer token (the check's heartbeat token)");
                return;
            }
            const wall_time now = time.wall_now();
            ledger_event e;
            e.at = now;
            e.kind = ledger_event_kind::heartbeat_received;
            e.agency = c->agency;
            e.service = c->service;
            e.check = c->cfg.id;
            const bool recorded = rec.record(std::move(e));
            m.push(c->key, now);
            json_ok(res, {{"service", c->service},
                          {"check", c->cfg.id},
                          {"received_at", format_rfc3339(now, cfg.utc_offset)},
                          {"next_due_by",
                           format_rfc3339(now + spec.expect_every + spec.grace, cfg.utc_offset)},
                          {"recorded", recorded}});
        });
}

} // namespace pantau
