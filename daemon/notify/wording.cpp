#include "notify/wording.hpp"

namespace pantau::notify_detail {

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
