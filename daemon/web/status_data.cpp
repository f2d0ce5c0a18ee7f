#include "web/status_data.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "config/config.hpp"
#include "core/outage_book.hpp"
#include "runtime/monitor.hpp"
#include "runtime/recorder.hpp"
#include "web/http_server.hpp"

namespace pantau {

namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::string key_of(std::string_view agency, std::string_view service) {
    std::string key;
    key.reserve(agency.size() + service.size() + 1);
    key.append(agency).append("/").append(service);
    return key;
}

std::int64_t hour_of(wall_time t) {
    return std::chrono::floor<hours>(t.time_since_epoch()).count();
}

// Whether `now` is outside the service hours of calendar `name` (false without one).
bool outside_hours(const config& cfg, const std::optional<std::string>& name, wall_time now) {
    if (!name) {
        return false;
    }
    const auto it = cfg.calendars.find(*name);
    if (it == cfg.calendars.end()) {
        return false;
    }
    return !in_service_hours(it->second, now);
}

// The first check of a service that is failing but not yet DOWN (soft state).
const check_runtime* pending_check(const monitor& m, const service_runtime& s) {
    for (const auto id : s.checks) {
        const check_runtime* c = m.checks()[id].get();
        if (c != nullptr && c->health.state() == check_state::pending) {
            return c;
        }
    }
    return nullptr;
}

} // namespace

status_history::status_history(time_source& clock, recorder& rec)
    : clock_(clock)
    , timer_(clock.make_timer())
    , recorder_(rec) {}

void status_history::start_backfill(minutes utc_offset, wall_time now, std::size_t checks) {
    const std::int32_t today = local_day_number(now, utc_offset);
    checks_ = std::max<std::size_t>(checks, 1);
    backfill_next_ = hour_of(now) + 1;
    backfill_first_ =
        hour_of(local_midnight(today - static_cast<std::int32_t>(window_days) + 1, utc_offset));
    backfill_done_ = false;
    timer_->cancel();
    backfill_step(utc_offset);
}

void status_history::backfill_step(minutes utc_offset) {
    if (backfill_next_ <= backfill_first_) {
        backfill_done_ = true;
        dirty_ = true;
        return;
    }
    const auto hours_per_step =
        static_cast<std::int64_t>(std::clamp<std::size_t>(backfill_rows_per_step / checks_, 1, 24));
    const std::int64_t to = backfill_next_;
    const std::int64_t from = std::max(backfill_first_, to - hours_per_step);
    backfill_next_ = from;
    if (auto rows = recorder_.rollups(from, to)) {
        mark_watched(*rows, utc_offset);
    }
    // Other handlers (probes, requests) run between steps.
    timer_->async_wait_until(clock_.mono_now() + std::chrono::milliseconds{2},
                             [weak = weak_from_this(), utc_offset] {
                                 if (auto self = weak.lock()) {
                                     self->backfill_step(utc_offset);
                                 }
                             });
}

void status_history::mark_watched(const std::string& service_key, std::int32_t day) {
    std::vector<std::int32_t>& days = watched_[service_key];
    const auto it = std::lower_bound(days.begin(), days.end(), day);
    if (it == days.end() || *it != day) {
        days.insert(it, day);
    }
}

void status_history::mark_watched(const std::vector<rollup>& rows, minutes utc_offset) {
    for (const rollup& r : rows) {
        const std::size_t slash = r.check_key.rfind('/');
        if (slash == std::string::npos || r.successes + r.failures == 0) {
            continue;
        }
        mark_watched(r.check_key.substr(0, slash),
                     local_day_number(wall_time{hours{r.hour}}, utc_offset));
    }
}

void status_history::refresh(const monitor& m, const config& cfg, wall_time now) {
    const std::int64_t hour = hour_of(now);
    if (computed_at_ && !dirty_ && hour == computed_hour_ && now >= *computed_at_ &&
        now - *computed_at_ < max_age && cfg.utc_offset == computed_offset_) {
        return;
    }
    if (computed_at_ && cfg.utc_offset != computed_offset_) {
        watched_.clear(); // local days moved: read them again
        start_backfill(cfg.utc_offset, now, m.check_count());
    }
    const std::int32_t today = local_day_number(now, cfg.utc_offset);
    first_day_ = today - static_cast<std::int32_t>(window_days) + 1;
    for (const auto& c : m.checks()) {
        if (c && c->runs > 0) {
            mark_watched(key_of(c->agency, c->service), today);
        }
    }
    for (auto& [key, days] : watched_) {
        days.erase(days.begin(), std::lower_bound(days.begin(), days.end(), first_day_));
    }

    const wall_time from = local_midnight(first_day_, cfg.utc_offset);
    const bool full = !outages_read_at_ || hour != computed_hour_ || *outages_read_at_ > now;
    outage_query q;
    // A minute's margin: an outage closed just before the last read is read again.
    q.from = full ? from : *outages_read_at_ - std::chrono::minutes{1};
    q.to = now;
    if (auto rows = recorder_.outages(q)) {
        if (full) {
            outages_.clear();
            open_records_.clear();
        }
        for (outage_record& o : *rows) {
            const std::int64_t id = o.id;
            outages_.insert_or_assign(id, window_outage{key_of(o.agency, o.service),
                                                        {o.started_at, o.ended_at.value_or(now)},
                                                        !o.ended_at.has_value()});
            if (o.ended_at) {
                open_records_.erase(id);
            } else {
                open_records_.insert_or_assign(id, std::move(o));
            }
        }
        outages_read_at_ = now;
    }
    std::unordered_map<std::string, std::vector<time_span>> downtime;
    for (auto it = outages_.begin(); it != outages_.end();) {
        window_outage& o = it->second;
        if (o.open) {
            o.span.to = now;
        }
        if (o.span.to <= from) {
            it = outages_.erase(it);
            continue;
        }
        downtime[o.service_key].push_back(o.span);
        ++it;
    }
    std::vector<time_span> gaps;
    if (auto rows = recorder_.gaps(from, now)) {
        gaps.reserve(rows->size());
        for (const monitoring_gap& g : *rows) {
            gaps.push_back({g.from, g.to});
        }
    }

    figures_.clear();
    figures_.reserve(m.services().size());
    static const std::vector<time_span> none;
    static const std::vector<std::int32_t> never;
    for (const service_runtime& s : m.services()) {
        std::string key = key_of(s.agency, s.id);
        const auto down = downtime.find(key);
        const auto watched = watched_.find(key);
        daily_availability_input in;
        in.first_day = first_day_;
        in.days = window_days;
        in.utc_offset = cfg.utc_offset;
        in.now = now;
        in.downtime = down == downtime.end() ? none : down->second;
        in.gaps = gaps;
        in.watched_days = watched == watched_.end() ? never : watched->second;
        figures_.insert_or_assign(std::move(key), compute_daily_availability(in));
    }
    computed_at_ = now;
    computed_hour_ = hour;
    computed_offset_ = cfg.utc_offset;
    dirty_ = false;
}

const daily_availability_result* status_history::find(const std::string& service_key) const {
    const auto it = figures_.find(service_key);
    return it == figures_.end() ? nullptr : &it->second;
}

std::optional<outage_record> status_history::open_outage(std::int64_t id) {
    if (const auto it = open_records_.find(id); it != open_records_.end()) {
        return it->second;
    }
    auto found = recorder_.outage(id);
    if (!found || !*found) {
        return std::nullopt;
    }
    open_records_.insert_or_assign(id, **found);
    return *found;
}

status_view build_status_view(const monitor& m, const outage_book& book, const config& cfg,
                              status_history& history, wall_time now) {
    const std::span<const maintenance_window> windows = book.windows();
    status_view v;
    v.title = cfg.status_page.title;
    v.logo = cfg.status_page.logo;
    v.footer = cfg.status_page.footer;
    v.utc_offset = cfg.utc_offset;
    v.generated_at = now;
    v.first_day = history.first_day();
    v.window_days = status_history::window_days;

    std::unordered_map<std::string_view, std::size_t> agency_index;
    for (const agency_config& a : cfg.agencies) {
        agency_index.emplace(a.id, v.agencies.size());
        v.agencies.push_back({a.id, a.name, {}});
    }
    std::unordered_map<std::string, const service_config*> service_cfg;
    service_cfg.reserve(cfg.services.size());
    for (const service_config& s : cfg.services) {
        service_cfg.emplace(key_of(s.agency, s.id), &s);
    }
    // "agency/service" -> (agency index, service index) for the outage list.
    std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> placed;

    for (const service_runtime& s : m.services()) {
        std::string key = key_of(s.agency, s.id);
        auto [it, added] = agency_index.try_emplace(s.agency, v.agencies.size());
        if (added) {
            v.agencies.push_back({s.agency, s.agency, {}});
        }
        status_agency& agency = v.agencies[it->second];
        status_service out;
        out.id = s.id;
        out.name = s.name.empty() ? s.id : s.name;
        out.since = s.state_since;
        const check_runtime* soft = pending_check(m, s);
        const auto conf = service_cfg.find(key);
        const bool closed =
            conf != service_cfg.end() && outside_hours(cfg, conf->second->hours, now);
        switch (s.state) {
        case service_state::down:
            out.state = display_state::down;
            out.cause = s.cause;
            break;
        case service_state::idle: out.state = display_state::idle; break;
        case service_state::up:
        case service_state::unknown:
            if (soft != nullptr) {
                out.state = display_state::degraded;
                out.since = soft->state_since;
                out.cause = "check " + soft->cfg.id + ": " + soft->failure_reason;
            } else if (closed) {
                out.state = display_state::idle;
            } else {
                out.state =
                    s.state == service_state::up ? display_state::up : display_state::unknown;
            }
            break;
        }
        if (!windows.empty() && planned_until(windows, s.agency, s.id, now)) {
            out.state = display_state::maintenance;
        }
        out.open_outage = book.open_outage(key);
        if (const daily_availability_result* f = history.find(key)) {
            out.days = f->days;
            out.availability = f->total.availability;
        }
        placed.insert_or_assign(key, std::pair{it->second, agency.services.size()});
        agency.services.push_back(std::move(out));
    }

    for (const auto& [key, id] : book.open_outages()) {
        const auto where = placed.find(key);
        if (where == placed.end()) {
            continue; // a service no longer configured
        }
        const status_agency& a = v.agencies[where->second.first];
        const status_service& s = a.services[where->second.second];
        status_outage o;
        o.id = id;
        o.agency_name = a.name;
        o.service_name = s.name;
        if (const auto record = history.open_outage(id)) {
            o.started_at = record->started_at;
            o.level = record->level;
            o.cause = record->cause;
            o.acknowledged = record->acknowledged_by.has_value();
        } else { // the ledger is not available: what the monitor knows
            o.started_at = s.since;
            o.cause = s.cause;
        }
        v.open_outages.push_back(std::move(o));
    }
    std::sort(v.open_outages.begin(), v.open_outages.end(),
              [](const status_outage& a, const status_outage& b) {
                  return a.started_at != b.started_at ? a.started_at < b.started_at : a.id < b.id;
              });
    // Maintenance going on now or starting within a week.
    for (const maintenance_window& w : windows) {
        const auto next = next_occurrence(w, now);
        if (!next || next->first > now + std::chrono::hours(24 * 7)) {
            continue;
        }
        status_maintenance item;
        const auto agency = agency_index.find(w.agency);
        item.agency_name =
            agency != agency_index.end() ? v.agencies[agency->second].name : w.agency;
        if (!w.service.empty()) {
            const auto conf = service_cfg.find(key_of(w.agency, w.service));
            item.service_name = conf != service_cfg.end() && !conf->second->name.empty()
                                    ? conf->second->name
                                    : w.service;
        }
        item.from = next->first;
        item.to = next->second;
        item.description = w.reason;
        v.maintenance.push_back(std::move(item));
    }
    std::sort(
        v.maintenance.begin(), v.maintenance.end(),
        [](const status_maintenance& a, const status_maintenance& b) { return a.from < b.from; });
    return v;
}

status_lang request_language(std::string_view query, std::string_view cookie_header) {
    if (const auto lang = parse_status_lang(query_param(query, "lang"))) {
        return *lang;
    }
    // Cookie: a=1; pantau_lang=en; b=2
    constexpr std::string_view name = "pantau_lang=";
    std::size_t pos = 0;
    while (pos < cookie_header.size()) {
        std::size_t end = cookie_header.find(';', pos);
        if (end == std::string_view::npos) {
            end = cookie_header.size();
        }
        std::string_view item = cookie_header.substr(pos, end - pos);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        if (item.starts_with(name)) {
            if (const auto lang = parse_status_lang(item.substr(name.size()))) {
                return *lang;
            }
        }
        pos = end + 1;
    }
    return status_lang::id;
}

namespace {

// Whether an Accept-Encoding header value accepts gzip ("gzip", "gzip;q=0.5", "*").
bool accepts_gzip(std::string_view header) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        std::size_t end = header.find(',', pos);
        if (end == std::string_view::npos) {
            end = header.size();
        }
        std::string_view item = header.substr(pos, end - pos);
        pos = end + 1;
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        const std::size_t semi = item.find(';');
        std::string_view name = item.substr(0, semi);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
            name.remove_suffix(1);
        }
        if (name != "gzip" && name != "*") {
            continue;
        }
        const std::size_t q = item.find("q=", semi == std::string_view::npos ? item.size() : semi);
        if (q == std::string_view::npos) {
            return true;
        }
        const std::string_view value = item.substr(q + 2);
        return !(value.starts_with("0") &&
                 value.find_first_of("123456789") == std::string_view::npos);
    }
    return false;
}

// The gzip (RFC 1952) form of `text`; empty when zlib fails.
std::string gzip_compress(std::string_view text) {
    z_stream zs{};
    // 15 + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        return {};
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(text.size())), '\0');
    // zlib's interface is not const-correct; it only reads next_in.
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data())); // NOLINT
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data()); // NOLINT
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? out : std::string{};
}

// A rendered page of one language, kept for status_history::page_max_age.
struct cached_page {
    std::optional<mono_time> at;
    std::string html;
    std::string gzip; // made on the first request that accepts it
};

struct status_routes {
    std::shared_ptr<status_history> history;
    std::array<cached_page, 2> pages; // by status_lang
};

} // namespace

void add_status_routes(time_source& clock, http_server& server, const monitor& m, recorder& rec,
                       const outage_book& book, const config& cfg) {
    auto state = std::make_shared<status_routes>();
    state->history = std::make_shared<status_history>(clock, rec);
    state->history->start_backfill(cfg.utc_offset, clock.wall_now(), m.check_count());
    server.route("/", [state, &m, &book, &cfg, &clock](const http_request& req,
                                                       http_response& res) {
        if (req.path != "/") {
            res.status = 404;
            res.body = "not found\n";
            return;
        }
        if (req.method != "GET" && req.method != "HEAD") {
            res.status = 405;
            res.headers.emplace_back("Allow", "GET, HEAD");
            res.body = "use GET\n";
            return;
        }
        const std::string asked = query_param(req.query, "lang");
        const status_lang lang = request_language(req.query, req.header("Cookie"));
        if (parse_status_lang(asked)) {
            res.headers.emplace_back("Set-Cookie", "pantau_lang=" + asked +
                                                       "; Path=/; Max-Age=31536000; SameSite=Lax");
        }
        cached_page& page = state->pages.at(static_cast<std::size_t>(lang));
        const mono_time steady = clock.mono_now();
        if (!page.at || steady - *page.at >= status_history::page_max_age || steady < *page.at) {
            const wall_time now = clock.wall_now();
            state->history->refresh(m, cfg, now);
            page.html =
                render_status_page(build_status_view(m, book, cfg, *state->history, now), lang);
            page.gzip.clear();
            page.at = steady;
        }
        res.content_type = "text/html; charset=utf-8";
        res.headers.emplace_back("Cache-Control", "no-cache");
        res.headers.emplace_back("Vary", "Cookie, Accept-Encoding");
        res.headers.emplace_back("X-Content-Type-Options", "nosniff");
        res.headers.emplace_back("Referrer-Policy", "same-origin");
        // Nothing but our own script runs, whatever a name in the configuration says.
        res.headers.emplace_back("Content-Security-Policy",
                                 "default-src 'none'; script-src 'self'; style-src "
                                 "'unsafe-inline'; img-src 'self' data: http: https:; "
                                 "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        if (accepts_gzip(req.header("Accept-Encoding"))) {
            if (page.gzip.empty()) {
                page.gzip = gzip_compress(page.html);
            }
            if (!page.gzip.empty()) {
                res.headers.emplace_back("Content-Encoding", "gzip");
                res.body = page.gzip;
                return;
            }
        }
        res.body = page.html;
    });
    server.route("/status.js", [](const http_request&, http_response& res) {
        res.content_type = "text/javascript; charset=utf-8";
        res.headers.emplace_back("Cache-Control", "max-age=300");
        res.headers.emplace_back("X-Content-Type-Options", "nosniff");
        res.body = std::string(status_page_script());
    });
}

} // namespace pantau
