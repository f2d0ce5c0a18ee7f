// A position in a configuration file, for messages and for pointing back at what a running
// object was made from. Plain data; core knows nothing of how it was read.
#pragma once

#include <string>

namespace pantau {

// A position in a configuration file, 1-based like compilers print them.
struct source_location {
    std::string file;
    int line = 0;
    int column = 0;
};

} // namespace pantau
