// The public status page and the services JSON, rendered from the monitor's state.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace pantau {

class monitor;

// Escapes text for HTML element content and attribute values.
std::string html_escape(std::string_view text);

// GET /: server-rendered HTML, no external assets.
std::string render_status_page(const monitor& m);

// GET /api/v1/services: services with their checks and states.
nlohmann::json services_json(const monitor& m);

// RFC 3339 with offset, UTC ("2026-11-28T12:00:00Z").
std::string rfc3339(std::chrono::system_clock::time_point t);

} // namespace pantau
