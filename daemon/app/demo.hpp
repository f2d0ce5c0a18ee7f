// `pantau demo`: a simulated municipality on loopback, watched by a real daemon.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace pantau {

struct demo_options {
    std::string listen = "127.0.0.1:9470";
    std::string dir = "pantau-demo";
    std::optional<std::chrono::milliseconds> run_for;
};

// Starts the simulated services, writes DIR/pantau.yaml pointing at them and runs the
// daemon on it. Returns the exit code.
int run_demo(const demo_options& options);

} // namespace pantau
