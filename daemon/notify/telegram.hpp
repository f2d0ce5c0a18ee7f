// Telegram channel: the Bot API's sendMessage.
//
// Request: POST <base_url>/bot<token>/sendMessage, Content-Type: application/json,
//   {"chat_id": -1001234567 (a number when chat_id is an integer, else the string, e.g.
//    "@kanal"), "text": <telegram_text>, "parse_mode": "HTML",
//    "link_preview_options": {"is_disabled": true}, "message_thread_id": N (when set)}
// Answers: {"ok": true, ...} delivered; 429 retryable after parameters.retry_after
// seconds (or Retry-After); 5xx retryable; other errors (bad token, unknown chat, bot
// blocked) rejected for good with Telegram's description. The token never appears in a
// send_result.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "notify/channel.hpp"

namespace pantau {

struct telegram_options {
    std::string name;                                  // channel name
    std::string base_url = "https://api.telegram.org"; // no trailing '/'
    std::string token;                                 // bot token, secret
    std::string chat_id;                               // "-1001234567" or "@kanal"
    std::optional<std::int64_t> message_thread_id;     // forum topic
    std::chrono::milliseconds timeout{10'000};
};

std::unique_ptr<channel> make_telegram_channel(curl_multi& curl, telegram_options options);

// The message, in Indonesian, with every configured or probed text HTML-escaped: which
// service of which agency, since when, failing check and reason, level, link.
std::string telegram_text(const notification& n);

} // namespace pantau
