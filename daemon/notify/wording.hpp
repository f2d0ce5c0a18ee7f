// Internal to pantau_notify: how messages written for people (Telegram, e-mail) name events,
// in Indonesian, so every channel says the same thing the same way. Times and names are
// written with core/text.hpp (numeric_date_time, display_name), as elsewhere in Pantau.
#pragma once

#include "notify/channel.hpp"

namespace pantau::notify_detail {

// The headline of a message: "GANGGUAN LAYANAN", "PENGINGAT: layanan masih terganggu",
// "LAYANAN PULIH".
const char* headline(notification_kind kind);

} // namespace pantau::notify_detail
