// The configuration loader's entry: load_config_text/load_config_file parse the YAML, read
// the top-level keys, defaults and status_page here, and hand every other section to its
// reader (sections.hpp) in an order that lets references be checked as they are read. The
// first problem ends the load as a config_error. Memory policy (compacting, malloc_trim)
// is the caller's: see app/daemon.cpp.
#include "config/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <exception>
#include <string_view>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "config/diagnostics.hpp"
#include "config/reader.hpp"
#include "config/schema.hpp"
#include "config/sections.hpp"
#include "config/value_syntax.hpp"
#include "core/time_format.hpp"

namespace pantau {

std::string config_error::to_string() const {
    std::string out = where.file;
    out += ':';
    out += std::to_string(where.line);
    out += ':';
    out += std::to_string(where.column);
    out += ": ";
    out += message;
    return out;
}

namespace config_detail {

namespace {

// A logo file inlined into the status page: extension -> media type.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> logo_types{{
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
}};
constexpr std::size_t max_logo_bytes = std::size_t{256} * 1024;

std::string base64(std::string_view bytes) {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U) |
                       (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U) |
                       std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += alphabet[(n >> 6U) & 63U];
        out += alphabet[n & 63U];
    }
    if (i < bytes.size()) {
        auto n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U;
        if (i + 1 < bytes.size()) {
            n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U;
        }
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += i + 1 < bytes.size() ? alphabet[(n >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

defaults_config read_defaults(const field_reader& ctx, const field& section) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in defaults", defaults_keys);
    defaults_config d;
    if (f[d_interval].present) {
        d.interval = ctx.read_positive_duration(f[d_interval], "30s");
    }
    if (f[d_timeout].present) {
        d.timeout = ctx.read_positive_duration(f[d_timeout], "10s");
    }
    if (f[d_retry_interval].present) {
        d.retry_interval = ctx.read_positive_duration(f[d_retry_interval], "10s");
    }
    if (f[d_failure_threshold].present) {
        d.failure_threshold = ctx.read_threshold(f[d_failure_threshold]);
    }
    if (f[d_success_threshold].present) {
        d.success_threshold = ctx.read_threshold(f[d_success_threshold]);
    }
    if (d.timeout > d.interval) {
        const std::string timeout = format_duration(d.timeout);
        const std::string interval = format_duration(d.interval);
        if (f[d_timeout].present) {
            ctx.fail(value_mark(f[d_timeout]), "timeout " + timeout + " is longer than interval " +
                                                   interval + "; write a timeout of at most " +
                                                   interval + ", or a longer interval");
        }
        ctx.fail(value_mark(f[d_interval]), "interval " + interval +
                                                " is shorter than the default timeout " + timeout +
                                                "; write \"timeout: " + interval +
                                                "\" (or less) in defaults, or an "
                                                "interval of at least " +
                                                timeout);
    }
    return d;
}

// An http(s) URL as written, or an image file (relative to the config file) as a data:
// URI, so the page needs nothing from elsewhere.
std::string read_logo(const field_reader& ctx, const field& f) {
    std::string value = ctx.text(f);
    if (value.empty()) {
        return value;
    }
    if (iequals_prefix(value, "http://") || iequals_prefix(value, "https://")) {
        if (!is_http_url(value) || value.find_first_of("\"<> ") != std::string::npos) {
            ctx.fail(value_mark(f), "invalid logo URL " + quoted(value) +
                                        ": write e.g. https://portal.example.go.id/logo.png");
        }
        return value;
    }
    const std::size_t dot = value.rfind('.');
    std::string extension = dot == std::string::npos ? "" : value.substr(dot);
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto* type = std::find_if(logo_types.begin(), logo_types.end(),
                                    [&](const auto& t) { return t.first == extension; });
    if (type == logo_types.end()) {
        ctx.fail(value_mark(f), "logo " + quoted(value) +
                                    ": write an http(s) URL or the path of an .svg, .png, .jpg, "
                                    ".gif or .webp file");
    }
    std::string path = value;
    const std::size_t slash = ctx.file().rfind('/');
    if (path.front() != '/' && slash != std::string::npos) {
        path.insert(0, ctx.file(), 0, slash + 1);
    }
    std::string contents;
    if (const auto reason = read_whole_file(path, contents)) {
        ctx.fail(value_mark(f), "cannot read logo file " + quoted(path) + ": " + *reason);
    }
    if (contents.size() > max_logo_bytes) {
        ctx.fail(value_mark(f), "logo file " + quoted(path) + " is " +
                                    std::to_string(contents.size() / 1024) +
                                    " KiB; the status page inlines it, so keep it under 256 KiB");
    }
    return "data:" + std::string{type->second} + ";base64," + base64(contents);
}

void read_status_page(const field_reader& ctx, const field& section, status_page_config& out) {
    ctx.expect_map(section);
    out.where = ctx.at(section.key.Mark());
    const auto f = ctx.read_fields(section.value, "in status_page", status_page_keys);
    if (f[sp_title].present) {
        out.title = ctx.text(f[sp_title]);
    }
    if (f[sp_footer].present) {
        out.footer = ctx.text(f[sp_footer]);
    }
    if (f[sp_logo].present) {
        out.logo = read_logo(ctx, f[sp_logo]);
    }
}

config read_config(const field_reader& ctx, const YAML::Node& root) {
    config cfg;
    cfg.path = ctx.file();
    if (!root.IsMap()) {
        if (root.IsNull()) {
            ctx.fail(root.Mark(), "the file is empty; write a mapping with at least "
                                  "\"agencies:\" and \"services:\"");
        }
        ctx.fail(root.Mark(), std::string{"expected a mapping at the top level (key: value "
                                          "lines such as \"services:\"), got "} +
                                  std::string{describe(root)});
    }
    const auto f = ctx.read_fields(root, "at top level", top_keys);
    if (f[t_listen].present) {
        cfg.listen = ctx.text(f[t_listen]);
        if (!is_host_port(cfg.listen, true)) {
            ctx.fail(value_mark(f[t_listen]),
                     "invalid listen address " + quoted(cfg.listen) +
                         ": write host:port, e.g. 127.0.0.1:9470, 0.0.0.0:9470 or [::1]:9470");
        }
    }
    if (f[t_ledger].present) {
        cfg.ledger = ctx.text(f[t_ledger]);
        if (cfg.ledger.empty()) {
            ctx.fail(value_mark(f[t_ledger]),
                     "ledger needs a file path, e.g. /var/lib/pantau/ledger.db");
        }
    }
    if (f[t_admin_token].present) {
        cfg.admin_token = ctx.text(f[t_admin_token]);
    }
    if (f[t_public_url].present) {
        cfg.public_url = ctx.text(f[t_public_url]);
        if (cfg.public_url.rfind("http://", 0) != 0 && cfg.public_url.rfind("https://", 0) != 0) {
            ctx.fail(value_mark(f[t_public_url]),
                     "public_url must start with http:// or https://, e.g. "
                     "https://pantau.kota.go.id");
        }
        while (!cfg.public_url.empty() && cfg.public_url.back() == '/') {
            cfg.public_url.pop_back();
        }
    }
    if (f[t_timezone].present) {
        cfg.timezone = ctx.text(f[t_timezone]);
        if (cfg.timezone.empty()) {
            ctx.fail(value_mark(f[t_timezone]),
                     "timezone needs a zone name, e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura");
        }
        const auto offset = utc_offset_of(cfg.timezone);
        if (!offset) {
            ctx.fail(value_mark(f[t_timezone]), unknown_timezone_message(cfg.timezone));
        }
        cfg.utc_offset = *offset;
    }
    if (f[t_notify_retry].present) {
        ctx.expect_map(f[t_notify_retry]);
        const auto r = ctx.read_fields(f[t_notify_retry].value, "in notify_retry", retry_keys);
        if (r[r_first].present) {
            cfg.notify_retry_first = ctx.read_positive_duration(r[r_first], "1s");
        }
        if (r[r_max].present) {
            cfg.notify_retry_max = ctx.read_positive_duration(r[r_max], "5m");
        }
        if (cfg.notify_retry_max < cfg.notify_retry_first) {
            ctx.fail(value_mark(r[r_max].present ? r[r_max] : r[r_first]),
                     "notify_retry max " + format_duration(cfg.notify_retry_max) +
                         " is shorter than first " + format_duration(cfg.notify_retry_first));
        }
    }
    if (f[t_max_in_flight].present) {
        cfg.max_in_flight =
            static_cast<std::size_t>(ctx.read_int(f[t_max_in_flight], 1, 10'000'000, "4096"));
    }
    if (f[t_defaults].present) {
        cfg.defaults = read_defaults(ctx, f[t_defaults]);
    }
    // Referenced things first, so references can be checked as they are read.
    if (f[t_calendars].present) {
        read_calendars(ctx, f[t_calendars], cfg);
    }
    if (f[t_channels].present) {
        read_channels(ctx, f[t_channels], cfg);
    }
    if (f[t_escalation].present) {
        read_escalation(ctx, f[t_escalation], cfg);
    }
    agency_index agencies;
    if (f[t_agencies].present) {
        read_agencies(ctx, f[t_agencies], cfg, agencies);
    }
    dependency_marks marks;
    if (f[t_services].present) {
        read_services(ctx, f[t_services], cfg, agencies, marks);
    }
    resolve_dependencies(ctx, cfg, marks);
    if (f[t_maintenance].present) {
        read_maintenance(ctx, f[t_maintenance], agencies, cfg);
    }
    if (f[t_modules].present) {
        read_modules(ctx, f[t_modules], cfg);
    }
    if (f[t_status_page].present) {
        read_status_page(ctx, f[t_status_page], cfg.status_page);
    }
    return cfg;
}

} // namespace

} // namespace config_detail

std::variant<config, config_error> load_config_text(const std::string& text,
                                                    const std::string& file_name) {
    try {
        // The node tree lives only inside this block: it is freed before this returns.
        const YAML::Node root = YAML::Load(text);
        return config_detail::read_config(config_detail::field_reader{file_name}, root);
    } catch (const config_detail::load_failure& failure) {
        return failure.error;
    } catch (const YAML::Exception& e) {
        return config_detail::yaml_error(e, file_name, text);
    } catch (const std::exception& e) {
        return config_error{{file_name, 0, 0}, std::string{"cannot load: "} + e.what()};
    }
}

std::variant<config, config_error> load_config_file(const std::string& path) {
    std::string text;
    if (const auto reason = config_detail::read_whole_file(path, text)) {
        return config_error{{path, 0, 0}, "cannot read: " + *reason};
    }
    return load_config_text(text, path);
}

} // namespace pantau
