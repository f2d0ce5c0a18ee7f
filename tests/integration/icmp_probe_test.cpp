// The ICMP probe against 127.0.0.1: in this process (whichever socket kind the kernel
// allows), and through the real binary in private network namespaces where the test
// chooses what the kernel allows (datagram sockets, raw sockets, neither).
#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>

#include "fixtures/probe_runner.hpp"
#include "fixtures/process.hpp"

using namespace pantau;
using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

icmp_check ping(std::string host, unsigned count = 3) {
    icmp_check c;
    c.host = std::move(host);
    c.count = count;
    return c;
}

// Whether this process's group may open ICMP datagram sockets.
bool datagram_allowed() {
    std::ifstream in("/proc/sys/net/ipv4/ping_group_range");
    long low = 1;
    long high = 0;
    in >> low >> high;
    const long gid = static_cast<long>(getgid());
    return in && low <= gid && gid <= high;
}

// Runs `script` with sh in a new network namespace (only lo, down until the script brings
// it up); nullopt when this machine does not allow unshare -n.
std::optional<run_result> in_netns(const std::string& script) {
    const run_result probe = run_program({"/usr/bin/unshare", "-n", "true"}, 10s);
    if (probe.exit_code != 0) {
        return std::nullopt;
    }
    return run_program({"/usr/bin/unshare", "-n", "sh", "-c", script}, 30s);
}

const std::string pantau_binary = PANTAU_BINARY;

} // namespace

TEST_CASE("icmp probe: 127.0.0.1 answers every echo request") {
    probe_runner r;
    const probe_result res = r.run(ping("127.0.0.1"), 3s);
    if (res.reason.rfind("cannot open an ICMP socket", 0) == 0) {
        MESSAGE("SKIPPED: the kernel refuses both ICMP socket kinds here: " << res.reason);
        return;
    }
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    REQUIRE(res.icmp);
    CHECK(res.icmp->sent == 3);
    CHECK(res.icmp->received == 3);
    CHECK(res.icmp->rtt_min > 0ns);
    CHECK(res.icmp->rtt_min <= res.icmp->rtt_avg);
    CHECK(res.icmp->rtt_avg <= res.icmp->rtt_max);
    CHECK(res.icmp->rtt_max < 1s);
    CHECK(res.icmp->raw_socket == !datagram_allowed());
    CHECK_MESSAGE(res.reason.rfind("3/3 replies, rtt min/avg/max ", 0) == 0, res.reason);
    // All replies back: the probe does not wait for its timeout.
    CHECK(res.elapsed < 2s);
}

TEST_CASE("icmp probe: probes running together count only their own replies") {
    probe_runner r;
    auto a = make_probe(r.ctx, check_spec{ping("127.0.0.1", 4)});
    auto b = make_probe(r.ctx, check_spec{ping("127.0.0.1", 2)});
    std::optional<probe_result> ra;
    std::optional<probe_result> rb;
    a->async_run(2s, [&](probe_result x) { ra = std::move(x); });
    b->async_run(2s, [&](probe_result x) { rb = std::move(x); });
    r.io.run_for(6s);
    REQUIRE(ra);
    REQUIRE(rb);
    if (ra->reason.rfind("cannot open an ICMP socket", 0) == 0) {
        MESSAGE("SKIPPED: the kernel refuses both ICMP socket kinds here");
        return;
    }
    REQUIRE(ra->icmp);
    REQUIRE(rb->icmp);
    CHECK(ra->icmp->received == 4);
    CHECK(rb->icmp->received == 2);
}

TEST_CASE("icmp probe: unprivileged datagram socket where ping_group_range allows it") {
    const auto out = in_netns("ip link set lo up && echo '0 2147483647' > "
                              "/proc/sys/net/ipv4/ping_group_range && exec " +
                              pantau_binary + " probe icmp 127.0.0.1 --count 2 --timeout 2s");
    if (!out) {
        MESSAGE("SKIPPED: unshare -n is not permitted here");
        return;
    }
    CHECK_MESSAGE(out->exit_code == 0, out->output);
    CHECK_MESSAGE(out->output.find("socket: datagram\n") != std::string::npos, out->output);
    CHECK_MESSAGE(out->output.find("packets: sent=2 received=2\n") != std::string::npos,
                  out->output);
}

TEST_CASE("icmp probe: raw socket when datagram sockets are not allowed") {
    const auto out = in_netns("ip link set lo up && echo '1 0' > "
                              "/proc/sys/net/ipv4/ping_group_range && exec " +
                              pantau_binary + " probe icmp 127.0.0.1 --count 2 --timeout 2s");
    if (!out) {
        MESSAGE("SKIPPED: unshare -n is not permitted here");
        return;
    }
    if (out->output.find("cannot open an ICMP socket") != std::string::npos) {
        MESSAGE("SKIPPED: no CAP_NET_RAW here: " << out->output);
        return;
    }
    CHECK_MESSAGE(out->exit_code == 0, out->output);
    CHECK_MESSAGE(out->output.find("socket: raw\n") != std::string::npos, out->output);
}

TEST_CASE("icmp probe: neither socket kind allowed names the sysctl and the capability") {
    const auto out =
        in_netns("ip link set lo up && echo '1 0' > /proc/sys/net/ipv4/ping_group_range && exec "
                 "setpriv --inh-caps=-net_raw --bounding-set=-net_raw " +
                 pantau_binary + " probe icmp 127.0.0.1 --count 1 --timeout 1s");
    if (!out) {
        MESSAGE("SKIPPED: unshare -n is not permitted here");
        return;
    }
    CHECK(out->exit_code == 1);
    CHECK_MESSAGE(out->output.find("reason: cannot open an ICMP socket: datagram socket: "
                                   "Permission denied (allow the group in "
                                   "net.ipv4.ping_group_range), raw socket: Operation not "
                                   "permitted (needs CAP_NET_RAW)") != std::string::npos,
                  out->output);
}

TEST_CASE("icmp probe: every packet lost") {
    // In a fresh namespace lo is down: 127.0.0.1 is unreachable, and nothing leaves the host.
    const auto out =
        in_netns("exec " + pantau_binary + " probe icmp 127.0.0.1 --count 3 --timeout 1s");
    if (!out) {
        MESSAGE("SKIPPED: unshare -n is not permitted here");
        return;
    }
    CHECK(out->exit_code == 1);
    CHECK_MESSAGE(out->output.find("reason: 3/3 packets lost") != std::string::npos, out->output);
    CHECK_MESSAGE(out->output.find("packets: sent=3 received=0\n") != std::string::npos,
                  out->output);
}
