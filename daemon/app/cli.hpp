// Command line: pantau run | demo | check-config | probe | --version | --help.
#pragma once

namespace pantau {

// Parses arguments and runs the command; returns the exit code. Expects curl_global_init
// to have been called.
int cli_main(int argc, char** argv);

} // namespace pantau
