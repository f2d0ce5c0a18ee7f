#include "ledger/ledger_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

namespace pantau {

namespace {

// The PID written in the lock file by its holder, or "" when unreadable.
std::string holder_pid(int fd) {
    std::array<char, 32> buf{};
    const ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
    if (n <= 0) {
        return {};
    }
    std::string_view text(buf.data(), static_cast<std::size_t>(n));
    const auto end = text.find_first_not_of("0123456789");
    text = text.substr(0, end);
    return std::string(text);
}

} // namespace

std::string ledger_lock::path_for(const std::string& ledger_path) {
    return ledger_path + ".lock";
}

std::optional<ledger_lock> ledger_lock::acquire(const std::string& ledger_path, error& err) {
    const std::string path = path_for(ledger_path);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        const int e = errno;
        err = {failure::unavailable,
               "cannot create the ledger's lock file " + path + ": " + std::strerror(e)};
        return std::nullopt;
    }
    ledger_lock lock(fd); // closes the descriptor on every path below
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int e = errno;
        if (e == EWOULDBLOCK) {
            const std::string pid = holder_pid(fd);
            err = {failure::held, "the ledger " + ledger_path + " is in use by another Pantau" +
                                      (pid.empty() ? std::string{} : " (PID " + pid + ")") +
                                      "; only one daemon may write a ledger"};
        } else {
            err = {failure::unavailable,
                   "cannot lock the ledger's lock file " + path + ": " + std::strerror(e)};
        }
        return std::nullopt;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    // Best effort: the PID only helps the message of a second daemon.
    if (::ftruncate(fd, 0) == 0) {
        static_cast<void>(::pwrite(fd, pid.data(), pid.size(), 0));
    }
    return lock;
}

ledger_lock::ledger_lock(ledger_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

ledger_lock& ledger_lock::operator=(ledger_lock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

ledger_lock::~ledger_lock() {
    if (fd_ >= 0) {
        ::close(fd_); // releases the flock
    }
}

} // namespace pantau
