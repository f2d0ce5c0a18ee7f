// Reads http: checks with their expect: and the /probe endpoint's modules: (see
// sections.hpp). Regular expressions are compiled with the engine the HTTP probe uses.
#include <boost/regex.hpp>

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>

#include "config/diagnostics.hpp"
#include "config/json_expectation.hpp"
#include "config/schema.hpp"
#include "config/sections.hpp"
#include "config/value_syntax.hpp"

namespace pantau::config_detail {

namespace {

int read_status(const field_reader& ctx, const field& f) {
    const std::string value = ctx.text(f);
    int code = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, code);
    if (ec != std::errc{} || ptr != end || code < 100 || code > 599) {
        ctx.fail(value_mark(f), "invalid status " + quoted(value) +
                                    ": write an HTTP status code from 100 to 599, e.g. 200 or "
                                    "[200, 301]");
    }
    return code;
}

http_expect read_expect(const field_reader& ctx, const field& section) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in expect", expect_keys);
    http_expect expect;
    if (f[e_status].present) {
        if (f[e_status].value.IsSequence()) {
            for (YAML::const_iterator it = f[e_status].value.begin(); it != f[e_status].value.end();
                 ++it) {
                expect.status.push_back(
                    read_status(ctx, field{"status", f[e_status].key, *it, true}));
            }
            if (expect.status.empty()) {
                ctx.fail(value_mark(f[e_status]),
                         "status needs at least one code, e.g. status: [200, 204]");
            }
        } else {
            expect.status.push_back(read_status(ctx, f[e_status]));
        }
    }
    if (f[e_body_contains].present) {
        expect.body_contains = ctx.texts(f[e_body_contains]);
    }
    if (f[e_body_not_contains].present) {
        expect.body_not_contains = ctx.texts(f[e_body_not_contains]);
    }
    if (f[e_body_matches].present) {
        std::string pattern = ctx.text(f[e_body_matches]);
        try {
            // The same engine the HTTP probe matches with.
            const boost::regex compiled{pattern, boost::regex::ECMAScript};
            static_cast<void>(compiled);
        } catch (const boost::regex_error& e) {
            ctx.fail(value_mark(f[e_body_matches]),
                     "invalid regular expression " + quoted(pattern) + " (" + e.what() +
                         "): write an ECMAScript regex, e.g. \"Version [0-9]+\" (put a "
                         "backslash before ( ) [ ] { } . * + ? to match them literally)");
        }
        expect.body_matches = std::move(pattern);
    }
    if (f[e_max_latency].present) {
        expect.max_latency = ctx.read_positive_duration(f[e_max_latency], "3s");
    }
    if (f[e_cert_min_days].present) {
        expect.cert_min_days = static_cast<int>(ctx.read_int(f[e_cert_min_days], 0, 3650, "14"));
    }
    if (f[e_json].present) {
        ctx.for_each_text(f[e_json], [&](const std::string& item, const YAML::Mark& mark) {
            std::string error;
            auto parsed = parse_json_expectation(item, error);
            if (!parsed) {
                ctx.fail(mark, "invalid json expectation " + quoted(item) + ": " + error);
            }
            expect.json.push_back(std::move(*parsed));
        });
    }
    return expect;
}

} // namespace

// /probe modules: `modules: {name: {timeout: 5s, http: {<a check's http keys but url>}}}`.
void read_modules(const field_reader& ctx, const field& section, config& cfg) {
    ctx.expect_map(section);
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const YAML::Node key = it->first;
        std::string name = ctx.read_key_name(key, "module", "http_2xx");
        if (const auto existing = cfg.modules.find(name); existing != cfg.modules.end()) {
            ctx.fail(key.Mark(), "duplicate module " + quoted(name) + " (first defined at line " +
                                     std::to_string(existing->second.where.line) + ")");
        }
        const field body{"module", key, it->second, true};
        if (!body.value.IsMap()) {
            ctx.fail(value_mark(body), "expected a mapping for module " + quoted(name) +
                                           R"(, e.g. {timeout: 5s, http: {expect: {status: )"
                                           R"([200]}}}; got )" +
                                           std::string{describe(body.value)});
        }
        const auto f = ctx.read_fields(body.value, "in module " + quoted(name), module_keys);
        probe_module module;
        module.name = name;
        module.where = ctx.at(key.Mark());
        if (f[m_timeout].present) {
            module.timeout = ctx.read_positive_duration(f[m_timeout], "5s");
        }
        if (f[m_http].present) {
            module.http = read_http(ctx, f[m_http], false);
        }
        cfg.modules.emplace(std::move(name), std::move(module));
    }
}

// An http:// or https:// URL naming a host.
std::string read_http_url(const field_reader& ctx, const field& f, std::string_view example) {
    std::string url = ctx.text(f);
    if (!is_http_url(url)) {
        ctx.fail(value_mark(f), "invalid url " + quoted(url) +
                                    ": url must start with http:// or https:// and name a host, "
                                    "e.g. " +
                                    std::string{example});
    }
    return url;
}

// `url_required` is false for a /probe module, whose target gives the URL.
http_check read_http(const field_reader& ctx, const field& section, bool url_required) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in http", http_keys);
    http_check http;
    if (!url_required) {
        if (f[h_url].present) {
            ctx.fail(f[h_url].key.Mark(), "a module takes its url from the target parameter of "
                                          "/probe?target=...; remove url here");
        }
    } else {
        ctx.require(f[h_url], section.value, "http", "url: https://example.go.id/");
        http.url = read_http_url(ctx, f[h_url], "https://example.go.id/");
    }
    if (f[h_method].present) {
        http.method = ctx.text(f[h_method]);
        if (!is_token(http.method) || std::any_of(http.method.begin(), http.method.end(),
                                                  [](char c) { return c >= 'a' && c <= 'z'; })) {
            ctx.fail(value_mark(f[h_method]), "invalid method " + quoted(http.method) +
                                                  ": write an HTTP method in capitals, e.g. "
                                                  "GET, HEAD or POST");
        }
    }
    if (f[h_headers].present) {
        read_headers(ctx, f[h_headers], http);
    }
    if (f[h_body].present) {
        http.body = ctx.text(f[h_body]);
    }
    if (f[h_follow_redirects].present) {
        http.follow_redirects = ctx.read_bool(f[h_follow_redirects]);
    }
    if (f[h_max_redirects].present) {
        http.max_redirects = static_cast<int>(ctx.read_int(f[h_max_redirects], 0, 100, "10"));
    }
    if (f[h_tls_verify].present) {
        http.tls_verify = ctx.read_bool(f[h_tls_verify]);
    }
    if (f[h_ca_file].present) {
        http.ca_file = ctx.text(f[h_ca_file]);
        if (http.ca_file->empty()) {
            ctx.fail(value_mark(f[h_ca_file]),
                     "ca_file needs a file path, e.g. /etc/pantau/ca.pem");
        }
    }
    if (f[h_max_body].present) {
        http.max_body = ctx.read_size(f[h_max_body]);
    }
    if (f[h_reuse_connection].present) {
        http.reuse_connection = ctx.read_bool(f[h_reuse_connection]);
    }
    if (f[h_expect].present) {
        http.expect = read_expect(ctx, f[h_expect]);
    }
    return http;
}

void read_headers(const field_reader& ctx, const field& section, http_check& http) {
    ctx.expect_map(section);
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const YAML::Node key = it->first;
        if (!key.IsScalar() || !is_token(key.Scalar())) {
            ctx.fail(key.Mark(), "invalid header name " + quoted(key.Scalar()) +
                                     ": write a name such as Authorization or X-Api-Key");
        }
        const field item{key.Scalar(), key, it->second, true};
        std::string value = ctx.text(item);
        if (value.find_first_of(std::string_view{"\r\n\0", 3}) != std::string::npos) {
            ctx.fail(value_mark(item), "header " + quoted(key.Scalar()) +
                                           " must be on one line (no line breaks in the value)");
        }
        for (const auto& existing : http.headers) {
            if (existing.first == key.Scalar()) {
                ctx.fail(key.Mark(),
                         "duplicate header " + quoted(key.Scalar()) + "; write each header once");
            }
        }
        http.headers.emplace_back(key.Scalar(), std::move(value));
    }
}

} // namespace pantau::config_detail
