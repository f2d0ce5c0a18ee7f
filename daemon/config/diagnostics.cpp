// Message helpers of the configuration loader (see diagnostics.hpp).
#include "config/diagnostics.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <utility>

#include "config/value_syntax.hpp"
#include "core/time_format.hpp"

namespace pantau::config_detail {

namespace {

// True when the line of `mark` starts with whitespace containing a tab, which YAML forbids
// for indentation and yaml-cpp reports with a message that does not say so.
bool indented_with_tab(const std::string& text, const YAML::Mark& mark) {
    if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) > text.size()) {
        return false;
    }
    const auto pos = static_cast<std::size_t>(mark.pos);
    const std::size_t newline = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    const std::size_t begin = newline == std::string::npos ? 0 : newline + 1;
    for (std::size_t i = begin; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
        if (text[i] == '\t') {
            return true;
        }
    }
    return false;
}

// Adds hints to yaml-cpp's terse syntax messages.
std::string syntax_message(const std::string& msg, bool tab_indent) {
    std::string out = "YAML syntax error: " + msg;
    if (tab_indent) {
        out += " (indent with spaces, not tabs)";
    } else if (msg.find("illegal map value") != std::string::npos) {
        out += " (a value containing \": \" must be quoted, e.g. name: \"a: b\"; "
               "or is the indentation off?)";
    } else if (msg.find("end of map not found") != std::string::npos ||
               msg.find("end of sequence not found") != std::string::npos) {
        out += " (check the indentation: items of one mapping or list line up, spaces only)";
    } else if (msg.find("flow") != std::string::npos) {
        out += R"( (close every "[" with "]" and every "{" with "}"))";
    }
    return out;
}

} // namespace

std::string quoted(std::string_view text) {
    constexpr std::size_t max_shown = 80;
    std::string out = "\"";
    if (text.size() > max_shown) {
        out += text.substr(0, max_shown);
        out += "...";
    } else {
        out += text;
    }
    out += '"';
    return out;
}

std::string quoted_list(std::string_view a, std::string_view b) {
    return quoted(a) + " and " + quoted(b);
}

// Levenshtein distance; keys and names are short, so the O(n*m) table is fine.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string id_suggestion(std::string_view id, std::string_view fallback) {
    std::string out;
    for (const char c : id) {
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            out += c;
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    while (!out.empty() && (out.front() == '-' || out.front() == '_')) {
        out.erase(out.begin());
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    return is_valid_id(out) ? out : std::string{fallback};
}

std::string_view describe(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    }
    return "something else";
}

config_error yaml_error(const YAML::Exception& e, const std::string& file,
                        const std::string& text) {
    source_location where{file, 1, 1};
    if (!e.mark.is_null()) {
        where.line = e.mark.line + 1;
        where.column = e.mark.column + 1;
    }
    if (dynamic_cast<const YAML::ParserException*>(&e) != nullptr) {
        return config_error{std::move(where),
                            syntax_message(e.msg, indented_with_tab(text, e.mark))};
    }
    return config_error{std::move(where), "cannot load: " + e.msg};
}

std::string unknown_timezone_message(const std::string& timezone) {
    std::string message = "unknown timezone " + quoted(timezone) + "; ";
    // People say WIB, WITA, WIT; the zone names are what the file takes.
    constexpr std::array<std::pair<std::string_view, std::string_view>, 3> abbreviations{
        {{"WIB", "Asia/Jakarta"}, {"WITA", "Asia/Makassar"}, {"WIT", "Asia/Jayapura"}}};
    std::optional<std::string_view> suggestion = closest(timezone, known_timezones());
    for (const auto& [abbreviation, zone] : abbreviations) {
        if (timezone == abbreviation) {
            suggestion = zone;
        }
    }
    if (suggestion) {
        message += "did you mean " + quoted(*suggestion) + "? ";
    }
    message += "accepted: ";
    for (const std::string_view name : known_timezones()) {
        message += std::string{name};
        const auto offset = utc_offset_of(name);
        if (offset == std::chrono::hours{7}) {
            message += " (WIB)";
        } else if (offset == std::chrono::hours{8}) {
            message += " (WITA)";
        } else if (offset == std::chrono::hours{9}) {
            message += " (WIT)";
        }
        message += ", ";
    }
    message += "or a fixed offset such as +07:00";
    return message;
}

} // namespace pantau::config_detail
