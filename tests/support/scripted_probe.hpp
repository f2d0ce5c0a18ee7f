// Probes for tests, made through the monitor's probe_maker: a check answers what the test
// scripted for it ("agency/service/check" -> status and reason), from the event loop like
// every probe. Heartbeat and activity checks get their real probes (they judge by the
// clock, which is the test's), unless scripted too.
//
// Thread-safety: none; used on the test's event loop.
#pragma once

#include <boost/asio/io_context.hpp>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/probe_result.hpp"
#include "runtime/monitor.hpp"

namespace pantau::test {

class probe_script {
public:
    probe_script() = default;
    probe_script(const probe_script&) = delete;
    probe_script& operator=(const probe_script&) = delete;

    // For the monitor. The script must outlive the probes it makes.
    probe_maker maker();

    // From now on, runs of check `key` answer `status` with `reason` ("http 503").
    void set(const std::string& key, probe_status status, std::string reason = {});
    // The next runs of check `key` answer these, in order; the last one then stays.
    void sequence(const std::string& key, const std::vector<probe_status>& statuses);
    void up(const std::string& key) { set(key, probe_status::success, "http 200"); }
    void down(const std::string& key, std::string reason = "http 503") {
        set(key, probe_status::failure, std::move(reason));
    }

    // Runs of check `key` started so far.
    std::size_t runs(const std::string& key) const;

private:
    class scripted_probe;

    std::map<std::string, std::deque<probe_result>> results_; // never empty once set
    std::map<std::string, std::size_t> runs_;
};

} // namespace pantau::test
