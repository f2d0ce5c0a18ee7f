// TLS probe: handshake (optionally after SMTP STARTTLS), verify chain and host name, report
// the earliest certificate expiry of the chain. On the Asio event loop, with OpenSSL.
#pragma once

#include <memory>

#include "probes/probe.hpp"

namespace pantau {

// Client TLS contexts by CA file ("" = the system's trust store), shared by the TLS
// probes of one probe_context. Event-loop thread only.
class tls_context_cache;

// A fresh connection and a full handshake per run (no session resumption). The chain is
// verified against ca_file (or the system's trust store) and the certificate must carry
// server_name (or the address's host); SNI is sent for names, not for IP addresses.
std::unique_ptr<probe> make_tls_probe(probe_context& ctx, const tls_check& spec);

} // namespace pantau
