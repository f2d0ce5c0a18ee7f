// HTTP(S) probes: libcurl's multi interface, and for plain http:// checks a fast path on
// Asio and Boost.Beast (http_fast_probe.hpp says which checks and answers it handles).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "probes/probe.hpp"

namespace pantau {

// Fresh connection per run unless the check sets reuse_connection; the easy handle itself
// is reused between runs. Reads at most max_body bytes of (decompressed) body.
std::unique_ptr<probe> make_http_probe(curl_multi& curl, const http_check& spec);

// Judges the body of an exchange that met every expectation: may turn `r` into a failure
// or rewrite its reason (the activity check reads its counter here).
using body_inspector = std::function<void(probe_result& r, std::string_view body)>;

// The HTTP probe with the body handed to `inspect` (at most spec.max_body bytes).
std::unique_ptr<probe> make_http_probe(curl_multi& curl, const http_check& spec,
                                       body_inspector inspect);

// The probe make_probe() uses: the plain-http fast path when it handles `spec` exactly as
// libcurl would, else the libcurl probe above. `inspect` as above.
std::unique_ptr<probe> make_http_probe(probe_context& ctx, const http_check& spec,
                                       body_inspector inspect = nullptr);

} // namespace pantau
