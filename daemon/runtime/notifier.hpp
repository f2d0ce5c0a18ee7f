// Delivers what the outage book decides (core/outage_book.hpp, through the coordinator):
// the durable outbox of notifications. It decides nothing about who is told what.
//
// Every message is written to the ledger (notification_queued, with the whole message)
// before its first attempt and marked after (notification_sent with result "delivered",
// or "rejected" when the receiver refused it for good). Each channel has its own queue,
// delivered in order one message at a time with the channel's own timeout, so a slow or
// dead channel delays only itself, never probing or other channels. Failed attempts are
// retried with exponential backoff and jitter (core/backoff), honouring Retry-After.
// After a restart, messages queued and not marked are sent again, with the same
// idempotency key, so receivers can drop the duplicate of one delivered just before a
// crash.
//
// If the ledger cannot be written, messages are still sent (alerting comes first); their
// events wait in the recorder's queue like every other event.
//
// Time: retries and lease refreshes wait on timers of the time_source (monotonic); the
// ledger events are stamped with its wall time.
//
// Thread-safety: none; everything runs on the daemon's event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/backoff.hpp"
#include "core/notification.hpp"
#include "core/time_source.hpp"
#include "ledger/ledger.hpp"
#include "notify/channel.hpp"
#include "runtime/recorder.hpp"

namespace pantau {

class curl_multi;

struct notifier_options {
    backoff_policy backoff{};
    std::size_t max_queue = 10000; // per channel; the oldest message is dropped beyond it
};

struct channel_figures {
    std::string name;
    std::uint64_t delivered = 0;
    std::uint64_t failed = 0;   // attempts that failed and will be retried
    std::uint64_t rejected = 0; // messages the receiver refused for good
    std::uint64_t dropped = 0;  // lost because the queue was full
    std::size_t pending = 0;    // queued, not delivered yet (including the one in flight)
};

class notifier final {
public:
    using channel_factory = std::function<std::unique_ptr<channel>(
        curl_multi&, const channel_config&, std::string& error)>;

    // `clock`, `curl` and `rec` must outlive the notifier.
    notifier(time_source& clock, curl_multi& curl, recorder& rec, std::uint64_t seed,
             notifier_options options = {}, channel_factory factory = make_channel);
    ~notifier();
    notifier(const notifier&) = delete;
    notifier& operator=(const notifier&) = delete;

    // Builds the channels of `cfg` (kept when their settings are unchanged) and takes its
    // retry policy. Returns an error naming the channel and where it is written, or ""
    // when everything is applied; on error nothing changes.
    std::string apply(const config& cfg);

    void start();
    // Cancels timers and sends in flight; pending messages stay in the ledger.
    void stop();

    // Queues a message: written to the ledger (notification_queued, the whole message)
    // first, then sent in its channel's turn. A channel that does not exist is logged.
    void enqueue(outbound o);
    // After a restart: the ledger's notification events (see ledger_snapshot::events).
    // Messages queued and not marked sent go out again, with the same key; lease-based
    // receivers are refreshed again about the outages in `open` (ids).
    void restore(const std::vector<ledger_event>& events, const std::set<std::int64_t>& open);
    // Outage `id` is over: lease-based receivers are no longer refreshed about it.
    void forget(std::int64_t outage_id);

    std::vector<channel_figures> figures() const;

private:
    struct item {
        outbound out;
        unsigned failures = 0;
        mono_time next_attempt{};
    };
    struct lane {
        std::unique_ptr<channel> ch;
        channel_config cfg;
        std::deque<item> queue;
        bool in_flight = false;
        bool removed = false; // gone from the configuration; kept until drained
        std::unique_ptr<timer> retry_timer;
        std::unique_ptr<timer> refresh_timer;
        // Lease-based receivers: the latest firing message of each open outage.
        std::map<std::int64_t, notification> firing;
        channel_figures figures;
        std::optional<mono_time> last_warning;
    };

    void queue(outbound o);
    void pump(const std::string& name);
    void on_sent(const std::string& name, send_result r);
    void arm_refresh(lane& l);
    void remember_firing(lane& l, const outbound& o);

    time_source& clock_;
    curl_multi& curl_;
    recorder& recorder_;
    notifier_options options_;
    channel_factory factory_;
    std::map<std::string, lane> lanes_;
    std::minstd_rand rng_;
    bool running_ = false;
};

} // namespace pantau
