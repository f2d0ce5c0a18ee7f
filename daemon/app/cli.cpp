#include "app/cli.hpp"

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/cli_commands.hpp"
#include "report/report_cli.hpp"

namespace pantau {

namespace {

const char* usage_main = R"(Pantau watches a city's public services and tells the right people.

Usage:
  pantau run [--config FILE]        run the daemon (default config /etc/pantau/pantau.yaml)
  pantau demo [--listen ADDR]       run on a built-in simulated municipality
  pantau check-config FILE          validate a configuration file
  pantau probe URL [options]        probe a URL once and print what was seen
  pantau report --from DATE --to DATE [--format md|csv|html|json]
                                    availability and outage report from the ledger
  pantau ledger verify              check the ledger's hash chain
  pantau ack OUTAGE --by NAME       acknowledge an outage via the running daemon
  pantau --version                  print the version

Run "pantau COMMAND --help" for a command's options.
)";

} // namespace

int cli_main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(usage_main, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version" || args[0] == "version") {
        std::printf("pantau %s\n", PANTAU_VERSION);
        return 0;
    }
    const std::string_view command = args[0];
    args.erase(args.begin());
    // Each command is in its own file: app/cli_*.cpp, report/report_cli.cpp.
    if (command == "run") {
        return cli_detail::cmd_run(args);
    }
    if (command == "demo") {
        return cli_detail::cmd_demo(args);
    }
    if (command == "check-config") {
        return cli_detail::cmd_check_config(args);
    }
    if (command == "probe") {
        return cli_detail::cmd_probe(std::move(args));
    }
    if (command == "report") {
        return report_main(args);
    }
    if (command == "ledger") {
        return cli_detail::cmd_ledger(std::move(args));
    }
    if (command == "ack") {
        return cli_detail::cmd_ack(std::move(args));
    }
    return cli_detail::usage_error(usage_main, "unknown command \"" + std::string(command) + "\"");
}

} // namespace pantau
