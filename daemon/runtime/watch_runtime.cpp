#include "runtime/watch_runtime.hpp"

#include "config/config.hpp"

namespace pantau {

watch_runtime::watch_runtime(boost::asio::io_context& io, curl_multi& curl, time_source& clock,
                             pantau::recorder::opener open_ledger, watch_options options)
    : clock_(clock)
    , monitor_(io, curl, clock, options.seed, std::move(options.probes))
    , recorder_(clock, std::move(open_ledger), options.recording)
    , notifier_(clock, curl, recorder_, options.seed + 1, options.notifying,
                std::move(options.channels))
    , coordinator_(clock, recorder_, notifier_) {}

watch_runtime::~watch_runtime() {
    // Without stop(): the ledger is not told (as when the process is killed); only the
    // monitor's listener goes before the coordinator does.
    monitor_.stop();
    monitor_.set_listener(nullptr);
}

std::string watch_runtime::start(const config& cfg) {
    if (std::string err = coordinator_.apply(cfg); !err.empty()) {
        return err;
    }
    recorder_.start(clock_.wall_now());
    monitor_.set_listener(&coordinator_);
    monitor_.apply(cfg);
    for (const ledger_event& e : recorder_.last_heartbeats()) {
        monitor_.push(e.agency + "/" + e.service + "/" + e.check, e.at);
    }
    coordinator_.start();
    monitor_.start();
    running_ = true;
    return {};
}

std::string watch_runtime::reload(const config& cfg) {
    if (std::string err = coordinator_.apply(cfg); !err.empty()) {
        return err;
    }
    monitor_.apply(cfg);
    return {};
}

void watch_runtime::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    monitor_.stop();
    coordinator_.stop();
    recorder_.stop(clock_.wall_now());
}

} // namespace pantau
