// pantau ledger verify: walks the ledger's hash chain.
#include <cstdio>
#include <memory>
#include <string>

#include "app/cli_commands.hpp"
#include "ledger/sqlite_ledger.hpp"

namespace pantau::cli_detail {

namespace {

const char* usage_ledger = R"(Usage: pantau ledger verify [--config FILE]

Walks the ledger's hash chain. Prints the number of events and the last hash when every
event fits (write the hash into meeting minutes to check later); otherwise names the first
event that was changed, deleted or inserted and exits 1.
)";

} // namespace

int cmd_ledger(std::vector<std::string_view> args) {
    if (wants_help(args)) {
        std::fputs(usage_ledger, stdout);
        return 0;
    }
    int rc = 0;
    auto cfg = load_for_cli(args, usage_ledger, rc);
    if (!cfg) {
        return rc;
    }
    if (args.size() != 1 || args[0] != "verify") {
        return usage_error(usage_ledger, "expected: pantau ledger verify");
    }
    std::string error;
    std::unique_ptr<ledger> l = open_sqlite_ledger_readonly(cfg->ledger, error);
    if (!l) {
        std::fprintf(stderr, "pantau: cannot open the ledger %s: %s\n", cfg->ledger.c_str(),
                     error.c_str());
        return 2;
    }
    const verify_result r = l->verify();
    if (!r.ok) {
        std::fprintf(stderr, "ledger %s: TAMPERED: %s\n", cfg->ledger.c_str(), r.problem.c_str());
        return 1;
    }
    std::printf("ledger %s: OK, %lld events, last hash %s\n", cfg->ledger.c_str(),
                static_cast<long long>(r.events), r.last_hash.empty() ? "-" : r.last_hash.c_str());
    return 0;
}

} // namespace pantau::cli_detail
