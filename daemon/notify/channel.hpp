// A notification channel delivers one message about an outage to one destination (a
// webhook, a Telegram chat, ...). Channels only send: ordering, retries with backoff, the
// durable outbox and escalation belong to their owner, which decides from send_result.
//
// Thread-safety: none. Every member function must be called on the io_context thread that
// drives the curl_multi the channel was made with; completions run there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/notification.hpp"

namespace pantau {

class curl_multi;
struct channel_config;

// The outcome of one delivery attempt.
struct send_result {
    bool ok = false;
    // Whether trying again later can help (timeouts, 5xx, 429); false for rejections that
    // will repeat (most 4xx, bad configuration).
    bool retryable = false;
    // The receiver asked to wait at least this long before the next attempt.
    std::optional<std::chrono::milliseconds> retry_after;
    // For logs and the ledger: "http 503: ...", "timeout after 10s". Never holds secrets.
    std::string detail;
};

class channel {
public:
    using send_handler = std::function<void(send_result)>;

    virtual ~channel() = default;
    channel() = default;
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;
    channel(channel&&) = delete;
    channel& operator=(channel&&) = delete;

    // Starts delivering n (copied; the caller need not keep it). Several sends may be in
    // flight. Each is bounded by the channel's timeout (setting `timeout`, default 10s; 30s
    // for e-mail):
    // a receiver that does not answer in time yields {ok: false, retryable: true}.
    // done runs exactly once, on the io_context thread, never from inside this call,
    // unless cancel() or the channel's destruction comes first. done must not throw.
    virtual void async_send(const notification& n, send_handler done) = 0;

    // Abandons every send in flight; their handlers are not called. The destructor does
    // the same. The curl_multi must outlive the channel.
    virtual void cancel() = 0;

    // The channel's name in the configuration, e.g. "ops-telegram".
    virtual const std::string& name() const = 0;

    // Channels whose receiver forgets a firing alert unless it is sent again (Alertmanager's
    // lease: an alert without updates resolves itself at its endsAt) return the period at
    // which their owner re-sends the latest firing notification of every outage that is
    // still open and was notified to this channel. Re-sends go straight to async_send, not
    // through the outbox. nullopt (the default): send once.
    virtual std::optional<std::chrono::milliseconds> refresh_every() const { return std::nullopt; }
};

// Builds the channel a `channels:` entry describes, checking its settings (required and
// unknown keys, URLs, durations). On failure returns nullptr and sets error to a message
// naming the channel, e.g. `channel "ops-hook": webhook needs url`. Types: webhook,
// telegram, email, alertmanager (settings in their headers and the README).
std::unique_ptr<channel> make_channel(curl_multi& curl, const channel_config& config,
                                      std::string& error);

} // namespace pantau
