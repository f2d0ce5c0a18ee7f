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
#include <vector>

namespace pantau {

class monitor;
class notifier;
class outage_book;
class recorder;

class metrics_endpoint final {
public:
    explicit metrics_endpoint(const monitor& m);

    // Registry for daemon-wide metrics owned by other components.
    prometheus::Registry& registry() { return *registry_; }

    // pantau_config_last_reload_success and its timestamp.
    void set_reload_result(bool ok, double unix_seconds);

    // Adds figures rendered at scrape time (the recorder's, for example).
    void add_collectable(std::shared_ptr<prometheus::Collectable> c);

    std::string render() const;

private:
    std::vector<std::shared_ptr<prometheus::Collectable>> extra_;
    const monitor& monitor_;
    std::shared_ptr<prometheus::Registry> registry_;
    std::shared_ptr<prometheus::Collectable> monitor_collector_;
    prometheus::Gauge* reload_success_ = nullptr;
    prometheus::Gauge* reload_timestamp_ = nullptr;
};

// Outage and ledger figures: pantau_outage_open, pantau_outages_total,
// pantau_ledger_write_errors_total, pantau_ledger_pending_events, pantau_ledger_up.
// `book` knows the open outages (the coordinator's, runtime/coordinator.hpp).
std::shared_ptr<prometheus::Collectable>
make_recorder_collector(const recorder& r, const outage_book& book, const monitor& m);

// Notification figures: pantau_notifications_total{channel,result},
// pantau_outbox_pending{channel}, pantau_escalation_level{agency,service}.
std::shared_ptr<prometheus::Collectable>
make_notifier_collector(const notifier& n, const outage_book& book, const monitor& m);

// Appends `value` escaped for a label value in the text format.
void append_label_value(std::string& out, std::string_view value);

} // namespace pantau
