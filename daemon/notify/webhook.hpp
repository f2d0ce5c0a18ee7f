// Webhook channel: one JSON POST per notification.
//
// Request: POST <url>, Content-Type: application/json, headers
//   Idempotency-Key: <idempotency_key>   same value as in the body; a retry after a lost
//                                        answer repeats it, so receivers can drop duplicates
//   X-Pantau-Signature: sha256=<hex>     only when the channel has `secret`: lower-case hex
//                                        HMAC-SHA256 of the exact body bytes, keyed with the
//                                        secret; compare in constant time
// Body (schema version 1; fields are only ever added):
//   {
//     "version": 1,
//     "event": "firing" | "reminder" | "resolved",
//     "idempotency_key": "outage-42/level-1/firing",
//     "outage_id": 42,
//     "agency": {"id": "dukcapil", "name": "Dinas Kependudukan dan Pencatatan Sipil"},
//     "service": {"id": "akta-online", "name": "Layanan Akta Kelahiran Online"},
//     "check": "portal",                    failing check id
//     "reason": "http 503",                 what the check saw
//     "since": "2026-11-28T19:00:05+07:00", outage start, RFC 3339 in the city's offset
//     "level": 1,                           escalation level reached
//     "link": "https://status.example.go.id/outages/42"   may be ""
//   }
// Strings are UTF-8; invalid bytes in names or reasons are replaced by U+FFFD.
//
// Answers: 2xx delivered; 408, 429 and 5xx retryable (Retry-After seconds or date
// honoured); any other status rejected for good; transport errors and timeouts retryable.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "notify/channel.hpp"

namespace pantau {

struct webhook_options {
    std::string name;                  // channel name
    std::string url;                   // http:// or https://
    std::optional<std::string> secret; // signs the body when set
    std::chrono::milliseconds timeout{10'000};
};

std::unique_ptr<channel> make_webhook_channel(curl_multi& curl, webhook_options options);

// The body described above, as sent.
std::string webhook_payload(const notification& n);

// Lower-case hex HMAC-SHA256 of data keyed with key.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

} // namespace pantau
