#include "core/notification.hpp"

namespace pantau {

const char* to_string(notification_kind k) {
    switch (k) {
    case notification_kind::firing: return "firing";
    case notification_kind::reminder: return "reminder";
    case notification_kind::resolved: return "resolved";
    case notification_kind::flapping: return "flapping";
    }
    return "firing";
}

std::string notification_key(std::int64_t outage_id, const escalation_step& step) {
    const std::string outage = "outage-" + std::to_string(outage_id);
    if (step.kind == step_kind::resolve) {
        return outage + "/resolve/" + step.channel;
    }
    return outage + "/level-" + std::to_string(step.level) + "/" + step.channel + "/" +
           std::string{to_string(step.kind)} + "/" + std::to_string(step.repeat);
}

} // namespace pantau
