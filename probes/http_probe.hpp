// HTTP(S) probe on libcurl's multi interface.
#pragma once

#include <memory>

#include "probes/probe.hpp"

namespace pantau {

// Fresh connection per run unless the check sets reuse_connection; the easy handle itself
// is reused between runs. Reads at most max_body bytes of (decompressed) body.
std::unique_ptr<probe> make_http_probe(curl_multi& curl, const http_check& spec);

} // namespace pantau
