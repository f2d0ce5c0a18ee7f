#include "core/metric_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace pantau {

namespace {

bool name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}

bool name_char(char c) {
    return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

void skip_blanks(std::string_view& s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
}

// A metric or label name at the front of `s`, consumed; empty if none.
std::string_view take_name(std::string_view& s) {
    if (s.empty() || !name_start(s.front())) {
        return {};
    }
    std::size_t n = 1;
    while (n < s.size() && name_char(s[n])) {
        ++n;
    }
    const std::string_view name = s.substr(0, n);
    s.remove_prefix(n);
    return name;
}

// `{a="b",c="d"}` at the front of `s` (the brace already seen is still in s), consumed.
bool take_labels(std::string_view& s, std::vector<std::pair<std::string, std::string>>& out) {
    s.remove_prefix(1); // '{'
    for (;;) {
        skip_blanks(s);
        if (!s.empty() && s.front() == '}') {
            s.remove_prefix(1);
            return true;
        }
        const std::string_view label = take_name(s);
        skip_blanks(s);
        if (label.empty() || s.empty() || s.front() != '=') {
            return false;
        }
        s.remove_prefix(1);
        skip_blanks(s);
        if (s.empty() || s.front() != '"') {
            return false;
        }
        s.remove_prefix(1);
        std::string value;
        bool closed = false;
        while (!s.empty()) {
            const char c = s.front();
            s.remove_prefix(1);
            if (c == '"') {
                closed = true;
                break;
            }
            if (c == '\\' && !s.empty()) {
                const char e = s.front();
                s.remove_prefix(1);
                value += e == 'n' ? '\n' : e;
            } else {
                value += c;
            }
        }
        if (!closed) {
            return false;
        }
        out.emplace_back(label, std::move(value));
        skip_blanks(s);
        if (!s.empty() && s.front() == ',') {
            s.remove_prefix(1);
        }
    }
}

std::optional<double> parse_value(std::string_view s) {
    if (s == "+Inf" || s == "Inf") {
        return std::numeric_limits<double>::infinity();
    }
    if (s == "-Inf") {
        return -std::numeric_limits<double>::infinity();
    }
    if (s == "NaN") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

} // namespace

std::optional<metric_selector> parse_metric_selector(std::string_view text, std::string& error) {
    std::string_view s = text;
    skip_blanks(s);
    metric_selector sel;
    sel.name = std::string{take_name(s)};
    if (sel.name.empty()) {
        error = "expected a metric name such as antrian_dilayani_total, optionally with labels "
                "as in antrian_dilayani_total{loket=\"1\"}";
        return std::nullopt;
    }
    skip_blanks(s);
    if (!s.empty() && s.front() == '{' && !take_labels(s, sel.labels)) {
        error = R"(invalid labels: write them as {name="value", other="value"})";
        return std::nullopt;
    }
    skip_blanks(s);
    if (!s.empty()) {
        error = "unexpected \"" + std::string{s} + "\" after the selector";
        return std::nullopt;
    }
    return sel;
}

std::string to_string(const metric_selector& s) {
    std::string out = s.name;
    if (!s.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
            out += (i > 0 ? "," : "") + s.labels[i].first + "=\"";
            for (char c : s.labels[i].second) {
                if (c == '"' || c == '\\') {
                    out += '\\';
                }
                out += c == '\n' ? 'n' : c;
            }
            out += '"';
        }
        out += '}';
    }
    return out;
}

metric_reading read_metric(std::string_view body, const metric_selector& sel) {
    metric_reading r;
    std::vector<std::pair<std::string, std::string>> labels;
    while (!body.empty()) {
        const std::size_t eol = std::min(body.find('\n'), body.size());
        std::string_view line = body.substr(0, eol);
        body.remove_prefix(std::min(eol + 1, body.size()));
        skip_blanks(line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (take_name(line) != sel.name) {
            continue;
        }
        labels.clear();
        if (!line.empty() && line.front() == '{' && !take_labels(line, labels)) {
            continue;
        }
        const bool match = std::all_of(sel.labels.begin(), sel.labels.end(), [&](const auto& want) {
            return std::find(labels.begin(), labels.end(), want) != labels.end();
        });
        if (!match) {
            continue;
        }
        skip_blanks(line);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        const std::size_t end = std::min(line.find_first_of(" \t"), line.size());
        if (const auto v = parse_value(line.substr(0, end))) {
            r.sum += *v;
            ++r.samples;
        }
    }
    return r;
}

} // namespace pantau
