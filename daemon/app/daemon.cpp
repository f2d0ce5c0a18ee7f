#include "app/daemon.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <nlohmann/json.hpp>
#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <random>
#include <thread>
#include <variant>

#include "config/config.hpp"
#include "io/curl_multi.hpp"
#include "ledger/ledger_lock.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "probes/probe.hpp"
#include "runtime/asio_time_source.hpp"
#include "runtime/watch_runtime.hpp"
#include "web/api.hpp"
#include "web/http_server.hpp"
#include "web/metrics.hpp"
#include "web/objective_metrics.hpp"
#include "web/probe_endpoint.hpp"
#include "web/status_data.hpp"

namespace pantau {

namespace {

double unix_seconds(wall_time t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::chrono::milliseconds::rep ms_between(mono_time from, mono_time to) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

// Re-allocates `cfg` densely. Why: it was built while yaml-cpp's tree was alive, so its
// many small blocks sit in the gaps between the tree's, spread over the whole heap; once the
// tree is freed, every page holding one of them stays resident and malloc_trim cannot give
// it back (measured: 100,000 checks, 59 MB of config, 330 MB RSS). A copy made on a
// short-lived thread is allocated from that thread's own glibc arena, densely; freeing the
// original then leaves the main heap's pages free to trim (RSS 62 MB). The copy costs a few
// percent of the load time. Without a thread or memory, the config stays where it is.
void compact(config& cfg) noexcept {
    try {
        std::optional<config> copy;
        std::thread copier([&]() noexcept {
            try {
                copy.emplace(cfg);
            } catch (...) {
                copy.reset();
            }
        });
        copier.join();
        if (copy) {
            cfg = std::move(*copy);
        }
    } catch (...) {
        // std::thread could not start (std::system_error): keep the original.
    }
}

// The daemon's memory policy, applied right after every load (start-up and reload, accepted
// or rejected): the loader has freed yaml-cpp's tree of the file, for a large file hundreds
// of MB of small blocks; compact what is kept and hand the free heap back, so the daemon's
// RSS reflects what it keeps for its lifetime. Short-lived commands (check-config, report)
// skip it: their memory goes back when they exit.
void settle_heap_after_load(std::variant<config, config_error>& loaded) noexcept {
    if (auto* cfg = std::get_if<config>(&loaded)) {
        compact(*cfg);
    }
    malloc_trim(0);
}

// Once the monitor and the coordinator have taken what they need of the checks (the monitor
// keeps each check's settings, the outage book their depends_on), the daemon's own copy of the
// configuration keeps services, calendars, channels and the rest but not the checks:
// 100,000 checks would otherwise be held twice (about 100 MB).
void drop_checks(config& cfg) {
    for (service_config& s : cfg.services) {
        std::vector<check_config>().swap(s.checks);
    }
}

// Every probe in flight holds a socket; keep max_in_flight under the open-file limit,
// leaving descriptors for the HTTP server, the ledger and logs.
void fit_to_descriptor_limit(config& cfg) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
        return;
    }
    const auto usable = lim.rlim_cur > 256 ? static_cast<std::size_t>(lim.rlim_cur) - 128 : 128;
    if (cfg.max_in_flight > usable) {
        spdlog::warn("max_in_flight {} exceeds what the open-file limit {} allows; using {} "
                     "(raise LimitNOFILE to allow more)",
                     cfg.max_in_flight, lim.rlim_cur, usable);
        cfg.max_in_flight = usable;
    }
}

// Owns the event loop, the clock and the runtime (runtime/watch_runtime.hpp), and puts the
// HTTP server, metrics and signal handling around them.
class daemon_app {
public:
    explicit daemon_app(const daemon_options& options)
        : options_(options)
        , curl_(io_)
        , runtime_(
              io_, curl_, clock_, [this](std::string& error) { return open_ledger(error); },
              watch_options{std::random_device{}()})
        , metrics_(runtime_.monitor())
        , probe_endpoint_(probe_ctx_, config_)
        , server_(io_)
        , signals_(io_, SIGINT, SIGTERM, SIGHUP)
        , deadline_(clock_.make_timer()) {
        probe_ctx_.clock = &clock_;
    }

    int run() {
        const mono_time loading = clock_.mono_now();
        auto loaded = load_config_file(options_.config_path);
        settle_heap_after_load(loaded);
        if (auto* err = std::get_if<config_error>(&loaded)) {
            spdlog::critical("{}", err->to_string());
            return 2;
        }
        config_ = std::move(std::get<config>(loaded));
        fit_to_descriptor_limit(config_);
        // Start-up time is a goal (issue #7): say where it goes.
        spdlog::info("configuration loaded in {} ms", ms_between(loading, clock_.mono_now()));
        // Nothing is written to the ledger before the listen socket is bound and the ledger's
        // lock is held: a start that fails (port taken, a second daemon) leaves no events.
        const std::string listen = options_.listen_override.value_or(config_.listen);
        if (auto ec = server_.listen(listen)) {
            spdlog::critical("cannot listen on {}: {}", listen, ec.message());
            return 1;
        }
        ledger_lock::error lock_error;
        lock_ = ledger_lock::acquire(config_.ledger, lock_error);
        if (!lock_) {
            if (lock_error.kind == ledger_lock::failure::held) {
                spdlog::critical("{}", lock_error.message);
                return 1;
            }
            // A missing folder or a read-only disk: the ledger is unwritable for now; the
            // recorder keeps events and retries (taking the lock first).
            spdlog::error("{}", lock_error.message);
        }
        const mono_time applying = clock_.mono_now();
        if (std::string err = runtime_.start(config_); !err.empty()) {
            spdlog::critical("{}", err);
            return 2;
        }
        monitor& mon = runtime_.monitor();
        drop_checks(config_);
        spdlog::info("{} checks set up in {} ms", mon.check_count(),
                     ms_between(applying, clock_.mono_now()));
        metrics_.set_reload_result(true, unix_seconds(clock_.wall_now()));
        note_privileges();
        metrics_.add_collectable(
            make_recorder_collector(runtime_.recorder(), runtime_.coordinator().book(), mon));
        metrics_.add_collectable(
            make_notifier_collector(runtime_.notifier(), runtime_.coordinator().book(), mon));
        metrics_.add_collectable(make_objective_collector(config_));
        add_routes();
        const auto ep = server_.local_endpoint();
        const std::string host =
            ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
        base_url_ = "http://" + host + ":" + std::to_string(ep.port());
        spdlog::info("pantau {} watching {} checks of {} services; listening on {} "
                     "(status page /, metrics /metrics)",
                     PANTAU_VERSION, mon.check_count(), mon.services().size(), base_url_);
        if (options_.on_listening) {
            options_.on_listening(base_url_);
        }
        wait_signal();
        if (options_.run_for) {
            deadline_->async_wait_until(clock_.mono_now() + *options_.run_for, [this] {
                spdlog::info("run time elapsed; stopping");
                shutdown();
            });
        }
        ready_ = true;
        io_.run();
        spdlog::info("pantau stopped");
        return 0;
    }

private:
    // The recorder's way to the ledger: the lock first (once held, for the process's life),
    // then the file.
    std::unique_ptr<ledger> open_ledger(std::string& error) {
        if (!lock_) {
            ledger_lock::error lock_error;
            lock_ = ledger_lock::acquire(config_.ledger, lock_error);
            if (!lock_) {
                error = lock_error.message;
                return nullptr;
            }
        }
        return open_sqlite_ledger(config_.ledger, error);
    }

    // Least privilege: the packaged unit runs as the `pantau` user and nothing needs root.
    // Root still works (the demo, tests), but is said once and exported, so that a dashboard
    // or an alert notices a deployment that runs with more than it needs.
    void note_privileges() {
        const bool root = ::geteuid() == 0;
        if (root) {
            spdlog::warn("running as root: pantau needs no privileges; run it as an "
                         "unprivileged user (the package's unit uses `pantau`; for ICMP see the "
                         "README, \"ICMP and privileges\")");
        }
        prometheus::BuildGauge()
            .Name("pantau_running_as_root")
            .Help("1 when the daemon runs as root (effective user id 0), else 0.")
            .Register(metrics_.registry())
            .Add({})
            .Set(root ? 1 : 0);
    }

    void wait_signal() {
        signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
            if (ec) {
                return;
            }
            if (signo == SIGHUP) {
                reload("SIGHUP");
                wait_signal();
                return;
            }
            spdlog::info("received signal {}; stopping", signo);
            shutdown();
        });
    }

    void shutdown() {
        ready_ = false;
        runtime_.stop();
        probe_endpoint_.stop();
        server_.stop();
        signals_.cancel();
        deadline_->cancel();
        // Anything left (curl timers of abandoned transfers) must not keep us alive.
        io_.stop();
    }

    // Returns an error message, empty on success.
    std::string reload(std::string_view trigger) {
        auto loaded = load_config_file(options_.config_path);
        settle_heap_after_load(loaded);
        if (auto* err = std::get_if<config_error>(&loaded)) {
            std::string msg = err->to_string();
            spdlog::error("reload ({}) rejected, keeping the running configuration: {}", trigger,
                          msg);
            metrics_.set_reload_result(false, unix_seconds(clock_.wall_now()));
            runtime_.recorder().config_reloaded(clock_.wall_now(), false, msg);
            return msg;
        }
        config next = std::move(std::get<config>(loaded));
        fit_to_descriptor_limit(next);
        if (next.ledger != config_.ledger) {
            spdlog::warn("reload: ledger changed to {}; restart to apply it", next.ledger);
            next.ledger = config_.ledger;
        }
        if (next.listen != config_.listen && !options_.listen_override) {
            spdlog::warn("reload: listen changed to {}; restart to apply it", next.listen);
        }
        if (std::string err = runtime_.reload(next); !err.empty()) {
            spdlog::error("reload ({}) rejected, keeping the running configuration: {}", trigger,
                          err);
            metrics_.set_reload_result(false, unix_seconds(clock_.wall_now()));
            runtime_.recorder().config_reloaded(clock_.wall_now(), false, err);
            return err;
        }
        drop_checks(next);
        config_ = std::move(next);
        const monitor& mon = runtime_.monitor();
        metrics_.set_reload_result(true, unix_seconds(clock_.wall_now()));
        runtime_.recorder().config_reloaded(clock_.wall_now(), true,
                                            std::to_string(mon.check_count()) + " checks");
        spdlog::info("configuration reloaded ({}): {} checks of {} services", trigger,
                     mon.check_count(), mon.services().size());
        return {};
    }

    void add_routes() {
        server_.route("/metrics", [this](const http_request&, http_response& res) {
            res.content_type = "text/plain; version=0.0.4; charset=utf-8";
            res.body = metrics_.render();
        });
        server_.route("/-/healthy", [](const http_request&, http_response& res) {
            res.body = "Pantau is Healthy.\n";
        });
        server_.route("/-/ready", [this](const http_request&, http_response& res) {
            if (ready_) {
                res.body = "Pantau is Ready.\n";
            } else {
                res.status = 503;
                res.body = "Pantau is not ready.\n";
            }
        });
        server_.route("/-/reload", [this](const http_request& req, http_response& res) {
            if (req.method != "POST") {
                res.status = 405;
                res.headers.emplace_back("Allow", "POST");
                res.body = "use POST\n";
                return;
            }
            if (!bearer_matches(config_.admin_token, req.header("Authorization"))) {
                res.status = 401;
                res.headers.emplace_back("WWW-Authenticate", "Bearer");
                res.body = config_.admin_token.empty()
                               ? "reload over HTTP needs admin_token in the configuration\n"
                               : "missing or wrong bearer token\n";
                return;
            }
            const std::string err = reload("HTTP");
            if (!err.empty()) {
                res.status = 400;
                res.body = err + "\n";
                return;
            }
            res.body = "reloaded\n";
        });
        coordinator& flow = runtime_.coordinator();
        add_outage_routes(server_, flow, runtime_.recorder(), config_, clock_);
        add_maintenance_routes(server_, flow, config_, clock_);
        add_heartbeat_routes(server_, runtime_.monitor(), runtime_.recorder(), config_, clock_);
        server_.route_async("/probe",
                            [this](const http_request& req, const http_server::responder& respond) {
                                probe_endpoint_.handle(req, respond);
                            });
        add_service_routes(server_, runtime_.monitor(), flow.book(), config_);
        add_status_routes(clock_, server_, runtime_.monitor(), runtime_.recorder(), flow.book(),
                          config_);
    }

    const daemon_options& options_;
    config config_;
    std::optional<ledger_lock> lock_; // held from before the first ledger write until exit
    boost::asio::io_context io_{1};
    // Every time read of the daemon and its runtime goes through this one source.
    asio_time_source clock_{io_};
    curl_multi curl_;
    watch_runtime runtime_;
    metrics_endpoint metrics_;
    probe_context probe_ctx_{io_, curl_};
    probe_endpoint probe_endpoint_;
    http_server server_;
    boost::asio::signal_set signals_;
    std::unique_ptr<timer> deadline_;
    std::string base_url_;
    bool ready_ = false;
};

} // namespace

int run_daemon(const daemon_options& options) {
    daemon_app app(options);
    return app.run();
}

} // namespace pantau
