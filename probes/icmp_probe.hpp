// ICMP echo probe on the Asio event loop.
//
// Socket kind: an unprivileged ICMP datagram socket (socket(AF_INET, SOCK_DGRAM,
// IPPROTO_ICMP), Linux "ping sockets") when the process's group is inside
// net.ipv4.ping_group_range (IPv6 uses the same sysctl); otherwise a raw socket, which needs
// CAP_NET_RAW. The kind used is reported in probe_result::icmp. When the kernel refuses both
// the run fails with a reason that names the sysctl and the capability.
#pragma once

#include <memory>

#include "probes/probe.hpp"

namespace pantau {

// Sends `count` echo requests, min(1s, timeout / (2 * count)) apart, and waits for the
// replies until the timeout (or until all have come back). A fresh socket per run.
std::unique_ptr<probe> make_icmp_probe(boost::asio::io_context& io, const icmp_check& spec);

} // namespace pantau
