// Push check (dead man's switch): judges the heartbeats a job sends to the API.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "probes/probe.hpp"

namespace pantau {

// The latest heartbeat of each heartbeat check, by check key. Kept across reloads (the
// probe context outlives probes), restored from the ledger at start.
class heartbeat_board {
public:
    using time_point = std::chrono::system_clock::time_point;

    // Keeps the later of `at` and what is already known.
    void record(const std::string& key, time_point at);
    std::optional<time_point> last(const std::string& key) const;

private:
    std::unordered_map<std::string, time_point> last_;
};

// The context's heartbeat board, created on first use (by a probe or by the first push).
heartbeat_board& heartbeats_of(probe_context& ctx);

std::unique_ptr<probe> make_heartbeat_probe(probe_context& ctx, const heartbeat_check& spec,
                                            const std::string& key);

} // namespace pantau
