// pantau ack OUTAGE --by NAME: acknowledges an outage through the running daemon.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "app/cli_commands.hpp"

namespace pantau::cli_detail {

namespace {

const char* usage_ack =
    R"(Usage: pantau ack OUTAGE --by NAME [--note TEXT] [--config FILE] [--url URL]

Acknowledges an outage through the running daemon (POST /api/v1/outages/OUTAGE/ack with
the configuration's admin_token). Later escalation levels stop, except those marked
even_if_acknowledged.

  --url URL   the daemon's base URL (default: http:// + the configuration's listen)
)";

} // namespace

int cmd_ack(std::vector<std::string_view> args) {
    if (wants_help(args)) {
        std::fputs(usage_ack, stdout);
        return 0;
    }
    int rc = 0;
    auto cfg = load_for_cli(args, usage_ack, rc);
    if (!cfg) {
        return rc;
    }
    std::string id;
    std::string by;
    std::string note;
    std::string base;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--url" && i + 1 < args.size()) {
            base = std::string(args[++i]);
            while (!base.empty() && base.back() == '/') {
                base.pop_back();
            }
        } else if (args[i] == "--by" && i + 1 < args.size()) {
            by = std::string(args[++i]);
        } else if (args[i] == "--note" && i + 1 < args.size()) {
            note = std::string(args[++i]);
        } else if (id.empty() && !args[i].empty() && args[i][0] != '-') {
            id = std::string(args[i]);
        } else {
            return usage_error(usage_ack, "unexpected argument " + std::string(args[i]));
        }
    }
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
        return usage_error(usage_ack, "ack needs an outage id (a number)");
    }
    if (by.empty()) {
        return usage_error(usage_ack, "ack needs --by NAME: who acknowledges");
    }
    if (cfg->admin_token.empty()) {
        std::fprintf(stderr, "pantau: the configuration has no admin_token; set one to allow "
                             "acknowledgements\n");
        return 1;
    }
    if (base.empty()) {
        base = daemon_base_url(*cfg);
    }
    const std::string url = base + "/api/v1/outages/" + id + "/ack";
    const std::string body = nlohmann::json{{"by", by}, {"note", note}}.dump();
    const auto reply = post_to_daemon(url, cfg->admin_token, body);
    if (!reply) {
        return 1;
    }
    if (reply->status != 200) {
        std::fprintf(stderr, "pantau: acknowledgement refused (HTTP %ld): %s\n", reply->status,
                     refusal(*reply).c_str());
        return 1;
    }
    std::printf("outage %s acknowledged by %s\n", id.c_str(), by.c_str());
    return 0;
}

} // namespace pantau::cli_detail
