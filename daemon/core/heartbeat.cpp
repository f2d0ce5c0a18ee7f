#include "core/heartbeat.hpp"

#include "core/activity.hpp"

namespace pantau {

heartbeat_verdict judge_heartbeat(const heartbeat_rule& rule,
                                  std::optional<std::chrono::system_clock::time_point> last,
                                  std::chrono::system_clock::time_point watching_since,
                                  std::chrono::system_clock::time_point now) {
    const std::string expected =
        "expected every " + format_elapsed(rule.expect_every) +
        (rule.grace.count() > 0 ? " + " + format_elapsed(rule.grace) + " grace" : std::string{});
    const auto since = last ? *last : watching_since;
    const auto ago = now > since ? now - since : std::chrono::nanoseconds{0};
    if (ago <= rule.expect_every + rule.grace) {
        if (!last) {
            return {probe_status::success, "no heartbeat yet, watching for " + format_elapsed(ago) +
                                               " (" + expected + ")"};
        }
        return {probe_status::success, "last heartbeat " + format_elapsed(ago) + " ago"};
    }
    if (!last) {
        return {probe_status::failure, "no heartbeat since Pantau began watching " +
                                           format_elapsed(ago) + " ago (" + expected + ")"};
    }
    return {probe_status::failure,
            "no heartbeat for " + format_elapsed(ago) + " (" + expected + ")"};
}

} // namespace pantau
