#include "web/status_page.hpp"

#include "core/html.hpp"
#include "core/time_format.hpp"
#include "runtime/monitor.hpp"

namespace pantau {

nlohmann::json services_json(const monitor& m) {
    nlohmann::json services = nlohmann::json::array();
    for (const service_runtime& s : m.services()) {
        nlohmann::json checks = nlohmann::json::array();
        for (auto id : s.checks) {
            const check_runtime& c = *m.checks()[id];
            nlohmann::json jc = {
                {"id", c.cfg.id},
                {"state", to_string(c.health.state())},
                {"since", format_rfc3339(c.state_since, std::chrono::minutes{0})},
                {"reason", c.last ? nlohmann::json(c.last->reason) : nlohmann::json(nullptr)},
            };
            if (c.last) {
                jc["duration_seconds"] = std::chrono::duration<double>(c.last->elapsed).count();
            }
            checks.push_back(std::move(jc));
        }
        services.push_back({
            {"agency", s.agency},
            {"id", s.id},
            {"name", s.name},
            {"state", to_string(s.state)},
            {"since", format_rfc3339(s.state_since, std::chrono::minutes{0})},
            {"cause", s.cause.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.cause)},
            {"checks", std::move(checks)},
        });
    }
    return {{"services", std::move(services)}};
}

std::string render_status_page(const monitor& m) {
    std::string out = R"(<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>Status Layanan Publik</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1b1b;background:#fff}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc}
.up{color:#0a6b2d}.down{color:#a30000;font-weight:bold}.unknown{color:#555}
@media (prefers-color-scheme: dark){body{background:#121212;color:#eee}.up{color:#6fdc8c}.down{color:#ff8a80}.unknown{color:#bbb}}
</style></head><body>
<h1>Status Layanan Publik</h1>
<table><thead><tr><th>Instansi</th><th>Layanan</th><th>Status</th><th>Sejak</th><th>Keterangan</th></tr></thead><tbody>
)";
    for (const service_runtime& s : m.services()) {
        const std::string_view state = to_string(s.state);
        const char* label = s.state == service_state::up     ? "&#10003; Berjalan"
                            : s.state == service_state::down ? "&#10007; Gangguan"
                                                             : "? Belum diketahui";
        out += "<tr><td>" + html_escape(s.agency) + "</td><td>" + html_escape(s.name) +
               "</td><td class=\"" + std::string(state) + "\">" + label + "</td><td>" +
               format_rfc3339(s.state_since, std::chrono::minutes{0}) + "</td><td>" +
               html_escape(s.cause) + "</td></tr>\n";
    }
    out += "</tbody></table>\n<p><a href=\"/metrics\">metrics</a> &middot; "
           "<a href=\"/api/v1/services\">API</a></p>\n</body></html>\n";
    return out;
}

} // namespace pantau
