// One notification channel as configured (channels: NAME: {TYPE: {...}}): plain data that the
// notify component turns into a channel. Apart from config.hpp so that notify needs only this.
#pragma once

#include <map>
#include <string>

#include "core/source_location.hpp"

namespace pantau {

struct channel_config {
    std::string name;
    std::string type; // telegram, email, webhook, alertmanager
    // Remaining settings as given (after ${ENV} expansion); typed by the notify issue.
    // A list value is joined with "," (to: [a, b] -> "a,b"); a nested mapping is flattened
    // with dotted keys (smtp: {host: h} -> "smtp.host" = "h").
    std::map<std::string, std::string> settings;
    source_location where;
};

} // namespace pantau
