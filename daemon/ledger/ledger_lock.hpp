// One writer per ledger: an exclusive flock(2) on a lock file beside the ledger
// ("ledger.db" -> "ledger.db.lock"), taken before the daemon writes anything and held for
// the life of the process. The lock file holds the owner's PID (decimal, newline), so a
// second daemon can say who has the ledger. The kernel releases the lock when the process
// ends, however it ends (kill -9 included); the file itself stays, and is reused.
//
// Read-only commands (report, ledger verify, backup) do not take the lock: SQLite lets them
// read while the daemon writes.
//
// Thread-safety: an object is used from one thread; it is movable, not copyable.
#pragma once

#include <optional>
#include <string>

namespace pantau {

class ledger_lock final {
public:
    // Why acquire() failed.
    enum class failure : unsigned char {
        held,        // another process holds the lock: a second daemon on this ledger
        unavailable, // the lock file cannot be created or locked (missing folder,
                     // permissions, read-only file system): retry later
    };
    struct error {
        failure kind = failure::unavailable;
        std::string message; // names the ledger, and the PID holding it when known
    };

    // Takes the lock of the ledger at `ledger_path` without waiting. On success the
    // returned lock holds it until destroyed; otherwise `err` says why.
    static std::optional<ledger_lock> acquire(const std::string& ledger_path, error& err);

    // The lock file's path for a ledger path.
    static std::string path_for(const std::string& ledger_path);

    ledger_lock(ledger_lock&& other) noexcept;
    ledger_lock& operator=(ledger_lock&& other) noexcept;
    ledger_lock(const ledger_lock&) = delete;
    ledger_lock& operator=(const ledger_lock&) = delete;
    ~ledger_lock();

private:
    explicit ledger_lock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

} // namespace pantau
