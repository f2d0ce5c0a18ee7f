// The one small interface every probe type implements.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/check_spec.hpp"
#include "core/probe_result.hpp"
#include "core/time_source.hpp"

namespace boost::asio {
class io_context;
}

namespace pantau {

class curl_multi;
class tls_context_cache;
class heartbeat_board;
class host_cache;

using probe_handler = std::function<void(probe_result)>;

// One configured check's probe. Not thread-safe: used on the event loop thread only.
class probe {
public:
    virtual ~probe() = default;

    // Starts one run bounded by `timeout`. `done` is called exactly once, on the event
    // loop and never from inside this call, unless cancel() comes first. At most one run
    // at a time: starting a second while one is in flight is a programming error.
    virtual void async_run(std::chrono::milliseconds timeout, probe_handler done) = 0;

    // Abandons the run in flight, if any; its handler is not called.
    virtual void cancel() = 0;

    // Short type name for metrics ("http").
    virtual const char* type() const = 0;
};

// What probes need from the runtime. Outlives every probe made from it.
struct probe_context {
    probe_context(boost::asio::io_context& io_ctx, curl_multi& multi) : io(io_ctx), curl(multi) {}

    boost::asio::io_context& io;
    curl_multi& curl;
    // TLS client contexts (trust stores) shared by the TLS probes that use the same CA
    // file, created on first use: a trust store is large, a check is not.
    std::shared_ptr<tls_context_cache> tls_contexts;
    // Host name answers for the plain-http fast path (see http_fast_probe.hpp), created
    // on first use.
    std::shared_ptr<host_cache> hosts;
    // Heartbeats received, by check key; created on first use.
    std::shared_ptr<heartbeat_board> heartbeats;
    // The clock of probes that judge by wall time (heartbeat lateness, activity windows and
    // service hours); null: the system clock (one-off probes of the CLI).
    const time_source* clock = nullptr;

    wall_time wall_now() const {
        return clock != nullptr ? clock->wall_now() : std::chrono::system_clock::now();
    }
};

// Makes the probe for a check's configuration. `key` ("agency/service/check") names the
// check for probes that are fed from outside (heartbeat).
std::unique_ptr<probe> make_probe(probe_context& ctx, const check_spec& spec,
                                  const std::string& key = {});

// A result known without I/O (heartbeat, an idle activity check), delivered from the event
// loop as probes promise, unless cancelled first.
class deferred_result {
public:
    void post(boost::asio::io_context& io, probe_result r, probe_handler done);
    void cancel() { pending_.reset(); }

private:
    std::shared_ptr<probe_handler> pending_;
};

} // namespace pantau
