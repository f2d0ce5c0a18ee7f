// Escaping for HTML, shared by the status page and the HTML report.
#pragma once

#include <string>
#include <string_view>

namespace pantau {

// Escapes & < > " ' so that text from configuration or probed responses is safe in HTML
// element content and in quoted attribute values.
std::string html_escape(std::string_view text);

} // namespace pantau
