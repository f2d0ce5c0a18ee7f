// The public status page and the services JSON, rendered from the monitor's state.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace pantau {

class monitor;

// GET /: server-rendered HTML, no external assets.
std::string render_status_page(const monitor& m);

// GET /api/v1/services: services with their checks and states.
nlohmann::json services_json(const monitor& m);

} // namespace pantau
