// pantau run: the daemon.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>
#include <string>

#include "app/cli_commands.hpp"
#include "app/daemon.hpp"

namespace pantau::cli_detail {

namespace {

const char* usage_run = R"(Usage: pantau run [--config FILE] [--log-level LEVEL]

Runs the daemon. SIGHUP or POST /-/reload re-reads the configuration; an invalid file is
reported and the running configuration kept. SIGTERM stops it.

  --config FILE      configuration file (default /etc/pantau/pantau.yaml)
  --log-level LEVEL  trace, debug, info (default), warn, error
)";

std::optional<spdlog::level::level_enum> parse_level(std::string_view s) {
    const auto level = spdlog::level::from_str(std::string(s));
    if (level == spdlog::level::off && s != "off") {
        return std::nullopt;
    }
    return level;
}

} // namespace

int cmd_run(const std::vector<std::string_view>& args) {
    if (wants_help(args)) {
        std::fputs(usage_run, stdout);
        return 0;
    }
    daemon_options opts;
    opts.config_path = default_config;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--config" && i + 1 < args.size()) {
            opts.config_path = std::string(args[++i]);
        } else if (args[i] == "--log-level" && i + 1 < args.size()) {
            auto level = parse_level(args[++i]);
            if (!level) {
                return usage_error(usage_run, "unknown log level " + std::string(args[i]));
            }
            spdlog::set_level(*level);
        } else {
            return usage_error(usage_run, "unexpected argument " + std::string(args[i]));
        }
    }
    return run_daemon(opts);
}

} // namespace pantau::cli_detail
