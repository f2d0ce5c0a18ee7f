// The watching loop: schedules every configured check on the event loop, runs its probe,
// feeds the health state machine and derives service states. One instance per daemon.
// It tells its one listener (the coordinator, runtime/coordinator.hpp) what changed; it
// knows nothing of outages, the ledger or notifications.
//
// Time: monotonic time from the time_source schedules the checks (its timer is the
// scheduler's only wait); wall time stamps the changes.
//
// Thread-safety: none; everything runs on the io_context's thread, including readers of
// the state (the HTTP server lives on the same loop).
#pragma once

#include <boost/asio/io_context.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "core/flapping.hpp"
#include "core/health.hpp"
#include "core/probe_result.hpp"
#include "core/schedule.hpp"
#include "core/time_source.hpp"
#include "probes/probe.hpp"

namespace pantau {

class curl_multi;

struct check_runtime {
    std::string agency{};
    std::string service{};
    std::string key{}; // "agency/service/check", stable across reloads
    check_config cfg{};
    std::unique_ptr<probe> prober{};
    health_tracker health{thresholds{}};
    flap_detector flapping{};
    schedule::check_id schedule_id = 0;
    std::size_t service_index = 0;
    std::optional<probe_result> last{}; // most recent completed probe
    std::string failure_reason{};       // reason of the most recent failure, kept while not UP
    std::chrono::system_clock::time_point state_since{};
    std::uint64_t runs = 0;
    bool in_flight = false;
};

struct service_runtime {
    std::string agency{};
    std::string id{};
    std::string name{};
    std::vector<schedule::check_id> checks{};
    service_state state = service_state::unknown;
    std::chrono::system_clock::time_point state_since{};
    std::string cause{};        // "check portal: http 503" while DOWN
    std::string cause_check{};  // "portal": the check that took it down
    std::string cause_reason{}; // "http 503"
};

// Fixed-bucket histogram of schedule lateness, in seconds.
struct lag_histogram {
    static constexpr std::array<double, 10> bounds = {0.001, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,  0.5,  1.0,   5.0};
    std::array<std::uint64_t, bounds.size()> counts{}; // non-cumulative
    std::uint64_t count = 0;
    double sum = 0;
    void observe(double seconds);
};

struct check_change {
    const check_runtime& check;
    transition change;
    std::chrono::system_clock::time_point at;
};

struct service_change {
    const service_runtime& service;
    service_state from;
    service_state to;
    std::chrono::system_clock::time_point at;
};

// Receives state changes as they happen. For one completed probe the calls come in this
// order: on_check_change (if the check's state changed), on_service_change (if the
// service's did), on_flapping (if it started or stopped), on_probe_result (always).
class monitor_listener {
public:
    virtual ~monitor_listener() = default;
    virtual void on_check_change(const check_change& c) = 0;
    virtual void on_service_change(const service_change& c) = 0;
    // A check started or stopped flapping (c.flapping has the new state and percentage).
    virtual void on_flapping(const check_runtime& c, flap_change change,
                             std::chrono::system_clock::time_point at) = 0;
    // Every completed probe, after the state machine has seen it (c.last is the result).
    virtual void on_probe_result(const check_runtime& c,
                                 std::chrono::system_clock::time_point at) = 0;
};

// Makes the probe of a check (make_probe in production; tests pass scripted probes).
using probe_maker = std::function<std::unique_ptr<probe>(probe_context&, const check_spec&,
                                                         const std::string& key)>;

class monitor final {
public:
    // `clock` and `curl` must outlive the monitor.
    monitor(boost::asio::io_context& io, curl_multi& curl, time_source& clock, std::uint64_t seed,
            probe_maker make = make_probe);
    ~monitor();
    monitor(const monitor&) = delete;
    monitor& operator=(const monitor&) = delete;

    // Applies a validated configuration. On the first call it creates everything; later
    // calls (reload) keep the state of checks whose key is unchanged, replace the probe of
    // checks whose probe settings changed, add new checks and drop removed ones.
    void apply(const config& cfg);

    void start();
    // Cancels the timer and every probe in flight; no handler runs afterwards.
    void stop();

    // A heartbeat for the check `key` ("agency/service/check") arrived at `at`. A check that
    // is not up is judged again at once. nullptr when there is no such heartbeat check.
    const check_runtime* push(const std::string& key, std::chrono::system_clock::time_point at);
    // The heartbeat check of service `service` (ids are unique) named `check`, or nullptr.
    const check_runtime* find_heartbeat(std::string_view service, std::string_view check) const;

    // The one listener told of every change (nullptr: nobody); it must outlive the monitor
    // or be replaced first.
    void set_listener(monitor_listener* l) { listener_ = l; }

    const std::vector<std::unique_ptr<check_runtime>>& checks() const { return checks_; }
    const std::vector<service_runtime>& services() const { return services_; }
    const lag_histogram& lag() const { return lag_; }
    // Completed probes by type and result, indexed by probe_status (success, failure, idle).
    const std::map<std::string, std::array<std::uint64_t, 3>>& probe_counts() const {
        return probe_counts_;
    }
    std::uint64_t skipped() const { return schedule_.skipped(); }
    std::size_t in_flight() const { return schedule_.in_flight(); }
    std::size_t check_count() const { return schedule_.size(); }

private:
    void arm();
    void on_timer();
    void on_result(schedule::check_id id, probe_result result);
    void update_service(std::size_t index, std::chrono::system_clock::time_point now);

    time_source& clock_;
    probe_context probe_ctx_;
    probe_maker make_probe_;
    std::unique_ptr<timer> timer_;
    std::optional<mono_time> armed_for_;
    schedule schedule_;
    std::vector<std::unique_ptr<check_runtime>> checks_; // indexed by schedule id; null = removed
    std::unordered_map<std::string, schedule::check_id> by_key_;
    std::vector<service_runtime> services_;
    lag_histogram lag_;
    std::map<std::string, std::array<std::uint64_t, 3>> probe_counts_;
    std::vector<schedule::start> due_; // reused buffer
    std::minstd_rand rng_;
    monitor_listener* listener_ = nullptr;
    bool running_ = false;
};

} // namespace pantau
