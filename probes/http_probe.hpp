// HTTP(S) probe on libcurl's multi interface.
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

} // namespace pantau
