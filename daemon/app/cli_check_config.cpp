// pantau check-config FILE: validates a configuration, channels included.
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <string>
#include <variant>

#include "app/cli_commands.hpp"
#include "io/curl_multi.hpp"
#include "notify/channel.hpp"

namespace pantau::cli_detail {

namespace {

const char* usage_check = R"(Usage: pantau check-config FILE

Exits 0 when FILE is a valid configuration; otherwise prints FILE:LINE:COL: message on
stderr and exits 1.
)";

} // namespace

int cmd_check_config(const std::vector<std::string_view>& args) {
    if (wants_help(args)) {
        std::fputs(usage_check, stdout);
        return 0;
    }
    if (args.size() != 1) {
        return usage_error(usage_check, "check-config needs exactly one FILE");
    }
    auto loaded = load_config_file(std::string(args[0]));
    if (auto* err = std::get_if<config_error>(&loaded)) {
        std::fprintf(stderr, "%s\n", err->to_string().c_str());
        return 1;
    }
    const config& cfg = std::get<config>(loaded);
    {
        // Channels check their own settings (URLs, durations, required keys) when built.
        boost::asio::io_context io;
        curl_multi curl(io);
        for (const auto& [name, cc] : cfg.channels) {
            std::string error;
            if (!make_channel(curl, cc, error)) {
                std::fprintf(stderr, "%s:%d:%d: %s\n", cc.where.file.c_str(), cc.where.line,
                             cc.where.column, error.c_str());
                return 1;
            }
        }
    }
    std::size_t checks = 0;
    for (const auto& s : cfg.services) {
        checks += s.checks.size();
    }
    std::printf("%s: OK (%zu agencies, %zu services, %zu checks)\n", std::string(args[0]).c_str(),
                cfg.agencies.size(), cfg.services.size(), checks);
    return 0;
}

} // namespace pantau::cli_detail
