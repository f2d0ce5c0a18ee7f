// Messages of the configuration loader: quoting, "did you mean", YAML syntax errors and
// unknown timezones. Pure text helpers; what a message says is part of the user-facing
// contract (`pantau check-config` prints it), so wording changes need a test change.
// Internal to daemon/config.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"

namespace pantau::config_detail {

// Quotes a value for a message, shortening very long ones.
std::string quoted(std::string_view text);

// "\"a\" and \"b\""
std::string quoted_list(std::string_view a, std::string_view b);

// Levenshtein distance; keys and names are short, so the O(n*m) table is fine.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name`, when it is close enough to be a likely typo.
template <typename Range>
std::optional<std::string_view> closest(std::string_view name, const Range& candidates) {
    const std::size_t limit = name.size() <= 4 ? 1 : 2;
    std::optional<std::string_view> best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        const std::string_view c{candidate};
        const std::size_t d = edit_distance(name, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

template <typename Range>
std::string joined(const Range& names, std::size_t max_shown = 20) {
    std::string out;
    std::size_t shown = 0;
    for (const auto& name : names) {
        if (shown == max_shown) {
            out += ", ...";
            break;
        }
        if (shown > 0) {
            out += ", ";
        }
        out += std::string_view{name};
        ++shown;
    }
    return out;
}

// A valid id that looks like `id`, for "e.g." in messages: "Akta Online" -> "akta-online";
// `fallback` when nothing of `id` can be kept.
std::string id_suggestion(std::string_view id, std::string_view fallback);

// What a node is, for "expected ..., got <describe>": "nothing", "a single value", "a list",
// "a mapping".
std::string_view describe(const YAML::Node& node);

// A yaml-cpp exception from loading `text` (the contents of `file`) as a config_error, with
// hints added to yaml-cpp's terse syntax messages.
config_error yaml_error(const YAML::Exception& e, const std::string& file, const std::string& text);

// "unknown timezone "X"; did you mean ...? accepted: Asia/Jakarta (WIB), ..."
std::string unknown_timezone_message(const std::string& timezone);

} // namespace pantau::config_detail
