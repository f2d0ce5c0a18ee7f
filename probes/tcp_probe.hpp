// TCP probe: connect, optionally send, optionally expect a reply, on the Asio event loop.
#pragma once

#include <memory>

#include "probes/probe.hpp"

namespace pantau {

// A fresh connection per run. Host names go through Asio's resolver; an IP address is used
// as is. With `expect`, the reply is read (at most 64 KiB) until the expression matches or
// can no longer match, so a wrong banner fails at once rather than at the timeout.
std::unique_ptr<probe> make_tcp_probe(boost::asio::io_context& io, const tcp_check& spec);

} // namespace pantau
