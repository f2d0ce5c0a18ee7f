// Notification channels for tests, made through the notifier's channel_factory: every
// configured channel becomes one that remembers each message it is asked to deliver
// (with the clock's wall time) and answers as the test says: delivered by default, or a
// scripted send_result. Answers come from the event loop, as real channels' do.
//
// Thread-safety: none; used on the test's event loop.
#pragma once

#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time_source.hpp"
#include "runtime/notifier.hpp"

namespace pantau::test {

// One delivery attempt.
struct delivery {
    std::string channel;
    notification message;
    wall_time at{};
    bool ok = false; // answered as delivered
};

class recording_inbox {
public:
    // `io` and `clock` must outlive the inbox and its channels.
    recording_inbox(boost::asio::io_context& io, const time_source& clock);
    ~recording_inbox() = default;
    recording_inbox(const recording_inbox&) = delete;
    recording_inbox& operator=(const recording_inbox&) = delete;

    // For the notifier: each channel of the configuration, whatever its type, records here.
    notifier::channel_factory factory();

    // From now on, attempts to `channel` get `r` (e.g. {false, true, std::nullopt,
    // "http 503"}: a failure worth retrying); std::nullopt: delivered, the default.
    void answer(const std::string& channel, std::optional<send_result> r);
    // Channels named here are lease-based (refresh_every), like Alertmanager.
    void lease(const std::string& channel, std::chrono::milliseconds every);

    // Every attempt, in order.
    const std::vector<delivery>& attempts() const { return attempts_; }
    // Attempts answered as delivered, in order; with a channel name, only its own.
    std::vector<delivery> delivered(const std::string& channel = {}) const;
    // "channel:kind:level" of each delivered message, in order (e.g. "ops:firing:1").
    std::vector<std::string> summary() const;
    // Forgets what was recorded (answers and leases stay).
    void clear() { attempts_.clear(); }

private:
    class recording_channel;

    boost::asio::io_context& io_;
    const time_source& clock_;
    std::vector<delivery> attempts_;
    std::map<std::string, send_result> answers_;
    std::map<std::string, std::chrono::milliseconds> leases_;
};

} // namespace pantau::test
