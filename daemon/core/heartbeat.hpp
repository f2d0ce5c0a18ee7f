// A push check's judgement (dead man's switch): a job at an agency reports in every
// `expect_every`; the check is DOWN once no report arrived for expect_every + grace. Pure
// logic: times are passed in.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/duration.hpp"
#include "core/probe_result.hpp"

namespace pantau {

struct heartbeat_rule {
    duration expect_every{std::chrono::hours{24}};
    duration grace{0};
};

struct heartbeat_verdict {
    probe_status status = probe_status::success;
    std::string reason;
};

// `last`: the latest heartbeat, if any arrived; `watching_since`: when Pantau began to
// expect them (the check was added or the daemon started), the reference without one.
heartbeat_verdict judge_heartbeat(const heartbeat_rule& rule,
                                  std::optional<std::chrono::system_clock::time_point> last,
                                  std::chrono::system_clock::time_point watching_since,
                                  std::chrono::system_clock::time_point now);

} // namespace pantau
