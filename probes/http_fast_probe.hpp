// The plain-http fast path: one GET or HEAD over a fresh TCP connection with Asio and
// Boost.Beast instead of libcurl (issue #7: libcurl spent ~86 % of a probe's user-space
// instructions and ~26 system calls on a loopback probe). Internal to probes/; reached
// through make_http_probe(probe_context&, ...), which falls back to libcurl for what this
// path does not do identically.
//
// Handled here: http:// URLs (host name, IPv4 or [IPv6] literal, optional port) without
// user information, a fragment-free origin-form target without dot segments, method GET
// or HEAD without a body, custom headers with non-empty values (Connection,
// Transfer-Encoding, Content-Length, Expect, TE, Upgrade and Accept-Encoding excluded),
// reuse_connection off. Everything else uses libcurl for the whole check.
//
// Handed to libcurl for one run, and from then on for the check (until a reload makes a
// new probe), because the answer needs what only libcurl does: a 3xx with a Location while
// follow_redirects is on, a Content-Encoding other than identity (libcurl decodes it before
// max_body applies), an interim 1xx answer. The libcurl run gets what is left of the
// timeout.
//
// Host names are resolved with Asio's resolver (getaddrinfo on Asio's resolver thread, so
// the loop never blocks), through a cache shared by all probes of a probe_context: an
// answer is kept 60 s (libcurl's default DNS cache timeout, so behaviour matches the curl
// path); failures are not cached; concurrent lookups of one name share one query.
#pragma once

#include <memory>
#include <optional>

#include "probes/http_probe.hpp"

namespace pantau {

class host_cache;

// The fast-path probe for `spec`, or nullptr when the check needs libcurl.
std::unique_ptr<probe> make_fast_http_probe(probe_context& ctx, const http_check& spec,
                                            body_inspector inspect);

} // namespace pantau
