// The report's model: figures from the ledger and the configuration. The renderers are in
// render_markdown.cpp, render_csv.cpp, render_json.cpp and render_html.cpp.
#include "report/report.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "report/report_detail.hpp"

namespace pantau {

namespace report_detail {

std::chrono::seconds whole_seconds(wall_clock::duration d) {
    return d.count() <= 0 ? std::chrono::seconds{0}
                          : std::chrono::duration_cast<std::chrono::seconds>(d);
}

} // namespace report_detail

namespace {

using report_detail::whole_seconds;
using std::chrono::days;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

wall_time start_of_local_day(year_month_day d, minutes utc_offset) {
    return wall_time{sys_days{d}} - utc_offset;
}

seconds overlap(wall_time a_from, wall_time a_to, wall_time b_from, wall_time b_to) {
    const wall_time from = std::max(a_from, b_from);
    const wall_time to = std::min(a_to, b_to);
    return to > from ? whole_seconds(to - from) : seconds{0};
}

struct span_less {
    bool operator()(const monitoring_gap& a, const monitoring_gap& b) const {
        return a.from < b.from;
    }
};

// Clips gaps to [from, to), sorts and merges overlapping ones.
std::vector<monitoring_gap> clip_gaps(std::vector<monitoring_gap> raw, wall_time from,
                                      wall_time to) {
    std::vector<monitoring_gap> clipped;
    for (monitoring_gap& g : raw) {
        g.from = std::max(g.from, from);
        g.to = std::min(g.to, to);
        if (g.to > g.from) {
            clipped.push_back(g);
        }
    }
    std::sort(clipped.begin(), clipped.end(), span_less{});
    std::vector<monitoring_gap> merged;
    for (const monitoring_gap& g : clipped) {
        if (!merged.empty() && g.from <= merged.back().to) {
            merged.back().to = std::max(merged.back().to, g.to);
        } else {
            merged.push_back(g);
        }
    }
    return merged;
}

std::optional<seconds> mean(const std::vector<seconds>& values) {
    if (values.empty()) {
        return std::nullopt;
    }
    seconds sum{0};
    for (seconds v : values) {
        sum += v;
    }
    return sum / static_cast<long long>(values.size());
}

std::optional<double> availability_of(const availability_figures& f) {
    if (f.considered.count() <= 0) {
        return std::nullopt;
    }
    const auto down = static_cast<double>(f.down.count());
    const auto considered = static_cast<double>(f.considered.count());
    return 1.0 - std::min(down, considered) / considered;
}

void add_to(availability_figures& sum, const availability_figures& part) {
    sum.considered += part.considered;
    sum.down += part.down;
    sum.unmonitored += part.unmonitored;
    sum.availability = availability_of(sum);
}

conformance_status judge(const std::optional<double>& objective, const report_figures& f) {
    if (!objective) {
        return conformance_status::no_objective;
    }
    const std::optional<double> a = f.judged().availability;
    if (!a) {
        return conformance_status::no_data;
    }
    return *a * 100.0 + 1e-9 >= *objective ? conformance_status::met : conformance_status::not_met;
}

void insert_sorted_unique(std::vector<std::string>& names, const std::string& name) {
    const auto it = std::lower_bound(names.begin(), names.end(), name);
    if (it == names.end() || *it != name) {
        names.insert(it, name);
    }
}

// Outage durations of a service or agency, for the means.
struct response_times {
    std::vector<seconds> to_acknowledge;
    std::vector<seconds> to_recover;

    void add(const outage_record& o) {
        if (o.acknowledged_at) {
            to_acknowledge.push_back(whole_seconds(*o.acknowledged_at - o.started_at));
        }
        if (o.ended_at) {
            to_recover.push_back(whole_seconds(*o.ended_at - o.started_at));
        }
    }
};

void compute_service(service_report& s, const report& r, const std::vector<time_span>& gap_spans,
                     const service_calendar* calendar, wall_time now) {
    availability_input in;
    in.period = {r.period_from, r.covered_to};
    in.gaps = gap_spans;
    in.calendar = calendar; // in its own zone, which may differ from the report's
    response_times times;
    report_figures& f = s.figures;
    for (report_outage& o : s.outages) {
        const outage_record& rec = o.record;
        const wall_time end = rec.ended_at ? *rec.ended_at : std::min(now, r.period_to);
        o.duration = whole_seconds((rec.ended_at ? *rec.ended_at : now) - rec.started_at);
        o.in_period = overlap(rec.started_at, end, r.period_from, r.covered_to);
        if (end > rec.started_at) {
            in.downtime.push_back({rec.started_at, end});
        }
        f.longest_downtime = std::max(f.longest_downtime, o.in_period);
        f.highest_level = std::max(f.highest_level, rec.level);
        if (rec.acknowledged_by && !rec.acknowledged_by->empty()) {
            insert_sorted_unique(f.acknowledged_by, *rec.acknowledged_by);
        }
        times.add(rec);
    }
    const availability_result a = compute_availability(in);
    f.overall = a.overall;
    f.in_service_hours = a.in_service_hours;
    f.outage_count = s.outages.size();
    f.total_downtime = a.overall.down;
    f.mtta = mean(times.to_acknowledge);
    f.mttr = mean(times.to_recover);
    s.conformance = judge(s.objective, f);
}

void roll_up(agency_report& a) {
    report_figures& f = a.figures;
    response_times times;
    for (const service_report& s : a.services) {
        add_to(f.overall, s.figures.overall);
        if (s.figures.in_service_hours) {
            if (!f.in_service_hours) {
                f.in_service_hours = availability_figures{};
            }
            add_to(*f.in_service_hours, *s.figures.in_service_hours);
        }
        f.outage_count += s.figures.outage_count;
        f.total_downtime += s.figures.total_downtime;
        f.longest_downtime = std::max(f.longest_downtime, s.figures.longest_downtime);
        f.highest_level = std::max(f.highest_level, s.figures.highest_level);
        for (const std::string& name : s.figures.acknowledged_by) {
            insert_sorted_unique(f.acknowledged_by, name);
        }
        for (const report_outage& o : s.outages) {
            times.add(o.record);
        }
        switch (s.conformance) {
        case conformance_status::met: ++a.services_met; break;
        case conformance_status::not_met: ++a.services_not_met; break;
        case conformance_status::no_objective:
        case conformance_status::no_data: break;
        }
    }
    f.mtta = mean(times.to_acknowledge);
    f.mttr = mean(times.to_recover);
}

} // namespace

std::optional<report_format> parse_report_format(std::string_view s) {
    if (s == "md" || s == "markdown") {
        return report_format::markdown;
    }
    if (s == "csv") {
        return report_format::csv;
    }
    if (s == "html") {
        return report_format::html;
    }
    if (s == "json") {
        return report_format::json;
    }
    return std::nullopt;
}

std::optional<report_lang> parse_report_lang(std::string_view s) {
    return text::parse_lang(s);
}

std::string_view to_string(conformance_status c) {
    switch (c) {
    case conformance_status::met: return "met";
    case conformance_status::not_met: return "not_met";
    case conformance_status::no_objective: return "no_objective";
    case conformance_status::no_data: return "no_data";
    }
    return "unknown";
}

report build_report(ledger& l, const config& cfg, const report_options& opt, wall_time now) {
    report r;
    r.from = opt.from;
    r.to = opt.to;
    r.timezone = cfg.timezone;
    r.utc_offset = cfg.utc_offset;
    r.period_from = start_of_local_day(opt.from, r.utc_offset);
    r.period_to = start_of_local_day(year_month_day{sys_days{opt.to} + days{1}}, r.utc_offset);
    r.covered_to = std::clamp(now, r.period_from, std::max(r.period_from, r.period_to));
    r.generated_at = now;
    r.agency_filter = opt.agency;
    r.organization = opt.organization;
    r.ledger_check = opt.ledger_check;

    r.gaps = clip_gaps(l.gaps(r.period_from, r.period_to), r.period_from, r.covered_to);
    std::vector<time_span> gap_spans;
    for (const monitoring_gap& g : r.gaps) {
        r.unmonitored += whole_seconds(g.to - g.from);
        gap_spans.push_back({g.from, g.to});
    }

    const auto wanted = [&](const std::string& agency) {
        return !opt.agency || *opt.agency == agency;
    };
    // Agencies and services in configuration order, then those only the ledger knows.
    std::map<std::string, std::size_t> agency_index;
    const auto agency_of = [&](const std::string& id) -> agency_report& {
        const auto [it, inserted] = agency_index.try_emplace(id, r.agencies.size());
        if (inserted) {
            agency_report a;
            a.id = id;
            a.name = id;
            r.agencies.push_back(std::move(a));
        }
        return r.agencies[it->second];
    };
    std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> where;
    const auto service_of = [&](const std::string& agency,
                                const std::string& id) -> service_report& {
        agency_report& a = agency_of(agency);
        const auto key = std::make_pair(agency, id);
        auto it = where.find(key);
        if (it == where.end()) {
            service_report s;
            s.agency = agency;
            s.id = id;
            s.name = id;
            s.configured = false;
            a.services.push_back(std::move(s));
            it = where.emplace(key, std::make_pair(agency_index[agency], a.services.size() - 1))
                     .first;
        }
        return r.agencies[it->second.first].services[it->second.second];
    };

    for (const agency_config& a : cfg.agencies) {
        if (wanted(a.id)) {
            agency_of(a.id).name = a.name.empty() ? a.id : a.name;
        }
    }
    std::map<std::pair<std::string, std::string>, const service_calendar*> calendars;
    for (const service_config& s : cfg.services) {
        if (!wanted(s.agency)) {
            continue;
        }
        service_report& sr = service_of(s.agency, s.id);
        sr.name = s.name.empty() ? s.id : s.name;
        sr.configured = true;
        sr.objective = s.objective;
        if (s.hours) {
            if (const auto it = cfg.calendars.find(*s.hours); it != cfg.calendars.end()) {
                sr.calendar = *s.hours;
                calendars[{s.agency, s.id}] = &it->second;
            }
        }
    }

    outage_query q;
    q.from = r.period_from;
    q.to = r.period_to;
    q.agency = opt.agency;
    std::vector<outage_record> outages = l.outages(q);
    std::sort(outages.begin(), outages.end(), [](const outage_record& a, const outage_record& b) {
        return a.started_at != b.started_at ? a.started_at < b.started_at : a.id < b.id;
    });
    for (outage_record& o : outages) {
        const bool overlaps =
            o.started_at < r.period_to && (!o.ended_at || *o.ended_at > r.period_from);
        if (!overlaps || !wanted(o.agency)) {
            continue;
        }
        service_report& s = service_of(o.agency, o.service);
        report_outage ro;
        ro.record = std::move(o);
        s.outages.push_back(std::move(ro));
    }

    // Ledger-only agencies and services after the configured ones, by id.
    const std::size_t configured_agencies =
        std::count_if(cfg.agencies.begin(), cfg.agencies.end(),
                      [&](const agency_config& a) { return wanted(a.id); });
    std::sort(r.agencies.begin() + static_cast<std::ptrdiff_t>(configured_agencies),
              r.agencies.end(),
              [](const agency_report& a, const agency_report& b) { return a.id < b.id; });
    for (agency_report& a : r.agencies) {
        const auto first_unconfigured =
            std::stable_partition(a.services.begin(), a.services.end(),
                                  [](const service_report& s) { return s.configured; });
        std::sort(first_unconfigured, a.services.end(),
                  [](const service_report& x, const service_report& y) { return x.id < y.id; });
    }

    for (agency_report& a : r.agencies) {
        for (service_report& s : a.services) {
            const auto it = calendars.find({s.agency, s.id});
            compute_service(s, r, gap_spans, it == calendars.end() ? nullptr : it->second, now);
        }
        roll_up(a);
        r.service_count += a.services.size();
        r.services_met += a.services_met;
        r.services_not_met += a.services_not_met;
        r.outage_count += a.figures.outage_count;
    }
    return r;
}

std::string render(const report& r, report_format format, report_lang lang) {
    switch (format) {
    case report_format::markdown: return render_markdown(r, lang);
    case report_format::csv: return render_csv(r);
    case report_format::html: return render_html(r, lang);
    case report_format::json: return render_json(r);
    }
    return {};
}

} // namespace pantau
