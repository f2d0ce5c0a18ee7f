#include "notify/wording.hpp"

#include <cstdio>
#include <ctime>

namespace pantau::notify_detail {

std::string zone_name(std::chrono::minutes offset) {
    if (offset == std::chrono::hours{7}) {
        return "WIB";
    }
    if (offset == std::chrono::hours{8}) {
        return "WITA";
    }
    if (offset == std::chrono::hours{9}) {
        return "WIT";
    }
    const auto total = offset.count();
    const auto abs = total < 0 ? -total : total;
    char buf[16];
    std::snprintf(buf, sizeof buf, "UTC%c%02d:%02d", total < 0 ? '-' : '+',
                  static_cast<int>(abs / 60), static_cast<int>(abs % 60));
    return buf;
}

std::string local_time(wall_time t, std::chrono::minutes offset) {
    const auto local = std::chrono::floor<std::chrono::seconds>(t) + offset;
    const std::time_t tt = std::chrono::system_clock::to_time_t(local);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%d-%m-%Y %H:%M", &tm);
    return std::string(buf) + " " + zone_name(offset);
}

std::string display_name(const std::string& name, const std::string& id) {
    if (name.empty() || name == id) {
        return id;
    }
    return name + " (" + id + ")";
}

const char* headline(notification_kind kind) {
    switch (kind) {
    case notification_kind::firing: return "GANGGUAN LAYANAN";
    case notification_kind::reminder: return "PENGINGAT: layanan masih terganggu";
    case notification_kind::resolved: return "LAYANAN PULIH";
    case notification_kind::flapping: return "LAYANAN TIDAK STABIL (naik-turun)";
    }
    return "GANGGUAN LAYANAN";
}

} // namespace pantau::notify_detail
