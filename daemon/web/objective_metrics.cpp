#include "web/objective_metrics.hpp"

#include <prometheus/metric_family.h>

#include "config/config.hpp"

namespace pantau {

namespace {

class objective_collector final : public prometheus::Collectable {
public:
    explicit objective_collector(const config& cfg) : cfg_(cfg) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        prometheus::MetricFamily family{"pantau_service_objective_ratio",
                                        "Availability objective of the service, as a ratio.",
                                        prometheus::MetricType::Gauge,
                                        {}};
        for (const service_config& s : cfg_.services) {
            if (!s.objective) {
                continue;
            }
            prometheus::ClientMetric cm;
            cm.label = {{"agency", s.agency}, {"service", s.id}};
            cm.gauge.value = *s.objective / 100.0;
            family.metric.push_back(std::move(cm));
        }
        std::vector<prometheus::MetricFamily> out;
        out.push_back(std::move(family));
        return out;
    }

private:
    const config& cfg_;
};

} // namespace

std::shared_ptr<prometheus::Collectable> make_objective_collector(const config& cfg) {
    return std::make_shared<objective_collector>(cfg);
}

} // namespace pantau
