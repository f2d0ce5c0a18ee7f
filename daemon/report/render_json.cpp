// The report as JSON for programs: times RFC 3339 with the report's UTC offset, durations in
// seconds, availability and objective in percent.
#include <cmath>

#include "core/text.hpp"
#include "core/time_format.hpp"
#include "report/report.hpp"
#include "report/report_detail.hpp"

namespace pantau {

namespace {

using report_detail::whole_seconds;
using std::chrono::minutes;
using std::chrono::seconds;
using text::iso_date;

nlohmann::json json_percent(std::optional<double> fraction) {
    if (!fraction) {
        return nullptr;
    }
    return std::round(*fraction * 100.0 * 1e6) / 1e6;
}

nlohmann::json json_seconds(std::optional<seconds> d) {
    return d ? nlohmann::json(d->count()) : nlohmann::json(nullptr);
}

nlohmann::json availability_json(const availability_figures& f) {
    return {
        {"availability_percent", json_percent(f.availability)},
        {"watched_seconds", f.considered.count()},
        {"down_seconds", f.down.count()},
        {"unmonitored_seconds", f.unmonitored.count()},
    };
}

void put_figures(nlohmann::json& j, const report_figures& f) {
    j["availability"] = availability_json(f.overall);
    j["availability_in_service_hours"] =
        f.in_service_hours ? availability_json(*f.in_service_hours) : nlohmann::json(nullptr);
    j["outage_count"] = f.outage_count;
    j["downtime_seconds"] = f.total_downtime.count();
    j["longest_downtime_seconds"] = f.longest_downtime.count();
    j["mtta_seconds"] = json_seconds(f.mtta);
    j["mttr_seconds"] = json_seconds(f.mttr);
    j["highest_level"] = f.highest_level;
    j["acknowledged_by"] = f.acknowledged_by;
}

nlohmann::json outage_json(const report_outage& o, minutes off) {
    const outage_record& rec = o.record;
    const auto opt_time = [off](const std::optional<wall_time>& t) {
        return t ? nlohmann::json(format_rfc3339(*t, off)) : nlohmann::json(nullptr);
    };
    return {
        {"id", rec.id},
        {"agency", rec.agency},
        {"service", rec.service},
        {"started_at", format_rfc3339(rec.started_at, off)},
        {"ended_at", opt_time(rec.ended_at)},
        {"duration_seconds", o.duration.count()},
        {"in_period_seconds", o.in_period.count()},
        {"cause", rec.cause},
        {"level", rec.level},
        {"acknowledged_by",
         rec.acknowledged_by ? nlohmann::json(*rec.acknowledged_by) : nlohmann::json(nullptr)},
        {"acknowledged_at", opt_time(rec.acknowledged_at)},
    };
}

} // namespace

nlohmann::json report_json(const report& r) {
    const minutes off = r.utc_offset;
    nlohmann::json agencies = nlohmann::json::array();
    for (const agency_report& a : r.agencies) {
        nlohmann::json services = nlohmann::json::array();
        for (const service_report& s : a.services) {
            nlohmann::json js = {
                {"agency", s.agency},
                {"id", s.id},
                {"name", s.name},
                {"configured", s.configured},
                {"objective_percent", s.objective ? nlohmann::json(*s.objective) : nullptr},
                {"calendar", s.calendar ? nlohmann::json(*s.calendar) : nullptr},
                {"conformance", to_string(s.conformance)},
            };
            put_figures(js, s.figures);
            nlohmann::json outages = nlohmann::json::array();
            for (const report_outage& o : s.outages) {
                outages.push_back(outage_json(o, off));
            }
            js["outages"] = std::move(outages);
            services.push_back(std::move(js));
        }
        nlohmann::json ja = {
            {"id", a.id},
            {"name", a.name},
            {"services_met", a.services_met},
            {"services_not_met", a.services_not_met},
        };
        put_figures(ja, a.figures);
        ja["services"] = std::move(services);
        agencies.push_back(std::move(ja));
    }
    nlohmann::json gaps = nlohmann::json::array();
    for (const monitoring_gap& g : r.gaps) {
        gaps.push_back({{"from", format_rfc3339(g.from, off)},
                        {"to", format_rfc3339(g.to, off)},
                        {"duration_seconds", whole_seconds(g.to - g.from).count()}});
    }
    return {
        {"period",
         {{"from_date", iso_date(r.from)},
          {"to_date", iso_date(r.to)},
          {"from", format_rfc3339(r.period_from, off)},
          {"to", format_rfc3339(r.period_to, off)},
          {"covered_to", format_rfc3339(r.covered_to, off)},
          {"timezone", r.timezone},
          {"utc_offset", text::utc_offset_text(off)}}},
        {"generated_at", format_rfc3339(r.generated_at, off)},
        {"agency", r.agency_filter ? nlohmann::json(*r.agency_filter) : nullptr},
        {"organization", r.organization},
        {"summary",
         {{"services", r.service_count},
          {"services_met", r.services_met},
          {"services_not_met", r.services_not_met},
          {"outages", r.outage_count},
          {"unmonitored_seconds", r.unmonitored.count()}}},
        {"ledger",
         {{"verified", r.ledger_check.ok},
          {"events", r.ledger_check.events},
          {"last_hash", r.ledger_check.last_hash},
          {"problem",
           r.ledger_check.ok ? nlohmann::json(nullptr) : nlohmann::json(r.ledger_check.problem)}}},
        {"agencies", std::move(agencies)},
        {"monitoring_gaps", std::move(gaps)},
    };
}

std::string render_json(const report& r) {
    return report_json(r).dump(2) + "\n";
}

} // namespace pantau
