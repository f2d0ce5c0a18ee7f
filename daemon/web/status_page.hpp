// The public status page at `/`: a plain data view of what citizens should see, and a pure
// renderer that turns it into one HTML document (inline CSS, no external assets, the
// little script it uses served by the daemon at /status.js). The stylesheet and the script
// are web/assets/status_page.{css,js}, compiled in (pantau_embed).
//
// The daemon fills a status_view (web/status_data.hpp); anything else (tests, a future
// maintenance or escalation feed) may fill one too. render_status_page reads nothing but
// its arguments and escapes every text that came from configuration or probes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/daily_availability.hpp"
#include "core/text.hpp"

namespace pantau {

using status_lang = text::lang; // bahasa Indonesia (default), English

// "id" / "en"; nullopt for anything else.
std::optional<status_lang> parse_status_lang(std::string_view s);

// What the page shows for a service, most urgent first.
enum class display_state : std::uint8_t {
    down,        // an outage is open
    degraded,    // up, but a check is failing and being re-checked (soft state)
    maintenance, // inside a planned maintenance window
    up,
    idle,    // up or unknown outside its service hours: nobody is expected to use it now
    unknown, // not probed yet
};

// "down", "degraded", "maintenance", "up", "idle", "unknown" (CSS classes and tests).
std::string_view to_string(display_state s);

struct status_service {
    std::string id;
    std::string name;
    display_state state = display_state::unknown;
    std::chrono::system_clock::time_point since{}; // of the current state
    std::string cause;                             // "check portal: http 503", may be empty
    std::optional<std::int64_t> open_outage;       // id while an outage is open
    std::vector<day_availability> days;            // the window, oldest first (may be empty)
    std::optional<double> availability;            // over the window's watched days
};

struct status_agency {
    std::string id;
    std::string name;
    std::vector<status_service> services;
};

// An outage still open, for the "ongoing outages" list.
struct status_outage {
    std::int64_t id = 0;
    std::string agency_name;
    std::string service_name;
    std::chrono::system_clock::time_point started_at{};
    int level = 0; // highest escalation level reached, 0 = none
    std::string cause;
    bool acknowledged = false;
};

// A planned maintenance window, active or coming (from the escalation runtime).
struct status_maintenance {
    std::string agency_name;
    std::string service_name; // empty: the whole agency
    std::chrono::system_clock::time_point from{};
    std::chrono::system_clock::time_point to{};
    std::string description;
};

struct status_view {
    std::string title;  // empty: the default title of the language
    std::string logo;   // <img src>: an http(s) URL or a data: URI; empty: none
    std::string footer; // plain text
    std::chrono::minutes utc_offset{7 * 60};
    std::chrono::system_clock::time_point generated_at{};
    std::int32_t first_day = 0; // local day number of days[0] of every service
    std::size_t window_days = 90;
    std::vector<status_agency> agencies;
    std::vector<status_outage> open_outages;     // by start time
    std::vector<status_maintenance> maintenance; // by start time
};

// The whole HTML document. `lang` picks the labels; the other language is one link away
// (`?lang=en` / `?lang=id`).
std::string render_status_page(const status_view& view, status_lang lang);

// /status.js: theme toggle, tap-to-read day bars, auto-refresh. Plain, small, static.
std::string_view status_page_script();

} // namespace pantau
