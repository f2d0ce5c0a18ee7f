// The runtime assembled as the daemon runs it, one way (see runtime/coordinator.hpp):
//
//   monitor ──▶ coordinator ──▶ outage_book (core) ──▶ recorder (ledger) ──▶ notifier
//
// on one event loop and one time_source. The daemon adds the HTTP server, signals and
// metrics around it; tests build it with a manual clock, scripted probes and recording
// channels, and so run exactly the wiring the daemon runs.
//
// start(), in order: the coordinator takes the configuration (channels, policies; a bad
// channel stops here), the recorder opens the ledger (daemon_started, a monitoring gap
// since the last heartbeat), the monitor takes the checks and the last heartbeats of the
// ledger, the coordinator carries on from the ledger (open outages, the outbox, windows
// added through the API), and the monitor starts probing.
//
// Thread-safety: none; everything runs on the event loop's thread.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <string>

#include "core/time_source.hpp"
#include "runtime/coordinator.hpp"
#include "runtime/monitor.hpp"
#include "runtime/notifier.hpp"
#include "runtime/recorder.hpp"

namespace pantau {

class curl_multi;
struct config;

struct watch_options {
    std::uint64_t seed = 1; // probe jitter and retry jitter
    recorder_options recording{};
    notifier_options notifying{};
    notifier::channel_factory channels = make_channel;
    probe_maker probes = make_probe;
};

class watch_runtime {
public:
    // `io`, `curl` and `clock` must outlive the runtime.
    watch_runtime(boost::asio::io_context& io, curl_multi& curl, time_source& clock,
                  pantau::recorder::opener open_ledger, watch_options options = {});
    ~watch_runtime();
    watch_runtime(const watch_runtime&) = delete;
    watch_runtime& operator=(const watch_runtime&) = delete;

    // Starts watching `cfg` (validated). Returns an error naming a channel whose settings
    // are wrong, and then starts nothing; "" otherwise.
    std::string start(const config& cfg);
    // Applies a new validated configuration: channels and policies, then the checks
    // (unchanged checks keep their state). On error (a channel) nothing changes.
    std::string reload(const config& cfg);
    // Stops probing and sending (timers cancelled, probes and sends in flight abandoned)
    // and records the stop in the ledger.
    void stop();

    pantau::monitor& monitor() { return monitor_; }
    const pantau::monitor& monitor() const { return monitor_; }
    pantau::recorder& recorder() { return recorder_; }
    const pantau::recorder& recorder() const { return recorder_; }
    pantau::notifier& notifier() { return notifier_; }
    const pantau::notifier& notifier() const { return notifier_; }
    pantau::coordinator& coordinator() { return coordinator_; }
    const pantau::coordinator& coordinator() const { return coordinator_; }

private:
    time_source& clock_;
    pantau::monitor monitor_;
    pantau::recorder recorder_;
    pantau::notifier notifier_;
    pantau::coordinator coordinator_;
    bool running_ = false;
};

} // namespace pantau
