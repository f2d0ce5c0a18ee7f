#include "runtime/monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/duration.hpp"
#include "core/text.hpp"
#include "io/curl_multi.hpp"
#include "probes/heartbeat_probe.hpp"

namespace pantau {

namespace {

thresholds thresholds_of(const check_config& c) {
    return thresholds{c.failure_threshold, c.success_threshold};
}

} // namespace

void lag_histogram::observe(double seconds) {
    ++count;
    sum += seconds;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (seconds <= bounds[i]) {
            ++counts[i];
            return;
        }
    }
}

monitor::monitor(boost::asio::io_context& io, curl_multi& curl, time_source& clock,
                 std::uint64_t seed, probe_maker make)
    : clock_(clock)
    , probe_ctx_{io, curl}
    , make_probe_(std::move(make))
    , timer_(clock.make_timer())
    , schedule_(clock.mono_now(), 4096)
    , rng_(static_cast<std::minstd_rand::result_type>(seed)) {
    probe_ctx_.clock = &clock_;
}

monitor::~monitor() {
    try {
        stop();
    } catch (...) {
        // Cancelling cannot meaningfully fail; never throw from a destructor.
    }
}

void monitor::apply(const config& cfg) {
    const mono_time now = clock_.mono_now();
    const auto wall = clock_.wall_now();
    schedule_.set_max_in_flight(cfg.max_in_flight);

    std::unordered_map<std::string, schedule::check_id> seen;
    std::vector<service_runtime> services;
    std::map<std::string, service_runtime*> old_services;
    for (service_runtime& s : services_) {
        old_services[s.agency + "/" + s.id] = &s;
    }

    for (const service_config& svc : cfg.services) {
        service_runtime sr;
        sr.agency = svc.agency;
        sr.id = svc.id;
        sr.name = svc.name.empty() ? svc.id : svc.name;
        sr.state_since = wall;
        if (auto it = old_services.find(svc.agency + "/" + svc.id); it != old_services.end()) {
            sr.state = it->second->state;
            sr.state_since = it->second->state_since;
            sr.cause = it->second->cause;
            sr.cause_check = it->second->cause_check;
            sr.cause_reason = it->second->cause_reason;
        }
        const std::size_t service_index = services.size();
        for (const check_config& cc : svc.checks) {
            const std::string key = svc.agency + "/" + svc.id + "/" + cc.id;
            const auto phase = stable_phase(key, cc.interval);
            auto existing = by_key_.find(key);
            schedule::check_id id = 0;
            if (existing != by_key_.end()) {
                id = existing->second;
                check_runtime& c = *checks_[id];
                const bool spec_changed = !(c.cfg.spec == cc.spec);
                const bool timing_changed = c.cfg.interval != cc.interval;
                c.health.set_limits(thresholds_of(cc));
                c.cfg = cc;
                if (spec_changed) {
                    c.prober->cancel();
                    c.prober = make_probe_(probe_ctx_, cc.spec, key);
                    if (c.in_flight) {
                        // Release the abandoned run's slot; re-check now with the new settings.
                        c.in_flight = false;
                        schedule_.finish(id, now, std::chrono::nanoseconds{0},
                                         std::chrono::nanoseconds{0});
                    }
                }
                if (timing_changed) {
                    schedule_.update(id, cc.interval, phase, now);
                }
            } else {
                id = schedule_.add(cc.interval, phase, now);
                auto c = std::make_unique<check_runtime>(
                    check_runtime{svc.agency,
                                  svc.id,
                                  key,
                                  cc,
                                  make_probe_(probe_ctx_, cc.spec, key),
                                  health_tracker(thresholds_of(cc)),
                                  flap_detector{},
                                  id,
                                  0,
                                  std::nullopt,
                                  {},
                                  wall,
                                  0,
                                  false});
                if (checks_.size() <= id) {
                    checks_.resize(id + 1);
                }
                checks_[id] = std::move(c);
            }
            checks_[id]->service_index = service_index;
            checks_[id]->service = svc.id;
            seen[key] = id;
            sr.checks.push_back(id);
        }
        services.push_back(std::move(sr));
    }

    for (const auto& [key, id] : by_key_) {
        if (seen.count(key) == 0) {
            if (checks_[id]->prober) {
                checks_[id]->prober->cancel();
            }
            schedule_.remove(id);
            checks_[id].reset();
        }
    }
    by_key_ = std::move(seen);
    services_ = std::move(services);
    if (running_) {
        armed_for_.reset();
        arm();
    }
}

void monitor::start() {
    running_ = true;
    arm();
}

void monitor::stop() {
    running_ = false;
    timer_->cancel();
    armed_for_.reset();
    for (auto& c : checks_) {
        if (c && c->in_flight) {
            c->prober->cancel();
            c->in_flight = false;
        }
    }
}

void monitor::arm() {
    if (!running_) {
        return;
    }
    const std::optional<mono_time> next = schedule_.next_wakeup();
    if (!next) {
        return; // a finishing probe re-arms
    }
    if (armed_for_ && *armed_for_ <= *next) {
        return;
    }
    armed_for_ = *next;
    timer_->async_wait_until(*next, [this] { on_timer(); });
}

void monitor::on_timer() {
    armed_for_.reset();
    const mono_time now = clock_.mono_now();
    due_.clear();
    schedule_.take_due(now, due_);
    for (const schedule::start& s : due_) {
        lag_.observe(std::chrono::duration<double>(s.lag).count());
        check_runtime& c = *checks_[s.check];
        const schedule::check_id id = s.check;
        c.in_flight = true;
        c.prober->async_run(c.cfg.timeout,
                            [this, id](probe_result r) { on_result(id, std::move(r)); });
    }
    arm();
}

void monitor::on_result(schedule::check_id id, probe_result result) {
    const mono_time now = clock_.mono_now();
    const auto wall = clock_.wall_now();
    if (id >= checks_.size() || !checks_[id]) {
        return;
    }
    check_runtime& c = *checks_[id];
    c.in_flight = false;
    ++c.runs;
    auto& counts = probe_counts_[c.prober->type()];
    ++counts[static_cast<std::size_t>(result.status)];
    if (result.status == probe_status::failure) {
        c.failure_reason = result.reason;
    }
    std::optional<transition> t = c.health.observe(result.status, result.reason);
    c.last = std::move(result);
    if (t) {
        c.state_since = wall;
        if (t->to == check_state::up) {
            c.failure_reason.clear();
        }
        if (t->to == check_state::down || t->to == check_state::pending) {
            spdlog::warn("check {} {} -> {}: {}", c.key, to_string(t->from), to_string(t->to),
                         t->reason);
        } else {
            spdlog::info("check {} {} -> {}: {}", c.key, to_string(t->from), to_string(t->to),
                         t->reason);
        }
        if (listener_ != nullptr) {
            listener_->on_check_change(check_change{c, *t, wall});
        }
        update_service(c.service_index, wall);
    }
    std::optional<flap_change> flap;
    if (c.last->status != probe_status::idle) { // not judged: no state change to count
        flap = c.flapping.observe(c.last->status == probe_status::success);
    }
    if (flap) {
        if (*flap == flap_change::started) {
            spdlog::warn("check {} is flapping ({:.0f}% state change over the last {} results)",
                         c.key, c.flapping.percent(), flap_detector::window);
        } else {
            spdlog::info("check {} stopped flapping ({:.0f}% state change)", c.key,
                         c.flapping.percent());
        }
        if (listener_ != nullptr) {
            listener_->on_flapping(c, *flap, wall);
        }
    }
    if (listener_ != nullptr) {
        listener_->on_probe_result(c, wall);
    }
    std::optional<std::chrono::nanoseconds> retry;
    if (c.health.deciding()) {
        retry = c.cfg.retry_interval;
    }
    const auto max_jitter = std::min<std::chrono::nanoseconds>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(c.cfg.interval) / 100,
        std::chrono::seconds{1});
    std::chrono::nanoseconds jitter{0};
    if (max_jitter.count() > 0) {
        jitter = std::chrono::nanoseconds{
            std::uniform_int_distribution<std::int64_t>(0, max_jitter.count())(rng_)};
    }
    schedule_.finish(id, now, retry, jitter);
    arm();
}

const check_runtime* monitor::find_heartbeat(std::string_view service,
                                             std::string_view check) const {
    for (const service_runtime& s : services_) {
        if (s.id != service) {
            continue;
        }
        for (schedule::check_id id : s.checks) {
            const check_runtime& c = *checks_[id];
            if (c.cfg.id == check && std::holds_alternative<heartbeat_check>(c.cfg.spec)) {
                return &c;
            }
        }
    }
    return nullptr;
}

const check_runtime* monitor::push(const std::string& key,
                                   std::chrono::system_clock::time_point at) {
    const auto it = by_key_.find(key);
    if (it == by_key_.end() || !checks_[it->second] ||
        !std::holds_alternative<heartbeat_check>(checks_[it->second]->cfg.spec)) {
        return nullptr;
    }
    check_runtime& c = *checks_[it->second];
    heartbeats_of(probe_ctx_).record(key, at);
    if (running_ && c.health.state() != check_state::up) {
        schedule_.run_now(c.schedule_id, clock_.mono_now());
        arm();
    }
    return &c;
}

void monitor::update_service(std::size_t index, std::chrono::system_clock::time_point now) {
    if (index >= services_.size()) {
        return;
    }
    service_runtime& s = services_[index];
    std::vector<check_state> states;
    states.reserve(s.checks.size());
    const check_runtime* first_down = nullptr;
    for (schedule::check_id id : s.checks) {
        const check_runtime& c = *checks_[id];
        states.push_back(c.health.hard_state());
        if (!first_down && c.health.state() == check_state::down) {
            first_down = &c;
        }
    }
    const service_state next = derive_service_state(states);
    if (next == s.state) {
        return;
    }
    const service_state before = s.state;
    const auto lasted = now - s.state_since;
    s.state = next;
    s.state_since = now;
    if (next == service_state::down && first_down) {
        s.cause = "check " + first_down->cfg.id + ": " + first_down->failure_reason;
        s.cause_check = first_down->cfg.id;
        s.cause_reason = first_down->failure_reason;
        spdlog::error("service {}/{} is DOWN: {}", s.agency, s.id, s.cause);
    } else if (before == service_state::down) {
        spdlog::info("service {}/{} is {} after {} down (was: {})", s.agency, s.id,
                     next == service_state::up ? "UP again" : to_string(next),
                     text::short_duration(lasted), s.cause);
        s.cause.clear();
        s.cause_check.clear();
        s.cause_reason.clear();
    } else {
        spdlog::info("service {}/{} is {}", s.agency, s.id, to_string(next));
    }
    if (listener_ != nullptr) {
        listener_->on_service_change(service_change{s, before, next, now});
    }
}

} // namespace pantau
