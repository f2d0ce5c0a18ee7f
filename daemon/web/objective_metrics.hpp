// pantau_service_objective_ratio{agency,service}: each service's availability objective as a
// ratio (99.5% -> 0.995), so dashboards and alert rules can compare availability against it.
// Services without an objective have no series.
#pragma once

#include <prometheus/collectable.h>

#include <memory>

namespace pantau {

struct config;

// `cfg` is read at every scrape (a reload applies) and must outlive the collector.
std::shared_ptr<prometheus::Collectable> make_objective_collector(const config& cfg);

} // namespace pantau
