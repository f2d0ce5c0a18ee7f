// The Bekasi detector: reads a counter over HTTP and requires it to keep increasing while
// the service is open (core/activity.hpp judges; this file fetches and reads the number).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "probes/probe.hpp"

namespace pantau {

// The number at spec.pointer in a JSON body (a number, or a string holding one), or the
// sum of the spec.metric samples in a Prometheus text body. On failure returns nullopt and
// sets `error` ("no value at /antrian/dilayani_hari_ini in the answer").
std::optional<double> read_activity_value(const activity_check& spec, std::string_view body,
                                          std::string& error);

std::unique_ptr<probe> make_activity_probe(probe_context& ctx, const activity_check& spec);

} // namespace pantau
