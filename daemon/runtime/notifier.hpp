// Delivers what the escalator decides: the durable outbox of notifications.
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
// Thread-safety: none; everything runs on the daemon's event loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/backoff.hpp"
#include "notify/channel.hpp"
#include "runtime/escalator.hpp"
#include "runtime/monitor.hpp"
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

class notifier final : public monitor_listener, public outage_observer {
public:
    using channel_factory = std::function<std::unique_ptr<channel>(
        curl_multi&, const channel_config&, std::string& error)>;

    notifier(boost::asio::io_context& io, curl_multi& curl, recorder& rec, std::uint64_t seed,
             notifier_options options = {}, channel_factory factory = make_channel);
    ~notifier() override;
    notifier(const notifier&) = delete;
    notifier& operator=(const notifier&) = delete;

    // Builds the channels of `cfg` (kept when their settings are unchanged) and takes its
    // policies. Returns an error naming the channel and where it is written, or "" when
    // everything is applied; on error nothing changes.
    std::string apply(const config& cfg);

    void start();
    // Cancels timers and sends in flight; pending messages stay in the ledger.
    void stop();

    // A one-off maintenance window added at run time (the API): recorded in the ledger
    // (maintenance_added) so that it survives restarts, then applied. Its id is set here.
    // Returns whether the ledger has it already (false: queued for the ledger).
    bool add_window(maintenance_window& w, const std::string& by, wall_time now);
    // Removes a window added at run time; false when there is none with that id.
    bool remove_window(const std::string& id, const std::string& by, wall_time now);

    escalator& policy() { return escalator_; }
    const escalator& policy() const { return escalator_; }
    std::vector<channel_figures> figures() const;

    // monitor_listener
    void on_check_change(const check_change& c) override;
    void on_service_change(const service_change& c) override;
    void on_flapping(const check_runtime& c, flap_change change, wall_time at) override;

    // outage_observer
    outage_marks on_outage_opened(std::int64_t id, const service_runtime& s, wall_time at) override;
    void on_outage_closed(std::int64_t id, wall_time at) override;
    void on_outage_acknowledged(const outage_record& o, wall_time at) override;
    void on_restored(const std::vector<outage_record>& open,
                     const std::vector<ledger_event>& notifications) override;

private:
    struct item {
        outbound out;
        unsigned failures = 0;
        std::chrono::steady_clock::time_point next_attempt{};
    };
    struct lane {
        std::unique_ptr<channel> ch;
        channel_config cfg;
        std::deque<item> queue;
        bool in_flight = false;
        bool removed = false; // gone from the configuration; kept until drained
        std::unique_ptr<boost::asio::steady_timer> timer;
        std::unique_ptr<boost::asio::steady_timer> refresh_timer;
        // Lease-based receivers: the latest firing message of each open outage.
        std::map<std::int64_t, notification> firing;
        channel_figures figures;
        std::chrono::steady_clock::time_point last_warning{};
    };

    void schedule_tick();
    void on_tick();
    void queue(outbound o, bool write_ledger);
    void pump(const std::string& name);
    void on_sent(const std::string& name, send_result r);
    void arm_refresh(lane& l);
    void remember_firing(lane& l, const outbound& o);

    boost::asio::io_context& io_;
    curl_multi& curl_;
    recorder& recorder_;
    notifier_options options_;
    channel_factory factory_;
    escalator escalator_{config{}};
    std::map<std::string, lane> lanes_;
    boost::asio::steady_timer tick_;
    std::minstd_rand rng_;
    bool running_ = false;
};

// The ledger data of a maintenance_added event (times in Unix ms), and back.
std::string window_to_json(const maintenance_window& w, const std::string& by);
std::optional<maintenance_window> window_from_json(const std::string& data);

} // namespace pantau
