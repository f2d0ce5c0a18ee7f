// The daemon: one Asio event loop carrying the monitor, the HTTP server and signal
// handling. Used by `pantau run` and `pantau demo`.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace pantau {

struct daemon_options {
    std::string config_path;
    // Overrides the configuration's listen address (the demo uses it).
    std::optional<std::string> listen_override;
    // Stop by itself after this long (tests and the demo's --for).
    std::optional<std::chrono::milliseconds> run_for;
    // Called on the loop once the HTTP server is listening, with its base URL.
    std::function<void(const std::string& base_url)> on_listening;
};

// Runs until SIGINT/SIGTERM (or run_for). SIGHUP and POST /-/reload reload the
// configuration; a bad file is reported and the running configuration kept.
// Returns the process exit code.
int run_daemon(const daemon_options& options);

} // namespace pantau
