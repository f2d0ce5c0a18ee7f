// The daemon's runtime (runtime/watch_runtime.hpp) in the test's hands: a manual clock,
// scripted probes, recording channels and a real SQLite ledger in a scratch folder. The
// test moves time with clock.advance(); nothing waits for real time. crash() drops the
// runtime without stopping it (as kill -9 would) and restart() starts a new one on the same
// ledger, with the same receivers, whenever the test says.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "fixtures/temp_dir.hpp"
#include "io/curl_multi.hpp"
#include "runtime/watch_runtime.hpp"
#include "support/manual_clock.hpp"
#include "support/recording_channel.hpp"
#include "support/scripted_probe.hpp"

namespace pantau::test {

class runtime_rig {
public:
    // `yaml`: a configuration without `ledger:` (the rig's ledger is used). Time starts at
    // `start`. Fails the test when the configuration is invalid.
    runtime_rig(const std::string& yaml, wall_time start, recorder_options recording = {});
    ~runtime_rig();
    runtime_rig(const runtime_rig&) = delete;
    runtime_rig& operator=(const runtime_rig&) = delete;

    // Starts a runtime on the ledger (the first, or one after crash()/stop()).
    void start();
    // Stops the runtime as SIGTERM does (the stop is recorded), then drops it.
    void stop();
    // Drops the runtime without stopping it: nothing more is written, as after kill -9.
    void crash();
    void restart() { start(); }

    watch_runtime& rt() { return *runtime_; }
    const outage_book& book() const { return runtime_->coordinator().book(); }
    // The check "agency/service/check"; fails the test when there is none.
    const check_runtime& check(const std::string& key) const;
    // The service "agency/service"; fails the test when there is none.
    const service_runtime& service(const std::string& key) const;
    // What POST /api/v1/heartbeat/... does: records the heartbeat and feeds the check.
    void beat(const std::string& check_key);
    // The outage as the ledger has it (read through the recorder).
    std::optional<outage_record> outage(std::int64_t id);
    // The ledger, read-only (e.g. for gaps and events).
    std::unique_ptr<ledger> read_ledger() const;

    boost::asio::io_context io;
    manual_clock clock;
    curl_multi curl;
    recording_inbox inbox;
    probe_script probes;
    temp_dir dir;
    std::string ledger_path;
    config cfg;

private:
    recorder_options recording_;
    std::unique_ptr<watch_runtime> runtime_;
};

} // namespace pantau::test
