#include "report/report_cli.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <variant>

#include "config/config.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "report/report.hpp"

namespace pantau {

namespace {

constexpr const char* usage_report =
    R"(Usage: pantau report --from YYYY-MM-DD --to YYYY-MM-DD [options]

Reads the outage ledger (no running daemon needed) and writes the availability report for
the period: per service and per agency the availability (overall and within service hours),
objective and whether it was met, outages, downtime, mean time to acknowledge and to
recover, highest escalation level, who acknowledged, and monitoring gaps. Dates are local
dates in the configuration's time zone, both inclusive.

  --config FILE          configuration file (default /etc/pantau/pantau.yaml)
  --from YYYY-MM-DD      first day of the period (required)
  --to YYYY-MM-DD        last day of the period (required)
  --agency ID            only this agency
  --format md|csv|html|json
                         output format (default md); html is one self-contained file that
                         prints on A4
  --lang id|en           language of md and html (default id, bahasa Indonesia)
  --organization TEXT    shown above the title, e.g. "Pemerintah Kota Bekasi"
  --output FILE          write here instead of standard output

Exit status: 0 written; 1 configuration, ledger or output problem; 2 bad arguments;
3 written, but the ledger failed verification (the report says so prominently).
)";

constexpr const char* default_config_path = "/etc/pantau/pantau.yaml";

int usage_error(const std::string& message) {
    std::fprintf(stderr, "pantau report: %s\n\n%s", message.c_str(), usage_report);
    return 2;
}

int failure(const std::string& message) {
    std::fprintf(stderr, "pantau report: %s\n", message.c_str());
    return 1;
}

// Strictly YYYY-MM-DD and a real calendar date.
std::optional<std::chrono::year_month_day> parse_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
        return std::nullopt;
    }
    int value = 0;
    const auto number = [&](std::size_t from, std::size_t len) -> bool {
        value = 0;
        for (std::size_t i = from; i < from + len; ++i) {
            if (s[i] < '0' || s[i] > '9') {
                return false;
            }
            value = value * 10 + (s[i] - '0');
        }
        return true;
    };
    if (!number(0, 4)) {
        return std::nullopt;
    }
    const int y = value;
    if (!number(5, 2)) {
        return std::nullopt;
    }
    const auto m = static_cast<unsigned>(value);
    if (!number(8, 2)) {
        return std::nullopt;
    }
    const auto d = static_cast<unsigned>(value);
    const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{m},
                                           std::chrono::day{d}};
    if (!date.ok()) {
        return std::nullopt;
    }
    return date;
}

struct report_args {
    std::string config_path = default_config_path;
    std::optional<std::chrono::year_month_day> from;
    std::optional<std::chrono::year_month_day> to;
    std::optional<std::string> agency;
    report_format format = report_format::markdown;
    report_lang lang = report_lang::id;
    std::string organization;
    std::optional<std::string> output;
};

// Parses arguments; returns an error message for the user on failure.
std::optional<std::string> parse_args(const std::vector<std::string_view>& args, report_args& out) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view name = args[i];
        std::optional<std::string_view> inline_value;
        if (const auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const auto value = [&]() -> std::optional<std::string_view> {
            if (inline_value) {
                return inline_value;
            }
            if (i + 1 < args.size()) {
                return args[++i];
            }
            return std::nullopt;
        };
        const bool known = name == "--config" || name == "--from" || name == "--to" ||
                           name == "--agency" || name == "--format" || name == "--lang" ||
                           name == "--organization" || name == "--output";
        if (!known) {
            return "unexpected argument " + std::string(args[i]);
        }
        const std::optional<std::string_view> v = value();
        if (!v) {
            return std::string(name) + " needs a value";
        }
        if (name == "--config") {
            out.config_path = std::string(*v);
        } else if (name == "--from" || name == "--to") {
            const auto date = parse_date(*v);
            if (!date) {
                return "invalid date \"" + std::string(*v) + "\" for " + std::string(name) +
                       " (write YYYY-MM-DD, e.g. 2026-11-01)";
            }
            (name == "--from" ? out.from : out.to) = *date;
        } else if (name == "--agency") {
            out.agency = std::string(*v);
        } else if (name == "--format") {
            const auto format = parse_report_format(*v);
            if (!format) {
                return "unknown format \"" + std::string(*v) + "\" (md, csv, html or json)";
            }
            out.format = *format;
        } else if (name == "--lang") {
            const auto lang = parse_report_lang(*v);
            if (!lang) {
                return "unknown language \"" + std::string(*v) + "\" (id or en)";
            }
            out.lang = *lang;
        } else if (name == "--organization") {
            out.organization = std::string(*v);
        } else {
            out.output = std::string(*v);
        }
    }
    if (!out.from || !out.to) {
        return std::string("--from and --to are required");
    }
    if (std::chrono::sys_days{*out.from} > std::chrono::sys_days{*out.to}) {
        return std::string("--from must not be after --to (the period runs from --from to --to, "
                           "both inclusive)");
    }
    return std::nullopt;
}

bool write_file(const std::string& path, const std::string& text, std::string& error) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file) {
        error = "cannot write " + path + ": " + std::generic_category().message(errno);
        return false;
    }
    file.write(text.data(), static_cast<std::streamsize>(text.size()));
    file.close();
    if (!file) {
        error = "cannot write " + path;
        return false;
    }
    return true;
}

} // namespace

int report_main(const std::vector<std::string_view>& args) {
    for (const std::string_view a : args) {
        if (a == "--help" || a == "-h") {
            std::fputs(usage_report, stdout);
            return 0;
        }
    }
    report_args parsed;
    if (auto problem = parse_args(args, parsed)) {
        return usage_error(*problem);
    }

    auto loaded = load_config_file(parsed.config_path);
    if (const auto* err = std::get_if<config_error>(&loaded)) {
        std::fprintf(stderr, "%s\n", err->to_string().c_str());
        return 1;
    }
    const config& cfg = std::get<config>(loaded);
    if (parsed.agency) {
        bool found = false;
        std::string known;
        for (const agency_config& a : cfg.agencies) {
            found = found || a.id == *parsed.agency;
            known += (known.empty() ? "" : ", ") + a.id;
        }
        if (!found) {
            return usage_error("unknown agency \"" + *parsed.agency + "\" (agencies in " +
                               parsed.config_path + ": " + (known.empty() ? "none" : known) + ")");
        }
    }

    std::error_code ec;
    if (!std::filesystem::exists(cfg.ledger, ec)) {
        return failure("no ledger at " + cfg.ledger + " (set by ledger: in " + parsed.config_path +
                       "); the daemon creates it when it first runs with this configuration");
    }
    std::string open_error;
    const std::unique_ptr<ledger> l = open_sqlite_ledger_readonly(cfg.ledger, open_error);
    if (!l) {
        return failure("cannot open the ledger " + cfg.ledger + ": " + open_error);
    }

    report_options opt;
    opt.from = *parsed.from;
    opt.to = *parsed.to;
    opt.agency = parsed.agency;
    opt.organization = parsed.organization;
    opt.ledger_check = l->verify();
    if (!opt.ledger_check.ok) {
        std::fprintf(stderr,
                     "pantau report: WARNING: the ledger failed verification: %s; the report "
                     "carries this warning\n",
                     opt.ledger_check.problem.c_str());
    }

    const report r = build_report(*l, cfg, opt, std::chrono::system_clock::now());
    const std::string text = render(r, parsed.format, parsed.lang);
    if (parsed.output) {
        std::string write_error;
        if (!write_file(*parsed.output, text, write_error)) {
            return failure(write_error);
        }
    } else if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
               std::fflush(stdout) != 0) {
        return failure("cannot write the report to standard output");
    }
    return opt.ledger_check.ok ? 0 : 3;
}

} // namespace pantau
