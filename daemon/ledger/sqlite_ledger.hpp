// The ledger in one SQLite file, for a single Pantau instance.
//
// The file is in WAL mode with synchronous=FULL: a successful append or heartbeat has
// reached the disk, and readers (`pantau report`, `pantau ledger verify`) can run while
// the daemon writes. A writer waits up to 5 s for another writer's lock before failing
// with ledger_errc::busy. Schema version 2 (PRAGMA user_version); the file is marked with
// PRAGMA application_id 0x50414E54 ("PANT") so a foreign SQLite file is refused. A file of
// another schema version is refused too (version 1 came only from development builds).
#pragma once

#include <memory>
#include <string>

#include "ledger/ledger.hpp"

namespace pantau {

// Opens the ledger at `path` for reading and writing, creating the file and its schema if
// it does not exist (its directory must). Returns null with `error` set when the file
// cannot be opened or written, is not a Pantau ledger, or has another schema version.
std::unique_ptr<ledger> open_sqlite_ledger(const std::string& path, std::string& error);

// Opens an existing ledger for reading only (SQLITE_OPEN_READONLY): never creates the file
// and never writes to it, also while a daemon has it open. Its writing functions fail
// with ledger_errc::read_only.
std::unique_ptr<ledger> open_sqlite_ledger_readonly(const std::string& path, std::string& error);

} // namespace pantau
