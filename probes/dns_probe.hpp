// DNS probe: one query with c-ares, driven by the Asio event loop (c-ares tells which
// sockets to watch through its socket-state callback; Asio waits; a timer drives c-ares's
// retransmissions). No thread, no blocking call.
#pragma once

#include <memory>

#include "probes/probe.hpp"

namespace pantau {

// A new c-ares channel per run (it reads /etc/resolv.conf when no server is given), so a
// changed resolver configuration is picked up without a restart and an idle check holds no
// sockets. Answers of the asked type are compared with answers_contain.
std::unique_ptr<probe> make_dns_probe(boost::asio::io_context& io, const dns_check& spec);

} // namespace pantau
