#include "io/curl_multi.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace pantau {

namespace asio = boost::asio;

// One CURLM and the sockets and timer it asks for. Completions also drop the transfer from
// the parent's owner_ map, so the parent knows where every transfer in flight runs.
class curl_multi::shard final {
public:
    shard(asio::io_context& io, curl_multi& parent);
    ~shard();
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    void add(CURL* easy, completion done);
    void cancel(CURL* easy);
    std::size_t transfers() const { return transfers_.size(); }
    std::size_t sockets() const { return sockets_.size(); }
    // Stops watching `s` (owned sockets are closed when close_fd).
    void forget(curl_socket_t s, bool close_fd);

private:
    struct socket_state;
    struct multi_deleter {
        void operator()(CURLM* m) const { curl_multi_cleanup(m); }
    };

    static int on_socket(CURL* easy, curl_socket_t s, int what, void* self, void* socketp);
    static int on_timer(CURLM* multi, long timeout_ms, void* self);
    static curl_socket_t on_open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
    static int on_close_socket(void* self, curl_socket_t s);

    void shutdown();
    void watch(curl_socket_t s, int what);
    void arm(const std::shared_ptr<socket_state>& st, bool read);
    void act(curl_socket_t s, int ev_bitmask);
    void finish_done_transfers();

    asio::io_context& io_;
    curl_multi& parent_;
    asio::steady_timer timer_;
    std::uint64_t timer_generation_ = 0;
    std::unique_ptr<CURLM, multi_deleter> multi_;
    std::unordered_map<curl_socket_t, std::shared_ptr<socket_state>> sockets_;
    std::unordered_map<CURL*, completion> transfers_;
};

struct curl_multi::shard::socket_state {
    explicit socket_state(asio::io_context& io) : descriptor(io) {}
    asio::posix::stream_descriptor descriptor;
    int want = 0;       // CURL_POLL_* bits curl asked for
    bool owned = false; // opened by on_open_socket, closed by on_close_socket
    bool read_armed = false;
    bool write_armed = false;
    std::uint64_t read_generation = 0;
    std::uint64_t write_generation = 0;
};

curl_multi::shard::shard(asio::io_context& io, curl_multi& parent)
    : io_(io)
    , parent_(parent)
    , timer_(io)
    , multi_(curl_multi_init()) {
    CURLM* m = multi_.get();
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &curl_multi::shard::on_socket);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &curl_multi::shard::on_timer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
}

curl_multi::shard::~shard() {
    try {
        shutdown();
    } catch (...) {
        // Nothing useful to do while tearing down; never throw from a destructor.
    }
}

void curl_multi::shard::shutdown() {
    for (auto& [easy, done] : transfers_) {
        curl_multi_remove_handle(multi_.get(), easy);
        parent_.owner_.erase(easy);
    }
    transfers_.clear();
    // Cleanup may close cached connections through on_close_socket; `this` is still valid.
    multi_.reset();
    timer_.cancel();
    for (auto& [fd, st] : sockets_) {
        boost::system::error_code ignored;
        st->descriptor.cancel(ignored);
        const int native = st->descriptor.release();
        if (st->owned) {
            ::close(native);
        }
    }
    sockets_.clear();
}

curl_multi::curl_multi(asio::io_context& io) : io_(io) {}

curl_multi::~curl_multi() {
    // Shards first: removing their transfers touches owner_; idle handles are detached.
    shards_.clear();
    owner_.clear();
    idle_easy_.clear();
}

curl_multi::shard& curl_multi::least_loaded() {
    shard* best = nullptr;
    for (const auto& sh : shards_) {
        if (best == nullptr || sh->transfers() < best->transfers()) {
            best = sh.get();
        }
    }
    if (best == nullptr || best->transfers() >= max_transfers_per_shard) {
        shards_.push_back(std::make_unique<shard>(io_, *this));
        best = shards_.back().get();
    }
    return *best;
}

void curl_multi::add(CURL* easy, completion done) {
    shard& sh = least_loaded();
    owner_[easy] = &sh;
    sh.add(easy, std::move(done));
}

void curl_multi::cancel(CURL* easy) {
    auto it = owner_.find(easy);
    if (it != owner_.end()) {
        it->second->cancel(easy); // erases the owner_ entry
    }
}

void curl_multi::drop_stale(curl_socket_t s, const shard* except) {
    for (const auto& sh : shards_) {
        if (sh.get() != except) {
            sh->forget(s, false);
        }
    }
}

std::size_t curl_multi::sockets() const {
    std::size_t n = 0;
    for (const auto& sh : shards_) {
        n += sh->sockets();
    }
    return n;
}

curl_easy_ptr curl_multi::acquire_easy() {
    if (!idle_easy_.empty()) {
        curl_easy_ptr easy = std::move(idle_easy_.back());
        idle_easy_.pop_back();
        return easy;
    }
    return curl_easy_ptr(curl_easy_init());
}

void curl_multi::release_easy(curl_easy_ptr easy) {
    if (!easy) {
        return;
    }
    cancel(easy.get());
    // Keep about as many as run at once; beyond that give memory back.
    constexpr std::size_t max_idle = 4096;
    if (idle_easy_.size() < max_idle) {
        curl_easy_reset(easy.get());
        idle_easy_.push_back(std::move(easy));
    }
}

void curl_multi::shard::add(CURL* easy, completion done) {
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &curl_multi::shard::on_open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &curl_multi::shard::on_close_socket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    transfers_[easy] = std::move(done);
    const CURLMcode rc = curl_multi_add_handle(multi_.get(), easy);
    if (rc != CURLM_OK) {
        // Report asynchronously so the caller sees one completion path.
        auto it = transfers_.find(easy);
        completion cb = std::move(it->second);
        transfers_.erase(it);
        parent_.owner_.erase(easy);
        asio::post(io_, [cb = std::move(cb)] { cb(CURLE_FAILED_INIT); });
    }
}

void curl_multi::shard::cancel(CURL* easy) {
    auto it = transfers_.find(easy);
    if (it == transfers_.end()) {
        return;
    }
    transfers_.erase(it);
    parent_.owner_.erase(easy);
    curl_multi_remove_handle(multi_.get(), easy);
}

int curl_multi::shard::on_socket(CURL* /*easy*/, curl_socket_t s, int what, void* self,
                                 void* /*socketp*/) {
    auto* me = static_cast<shard*>(self);
    try {
        me->watch(s, what);
    } catch (...) {
        return -1; // curl fails the transfer; nothing escapes into C
    }
    return 0;
}

void curl_multi::shard::watch(curl_socket_t s, int what) {
    auto it = sockets_.find(s);
    if (what == CURL_POLL_REMOVE) {
        if (it != sockets_.end()) {
            it->second->want = 0;
            boost::system::error_code ignored;
            it->second->descriptor.cancel(ignored);
            it->second->read_armed = it->second->write_armed = false;
            if (!it->second->owned) {
                forget(s, false); // e.g. the threaded resolver's wake-up pipe
            }
        }
        return;
    }
    if (it == sockets_.end()) {
        // A socket curl opened itself (not through on_open_socket): watch without owning.
        parent_.drop_stale(s, this);
        auto st = std::make_shared<socket_state>(io_);
        boost::system::error_code ec;
        st->descriptor.assign(s, ec);
        if (ec) {
            return;
        }
        it = sockets_.emplace(s, std::move(st)).first;
    }
    std::shared_ptr<socket_state> st = it->second;
    st->want = what;
    if ((what & CURL_POLL_IN) == 0 && st->read_armed) {
        st->read_armed = false;
        ++st->read_generation;
    }
    if ((what & CURL_POLL_OUT) == 0 && st->write_armed) {
        st->write_armed = false;
        ++st->write_generation;
    }
    if ((what & CURL_POLL_IN) != 0 && !st->read_armed) {
        arm(st, true);
    }
    if ((what & CURL_POLL_OUT) != 0 && !st->write_armed) {
        arm(st, false);
    }
}

void curl_multi::shard::arm(const std::shared_ptr<socket_state>& st, bool read) {
    const int fd = st->descriptor.native_handle();
    std::uint64_t generation = 0;
    if (read) {
        st->read_armed = true;
        generation = ++st->read_generation;
    } else {
        st->write_armed = true;
        generation = ++st->write_generation;
    }
    std::weak_ptr<socket_state> weak = st;
    st->descriptor.async_wait(
        read ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write,
        [this, weak, fd, read, generation](const boost::system::error_code& ec) {
            auto live = weak.lock();
            if (!live) {
                return;
            }
            const std::uint64_t current = read ? live->read_generation : live->write_generation;
            if (generation != current) {
                return; // superseded by a later wait or by a change of interest
            }
            if (read) {
                live->read_armed = false;
            } else {
                live->write_armed = false;
            }
            if (ec == asio::error::operation_aborted) {
                return;
            }
            act(fd, ec ? CURL_CSELECT_ERR : (read ? CURL_CSELECT_IN : CURL_CSELECT_OUT));
            // Re-arm if curl still wants this direction on the same socket object.
            auto again = sockets_.find(fd);
            if (again != sockets_.end() && again->second == live) {
                const int bit = read ? CURL_POLL_IN : CURL_POLL_OUT;
                const bool armed = read ? live->read_armed : live->write_armed;
                if ((live->want & bit) != 0 && !armed) {
                    arm(live, read);
                }
            }
        });
}

void curl_multi::shard::forget(curl_socket_t s, bool close_fd) {
    auto it = sockets_.find(s);
    if (it == sockets_.end()) {
        if (close_fd) {
            ::close(s);
        }
        return;
    }
    std::shared_ptr<socket_state> st = std::move(it->second);
    sockets_.erase(it);
    boost::system::error_code ignored;
    st->descriptor.cancel(ignored);
    ++st->read_generation;
    ++st->write_generation;
    const int native = st->descriptor.release();
    if (close_fd) {
        ::close(native);
    }
}

int curl_multi::shard::on_timer(CURLM* /*multi*/, long timeout_ms, void* self) {
    auto* me = static_cast<shard*>(self);
    const std::uint64_t generation = ++me->timer_generation_;
    if (timeout_ms < 0) {
        me->timer_.cancel();
        return 0;
    }
    // Even a 0 ms timeout goes through the loop: curl must not be re-entered from here.
    me->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    me->timer_.async_wait([me, generation](const boost::system::error_code& ec) {
        if (ec || generation != me->timer_generation_) {
            return;
        }
        me->act(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
}

curl_socket_t curl_multi::shard::on_open_socket(void* self, curlsocktype purpose,
                                                curl_sockaddr* address) {
    auto* me = static_cast<shard*>(self);
    if (purpose != CURLSOCKTYPE_IPCXN) {
        return CURL_SOCKET_BAD;
    }
    const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd < 0) {
        return CURL_SOCKET_BAD;
    }
    try {
        // A stale entry for a recycled descriptor number (curl closed a socket it opened
        // itself before telling us) is dropped without closing anything, in every shard:
        // a number recycled across shards would otherwise be deregistered under the new
        // socket when the old entry is forgotten.
        me->parent_.drop_stale(fd, nullptr);
        auto st = std::make_shared<socket_state>(me->io_);
        st->owned = true;
        boost::system::error_code ec;
        st->descriptor.assign(fd, ec);
        if (ec) {
            ::close(fd);
            return CURL_SOCKET_BAD;
        }
        me->sockets_.emplace(fd, std::move(st));
    } catch (...) {
        ::close(fd);
        return CURL_SOCKET_BAD;
    }
    return fd;
}

int curl_multi::shard::on_close_socket(void* self, curl_socket_t s) {
    auto* me = static_cast<shard*>(self);
    me->forget(s, true);
    return 0;
}

void curl_multi::shard::act(curl_socket_t s, int ev_bitmask) {
    int running = 0;
    curl_multi_socket_action(multi_.get(), s, ev_bitmask, &running);
    finish_done_transfers();
}

void curl_multi::shard::finish_done_transfers() {
    // Collect first: completions may add or cancel transfers, which touches curl's queue.
    std::vector<std::pair<completion, CURLcode>> done;
    int pending = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &pending)) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        CURL* easy = msg->easy_handle;
        const CURLcode result = msg->data.result;
        auto it = transfers_.find(easy);
        if (it == transfers_.end()) {
            continue;
        }
        done.emplace_back(std::move(it->second), result);
        transfers_.erase(it);
        parent_.owner_.erase(easy);
        curl_multi_remove_handle(multi_.get(), easy);
    }
    for (auto& [cb, result] : done) {
        try {
            cb(result);
        } catch (...) {
            // A completion must not throw; swallow rather than unwind through Asio.
        }
    }
}

} // namespace pantau
