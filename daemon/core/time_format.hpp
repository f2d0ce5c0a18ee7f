// Times as people and APIs read them: RFC 3339 with a fixed UTC offset. Pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pantau {

// "2026-11-28T19:00:05+07:00" (whole seconds; "Z" for offset 0).
std::string format_rfc3339(std::chrono::system_clock::time_point t,
                           std::chrono::minutes utc_offset);

// Parses RFC 3339 ("2026-11-28T19:00:00+07:00", "...Z", fractional seconds allowed), a
// plain date "2026-11-28" (local midnight at `utc_offset`), or a local time without an
// offset, "2026-11-28 19:00" or "2026-11-28T19:00:05" (at `utc_offset`). nullopt when
// malformed.
std::optional<std::chrono::system_clock::time_point>
parse_rfc3339_or_date(std::string_view text, std::chrono::minutes utc_offset);

} // namespace pantau
