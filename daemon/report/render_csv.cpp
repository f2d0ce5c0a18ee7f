// The report as CSV for spreadsheets and scripts: one row per service (RFC 4180).
#include <array>
#include <cstdio>

#include "report/report.hpp"
#include "report/report_detail.hpp"

namespace pantau {

namespace {

using report_detail::join;
using std::chrono::seconds;

// RFC 4180: quote a field holding a comma, quote or line break; double inner quotes. A text
// field that a spreadsheet would run as a formula (=, +, -, @) gets a leading apostrophe.
std::string csv_text(std::string_view text) {
    std::string value(text);
    if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string::npos) {
        value.insert(0, 1, '\'');
    }
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        return value;
    }
    std::string out = "\"";
    for (char ch : value) {
        out += ch;
        if (ch == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

std::string plain_number(double v) {
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.6f", v);
    std::string s(buf.data());
    while (s.back() == '0') {
        s.pop_back();
    }
    if (s.back() == '.') {
        s.pop_back();
    }
    return s;
}

std::string csv_percent(std::optional<double> fraction) {
    return fraction ? plain_number(*fraction * 100.0) : "";
}

std::string csv_seconds(std::optional<seconds> d) {
    return d ? std::to_string(d->count()) : "";
}

} // namespace

std::string render_csv(const report& r) {
    std::string out =
        "agency,agency_name,service,service_name,configured,availability_percent,"
        "availability_in_service_hours_percent,objective_percent,conformance,outages,"
        "downtime_seconds,longest_downtime_seconds,mtta_seconds,mttr_seconds,highest_level,"
        "acknowledged_by,watched_seconds,unmonitored_seconds\r\n";
    for (const agency_report& a : r.agencies) {
        for (const service_report& s : a.services) {
            const report_figures& f = s.figures;
            out += csv_text(a.id) + "," + csv_text(a.name) + "," + csv_text(s.id) + "," +
                   csv_text(s.name) + "," + (s.configured ? "true" : "false") + "," +
                   csv_percent(f.overall.availability) + "," +
                   (f.in_service_hours ? csv_percent(f.in_service_hours->availability) : "") + "," +
                   (s.objective ? plain_number(*s.objective) : "") + "," +
                   std::string(to_string(s.conformance)) + "," + std::to_string(f.outage_count) +
                   "," + std::to_string(f.total_downtime.count()) + "," +
                   std::to_string(f.longest_downtime.count()) + "," + csv_seconds(f.mtta) + "," +
                   csv_seconds(f.mttr) + "," + std::to_string(f.highest_level) + "," +
                   csv_text(join(f.acknowledged_by, "; ")) + "," +
                   std::to_string(f.overall.considered.count()) + "," +
                   std::to_string(f.overall.unmonitored.count()) + "\r\n";
        }
    }
    return out;
}

} // namespace pantau
