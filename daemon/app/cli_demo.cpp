// pantau demo: the daemon on a simulated municipality.
#include <cstdio>
#include <string>

#include "app/cli_commands.hpp"
#include "app/demo.hpp"
#include "core/duration.hpp"

namespace pantau::cli_detail {

namespace {

const char* usage_demo = R"(Usage: pantau demo [--listen ADDR] [--dir DIR] [--for DURATION]

Starts a simulated municipality on loopback (a few agencies and their services; one goes
down about 20 s after start and recovers 30 s later, one answers slowly) and watches it.
Open the printed address for the status page and /metrics.

  --listen ADDR   where Pantau listens (default 127.0.0.1:9470; 127.0.0.1:0 for any port)
  --dir DIR       folder for the generated configuration and state (default ./pantau-demo)
  --for DURATION  stop after this long, e.g. 90s (default: until Ctrl-C)
)";

} // namespace

int cmd_demo(const std::vector<std::string_view>& args) {
    if (wants_help(args)) {
        std::fputs(usage_demo, stdout);
        return 0;
    }
    demo_options opts;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--listen" && i + 1 < args.size()) {
            opts.listen = std::string(args[++i]);
        } else if (args[i] == "--dir" && i + 1 < args.size()) {
            opts.dir = std::string(args[++i]);
        } else if (args[i] == "--for" && i + 1 < args.size()) {
            auto d = parse_duration(args[++i]);
            if (!d) {
                return usage_error(usage_demo, "invalid duration " + std::string(args[i]) +
                                                   " (write e.g. 90s or 5m)");
            }
            opts.run_for = *d;
        } else {
            return usage_error(usage_demo, "unexpected argument " + std::string(args[i]));
        }
    }
    return run_demo(opts);
}

} // namespace pantau::cli_detail
