// Fills the status page's view (web/status_page.hpp) from the running daemon: the monitor's
// live states, the outage book's open outages and maintenance windows, and a cache of the
// 90-day availability read from the ledger. Also registers the `/` and `/status.js` routes.
// Time is read from the daemon's time_source.
//
// Cost: the daily figures are recomputed at most once a minute (and when the hour
// changes), from the outages and gaps of the window. Which days a service was watched on
// comes from the ledger's hourly rollups, read once at start in the background, a few
// hours per turn of the event loop (about 5,000 rows), so that 1,000 services never hold
// up the loop for long; after that a check that has run marks its service's day.
// Rendered pages are kept for page_max_age per language, so a crowd refreshing the page
// during an outage costs one render every few seconds.
//
// Thread-safety: none; everything runs on the daemon's event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/daily_availability.hpp"
#include "core/maintenance.hpp"
#include "core/time_source.hpp"
#include "ledger/ledger.hpp"
#include "web/status_page.hpp"

namespace pantau {

class http_server;
class monitor;
class outage_book;
class recorder;
struct config;

class status_history final : public std::enable_shared_from_this<status_history> {
public:
    static constexpr std::size_t window_days = 90;
    static constexpr std::chrono::seconds max_age{60};
    static constexpr std::chrono::seconds page_max_age{5};
    static constexpr std::size_t backfill_rows_per_step = 5000;

    // `clock` gives the timer that spreads the backfill over loop turns.
    status_history(time_source& clock, recorder& rec);
    status_history(const status_history&) = delete;
    status_history& operator=(const status_history&) = delete;

    // Starts reading which days of the window (up to `now`) each service was watched on,
    // newest first, a few hours per loop turn. `checks` sizes the steps. Call once the
    // object is owned by a shared_ptr.
    void start_backfill(std::chrono::minutes utc_offset, wall_time now, std::size_t checks);

    // Recomputes the figures when they are older than max_age, the hour has changed, the
    // window has moved or the backfill has finished since.
    void refresh(const monitor& m, const config& cfg, wall_time now);

    // Local day number of the window's first day (as of the last refresh).
    std::int32_t first_day() const { return first_day_; }
    // Figures of "agency/service" as of the last refresh; null when unknown.
    const daily_availability_result* find(const std::string& service_key) const;
    // The outage record of an open outage, from the last refresh or read on demand.
    std::optional<outage_record> open_outage(std::int64_t id);

    // Whether every past day of the window has been read.
    bool backfilled() const { return backfill_done_; }
    // Wall time of the last recomputation (to observe caching).
    std::optional<wall_time> computed_at() const { return computed_at_; }

private:
    void mark_watched(const std::vector<rollup>& rows, std::chrono::minutes utc_offset);
    void mark_watched(const std::string& service_key, std::int32_t day);
    void backfill_step(std::chrono::minutes utc_offset);

    std::size_t checks_ = 1; // how many checks the rows of one hour hold, for step sizes

    time_source& clock_;
    std::unique_ptr<timer> timer_;
    recorder& recorder_;
    // "agency/service" -> local day numbers it was probed on, sorted.
    std::unordered_map<std::string, std::vector<std::int32_t>> watched_;
    std::unordered_map<std::string, daily_availability_result> figures_;
    std::unordered_map<std::int64_t, outage_record> open_records_;
    // Outages overlapping the window, by id. Read whole at start and when the hour changes
    // (which also picks up events the ledger accepted late); in between, only outages that
    // overlap the time since the last read (open ones and those just closed).
    struct window_outage {
        std::string service_key;
        time_span span; // an open outage ends at the refresh's `now`
        bool open = false;
    };
    std::unordered_map<std::int64_t, window_outage> outages_;
    std::optional<wall_time> outages_read_at_;
    std::int32_t first_day_ = 0;
    std::optional<wall_time> computed_at_;
    std::int64_t computed_hour_ = 0;
    std::chrono::minutes computed_offset_{0};
    // Backfill: hours [backfill_first_, backfill_next_) are still to read, newest first.
    std::int64_t backfill_next_ = 0;
    std::int64_t backfill_first_ = 0;
    bool backfill_done_ = false;
    bool dirty_ = false;
};

// The view of the current state. `history` should have been refreshed. Open outages come
// from `book`; a service inside one of its windows (the file's and the API's) is shown in
// maintenance; windows active now or starting within a week are listed.
status_view build_status_view(const monitor& m, const outage_book& book, const config& cfg,
                              status_history& history, wall_time now);

// GET / (status page; ?lang=id|en, remembered in the cookie pantau_lang) and
// GET /status.js. `cfg` is the daemon's current configuration and `book` the coordinator's
// (both read on every render).
void add_status_routes(time_source& clock, http_server& server, const monitor& m, recorder& rec,
                       const outage_book& book, const config& cfg);

// The language of a request: ?lang= wins, then the pantau_lang cookie, then Indonesian.
status_lang request_language(std::string_view query, std::string_view cookie_header);

} // namespace pantau
