// JSON API under /api/v1/ backed by the monitor, the outage book and the ledger. Changes
// to outages (acknowledgements, maintenance windows) go through the coordinator
// (runtime/coordinator.hpp); time is read from the daemon's time_source.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/time_source.hpp"
#include "ledger/ledger.hpp"

namespace pantau {

class coordinator;
class http_server;
class monitor;
class outage_book;
class recorder;
struct config;
struct maintenance_window;

// True when `authorization` is "Bearer <expected>"; compared in constant time. An empty
// expected token never matches (state-changing endpoints are then disabled).
bool bearer_matches(const std::string& expected, std::string_view authorization);

// An outage as the API and `pantau report --format json` show it.
nlohmann::json outage_json(const outage_record& o, wall_time now, std::chrono::minutes utc_offset);

// GET /api/v1/outages?from=&to=&service=&agency=, GET /api/v1/outages/{id},
// POST /api/v1/outages/{id}/ack (bearer admin token; body {"by": "...", "note": "..."}).
// `cfg` is the daemon's current configuration (read on every request, so a reload applies).
void add_outage_routes(http_server& server, coordinator& flow, recorder& rec, const config& cfg,
                       const time_source& time);

// A maintenance window as the API shows it (times in the city's offset).
nlohmann::json window_json(const maintenance_window& w, wall_time now,
                           std::chrono::minutes utc_offset);

// GET /api/v1/maintenance (every window, from the file and the API, with "active" and the
// next occurrence), POST /api/v1/maintenance (bearer admin token; one-off window
// {"service" | "agency", "start", "end", "reason", "by"}), DELETE
// /api/v1/maintenance/{id} (bearer; windows added through the API only).
void add_maintenance_routes(http_server& server, coordinator& flow, const config& cfg,
                            const time_source& time);
// POST /api/v1/heartbeat/{service}/{check} with `Authorization: Bearer <the check's token>`:
// a job reports in. Recorded in the ledger (heartbeat_received) and fed to the check; the
// answer says when the next one is due. 404 for an unknown check, 401 for a wrong token.
void add_heartbeat_routes(http_server& server, monitor& m, recorder& rec, const config& cfg,
                          const time_source& time);

// GET /api/v1/services: agencies, their services with state, cause and open outage id, and
// each service's checks with state and last probe. Times are RFC 3339 at cfg.utc_offset.
nlohmann::json services_json(const monitor& m, const outage_book& book, const config& cfg);

// Registers GET /api/v1/services (services_json).
void add_service_routes(http_server& server, const monitor& m, const outage_book& book,
                        const config& cfg);

} // namespace pantau
