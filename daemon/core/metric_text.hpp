// Reading one number out of a Prometheus text exposition (what /metrics pages serve), for
// activity checks: `antrian_dilayani_total{loket="1"}`. Pure logic.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pantau {

// A metric name and the labels a sample must carry (it may carry more).
struct metric_selector {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;

    bool operator==(const metric_selector&) const = default;
};

// Parses `name` or `name{label="value",...}`. On failure returns nullopt and sets `error`
// to what is wrong.
std::optional<metric_selector> parse_metric_selector(std::string_view text, std::string& error);

// `name{a="b"}` as written back.
std::string to_string(const metric_selector& s);

struct metric_reading {
    double sum = 0;          // of every matching sample
    std::size_t samples = 0; // how many matched; 0: the metric is absent
};

// Sums the samples in `body` whose name and labels match `sel` (several loket counters add
// up to the office's total). Lines that are not samples (comments, HELP, TYPE) and
// malformed lines are skipped.
metric_reading read_metric(std::string_view body, const metric_selector& sel);

} // namespace pantau
