// Durations as people write them in configuration: "500ms", "30s", "5m", "2h", "1h30m".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pantau {

using duration = std::chrono::milliseconds;

// Parses a non-negative duration made of one or more <integer><unit> parts, units
// ms, s, m, h, d. Returns nullopt for anything else (empty, bare numbers, negative, overflow).
std::optional<duration> parse_duration(std::string_view text);

// Formats a duration in the largest units that represent it exactly: 90000ms -> "1m30s".
std::string format_duration(duration d);

} // namespace pantau
