// /metrics: Prometheus text exposition of the monitor's state.
//
// Per-check series (a million at 100,000 checks) are written straight from the monitor's
// compact state; daemon-wide metrics live in a prometheus-cpp registry and go through its
// text serializer. Call render() on the event loop thread.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace pantau {

class monitor;

class metrics_endpoint final {
public:
    explicit metrics_endpoint(const monitor& m);

    // Registry for daemon-wide metrics owned by other components.
    prometheus::Registry& registry() { return *registry_; }

    // pantau_config_last_reload_success and its timestamp.
    void set_reload_result(bool ok, double unix_seconds);

    std::string render() const;

private:
    const monitor& monitor_;
    std::shared_ptr<prometheus::Registry> registry_;
    std::shared_ptr<prometheus::Collectable> monitor_collector_;
    prometheus::Gauge* reload_success_ = nullptr;
    prometheus::Gauge* reload_timestamp_ = nullptr;
};

// Appends `value` escaped for a label value in the text format.
void append_label_value(std::string& out, std::string_view value);

} // namespace pantau
