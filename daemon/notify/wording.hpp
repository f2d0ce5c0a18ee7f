// Internal to pantau_notify: how messages written for people (Telegram, e-mail) name times,
// services and events, in Indonesian, so every channel says the same thing the same way.
#pragma once

#include <chrono>
#include <string>

#include "notify/channel.hpp"

namespace pantau::notify_detail {

// "WIB", "WITA", "WIT" for +07:00, +08:00, +09:00; otherwise "UTC+05:30".
std::string zone_name(std::chrono::minutes offset);

// "28-11-2026 19:00 WIB": how times are written in Indonesian notices.
std::string local_time(wall_time t, std::chrono::minutes offset);

// "Layanan Akta Kelahiran Online (akta-online)", or just the id when the name is empty or
// the same. Plain text: callers escape for their markup.
std::string display_name(const std::string& name, const std::string& id);

// The headline of a message: "GANGGUAN LAYANAN", "PENGINGAT: layanan masih terganggu",
// "LAYANAN PULIH".
const char* headline(notification_kind kind);

} // namespace pantau::notify_detail
