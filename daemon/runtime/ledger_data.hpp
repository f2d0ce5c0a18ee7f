// The data (JSON) of the ledger events the runtime writes and reads back after a restart:
// notification_queued (a whole outbound message, so the outbox can be rebuilt) and
// maintenance_added (a window added through the API).
#pragma once

#include <optional>
#include <string>

#include "core/maintenance.hpp"
#include "core/notification.hpp"

namespace pantau {

// The data of a notification_queued event, and back (nullopt when malformed). The outage
// id, agency, service and check travel in the event's own fields.
std::string outbound_to_json(const outbound& o);
std::optional<outbound> outbound_from_json(const std::string& data);

// The data of a maintenance_added event (times in Unix ms), and back. The agency and
// service travel in the event's own fields.
std::string window_to_json(const maintenance_window& w, const std::string& by);
std::optional<maintenance_window> window_from_json(const std::string& data);

} // namespace pantau
