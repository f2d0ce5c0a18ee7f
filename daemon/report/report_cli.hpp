// `pantau report`: reads the ledger named by the configuration (no running daemon needed)
// and writes the availability report for a period as Markdown, CSV, HTML or JSON.
#pragma once

#include <string_view>
#include <vector>

namespace pantau {

// `args` are the arguments after "report". Returns the exit code: 0 written; 1 the
// configuration, the ledger or the output file could not be used (message on stderr);
// 2 bad arguments; 3 the report was written but the ledger failed verification (the
// report carries a prominent warning).
int report_main(const std::vector<std::string_view>& args);

} // namespace pantau
