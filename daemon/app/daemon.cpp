#include "app/daemon.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <optional>
#include <random>
#include <thread>
#include <variant>

#include "config/config.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "probes/probe.hpp"
#include "runtime/curl_multi.hpp"
#include "runtime/monitor.hpp"
#include "runtime/notifier.hpp"
#include "runtime/recorder.hpp"
#include "web/api.hpp"
#include "web/http_server.hpp"
#include "web/metrics.hpp"
#include "web/objective_metrics.hpp"
#include "web/probe_endpoint.hpp"
#include "web/status_data.hpp"

namespace pantau {

namespace {

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
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

// Once the monitor and the notifier have taken what they need of the checks (the monitor
// keeps each check's settings, the escalator its depends_on), the daemon's own copy of the
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

class daemon_app {
public:
    daemon_app(const daemon_options& options, config initial)
        : options_(options)
        , config_(std::move(initial))
        , curl_(io_)
        , monitor_(io_, curl_, std::random_device{}())
        , recorder_(
              io_, [this](std::string& error) { return open_sqlite_ledger(config_.ledger, error); })
        , notifier_(io_, curl_, recorder_, std::random_device{}())
        , metrics_(monitor_)
        , probe_endpoint_(probe_ctx_, config_)
        , server_(io_)
        , signals_(io_, SIGINT, SIGTERM, SIGHUP)
        , deadline_(io_) {}

    int run() {
        if (std::string err = notifier_.apply(config_); !err.empty()) {
            spdlog::critical("{}", err);
            return 2;
        }
        recorder_.set_outage_observer(&notifier_);
        recorder_.start(std::chrono::system_clock::now());
        monitor_.set_listener(&recorder_);
        monitor_.add_listener(&notifier_);
        const auto applying = std::chrono::steady_clock::now();
        monitor_.apply(config_);
        drop_checks(config_);
        spdlog::info("{} checks set up in {} ms", monitor_.check_count(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - applying)
                         .count());
        for (const ledger_event& e : recorder_.last_heartbeats()) {
            monitor_.push(e.agency + "/" + e.service + "/" + e.check, e.at);
        }
        metrics_.set_reload_result(true, unix_now());
        metrics_.add_collectable(make_recorder_collector(recorder_, monitor_));
        metrics_.add_collectable(make_notifier_collector(notifier_, monitor_));
        metrics_.add_collectable(make_objective_collector(config_));
        add_routes();
        const std::string listen = options_.listen_override.value_or(config_.listen);
        if (auto ec = server_.listen(listen)) {
            spdlog::critical("cannot listen on {}: {}", listen, ec.message());
            return 1;
        }
        const auto ep = server_.local_endpoint();
        const std::string host =
            ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
        base_url_ = "http://" + host + ":" + std::to_string(ep.port());
        spdlog::info("pantau {} watching {} checks of {} services; listening on {} "
                     "(status page /, metrics /metrics)",
                     PANTAU_VERSION, monitor_.check_count(), monitor_.services().size(), base_url_);
        if (options_.on_listening) {
            options_.on_listening(base_url_);
        }
        wait_signal();
        if (options_.run_for) {
            deadline_.expires_after(*options_.run_for);
            deadline_.async_wait([this](const boost::system::error_code& ec) {
                if (!ec) {
                    spdlog::info("run time elapsed; stopping");
                    shutdown();
                }
            });
        }
        monitor_.start();
        notifier_.start();
        ready_ = true;
        io_.run();
        spdlog::info("pantau stopped");
        return 0;
    }

private:
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
        monitor_.stop();
        notifier_.stop();
        probe_endpoint_.stop();
        recorder_.stop(std::chrono::system_clock::now());
        server_.stop();
        signals_.cancel();
        deadline_.cancel();
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
            metrics_.set_reload_result(false, unix_now());
            recorder_.config_reloaded(std::chrono::system_clock::now(), false, msg);
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
        if (std::string err = notifier_.apply(next); !err.empty()) {
            spdlog::error("reload ({}) rejected, keeping the running configuration: {}", trigger,
                          err);
            metrics_.set_reload_result(false, unix_now());
            recorder_.config_reloaded(std::chrono::system_clock::now(), false, err);
            return err;
        }
        monitor_.apply(next);
        drop_checks(next);
        config_ = std::move(next);
        metrics_.set_reload_result(true, unix_now());
        recorder_.config_reloaded(std::chrono::system_clock::now(), true,
                                  std::to_string(monitor_.check_count()) + " checks");
        spdlog::info("configuration reloaded ({}): {} checks of {} services", trigger,
                     monitor_.check_count(), monitor_.services().size());
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
        add_outage_routes(server_, recorder_, config_);
        add_maintenance_routes(server_, notifier_, config_);
        add_heartbeat_routes(server_, monitor_, recorder_, config_);
        server_.route_async("/probe",
                            [this](const http_request& req, const http_server::responder& respond) {
                                probe_endpoint_.handle(req, respond);
                            });
        add_service_routes(server_, monitor_, recorder_, config_);
        add_status_routes(io_, server_, monitor_, recorder_, config_, notifier_.policy().windows());
    }

    const daemon_options& options_;
    config config_;
    boost::asio::io_context io_{1};
    curl_multi curl_;
    monitor monitor_;
    recorder recorder_;
    notifier notifier_;
    metrics_endpoint metrics_;
    probe_context probe_ctx_{io_, curl_};
    probe_endpoint probe_endpoint_;
    http_server server_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer deadline_;
    std::string base_url_;
    bool ready_ = false;
};

} // namespace

int run_daemon(const daemon_options& options) {
    const auto started = std::chrono::steady_clock::now();
    auto loaded = load_config_file(options.config_path);
    settle_heap_after_load(loaded);
    if (auto* err = std::get_if<config_error>(&loaded)) {
        spdlog::critical("{}", err->to_string());
        return 2;
    }
    auto& cfg = std::get<config>(loaded);
    fit_to_descriptor_limit(cfg);
    // Start-up time is a goal (issue #7): say where it goes.
    spdlog::info("configuration loaded in {} ms",
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
    daemon_app app(options, std::move(cfg));
    return app.run();
}

} // namespace pantau
