#include "notify/curl_thread.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pantau {
namespace detail {

// Shared by the loop side, the worker and completions posted to the loop, so that none of
// them outlives what it touches.
struct curl_thread_state {
    struct added {
        std::uint64_t id = 0;
        std::shared_ptr<void> owner;
        CURL* easy = nullptr;
    };

    // Guards everything below up to `loop side`. Sockets are opened, closed (by the worker)
    // and shut down (by the loop) under it, so a descriptor is never shut down after it
    // was closed and perhaps reused for something else.
    std::mutex mutex;
    std::deque<added> adds;
    bool cancel_requested = false;
    bool stopping = false;
    bool broken = false;    // the worker could not start: every transfer fails
    CURLM* multi = nullptr; // set by the worker while it runs, for curl_multi_wakeup
    std::unordered_map<curl_socket_t, std::uint64_t> sockets; // open socket -> transfer id

    // Loop side (the io_context's thread only): completions of transfers in flight.
    std::unordered_map<std::uint64_t, curl_thread::completion> done;
    std::uint64_t next_id = 1;

    void shut_down_sockets_locked() {
        for (const auto& [fd, id] : sockets) {
            ::shutdown(fd, SHUT_RDWR);
        }
    }
    void wake_locked() const {
        if (multi != nullptr) {
            curl_multi_wakeup(multi);
        }
    }
};

namespace {

// Per transfer, for the open-socket callback: which transfer the new socket belongs to.
struct socket_tag {
    curl_thread_state* state = nullptr;
    std::uint64_t id = 0;
};

curl_socket_t open_socket(void* clientp, curlsocktype /*purpose*/, curl_sockaddr* address) {
    auto* tag = static_cast<socket_tag*>(clientp);
    const std::lock_guard lock(tag->state->mutex);
    const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd < 0) {
        return CURL_SOCKET_BAD;
    }
    try {
        tag->state->sockets.emplace(fd, tag->id);
    } catch (...) {
        ::close(fd);
        return CURL_SOCKET_BAD;
    }
    return fd;
}

// Its data is the state, not the tag: libcurl may close a socket after the transfer is gone.
int close_socket(void* clientp, curl_socket_t fd) {
    auto* state = static_cast<curl_thread_state*>(clientp);
    const std::lock_guard lock(state->mutex);
    state->sockets.erase(fd);
    return ::close(fd);
}

struct multi_deleter {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};

void fail_later(boost::asio::io_context& io, const std::shared_ptr<curl_thread_state>& state,
                std::uint64_t id) {
    boost::asio::post(io, [state, id] {
        if (auto node = state->done.extract(id)) {
            node.mapped()(CURLE_FAILED_INIT, 0);
        }
    });
}

struct running_transfer {
    std::shared_ptr<void> owner;
    CURL* easy = nullptr;
    std::unique_ptr<socket_tag> tag;
};

// The worker: adds what the loop hands over, drives the multi, posts completions. Exits
// when `stopping`, after removing every transfer (their sockets are shut down by then).
void run_worker(boost::asio::io_context& io, const std::shared_ptr<curl_thread_state>& state) {
    std::unique_ptr<CURLM, multi_deleter> multi(curl_multi_init());
    if (!multi) {
        spdlog::error("notify: curl_multi_init failed; e-mail cannot be sent");
        const std::lock_guard lock(state->mutex);
        state->broken = true;
        for (const auto& a : state->adds) {
            fail_later(io, state, a.id);
        }
        state->adds.clear();
        return;
    }
    {
        const std::lock_guard lock(state->mutex);
        state->multi = multi.get();
    }
    std::unordered_map<std::uint64_t, running_transfer> running;
    auto remove_all = [&] {
        for (auto& [id, t] : running) {
            curl_multi_remove_handle(multi.get(), t.easy);
        }
        running.clear();
    };
    while (true) {
        std::deque<curl_thread_state::added> adds;
        bool cancel = false;
        bool stop = false;
        {
            const std::lock_guard lock(state->mutex);
            adds.swap(state->adds);
            cancel = std::exchange(state->cancel_requested, false);
            stop = state->stopping;
        }
        if (cancel || stop) {
            remove_all();
        }
        if (stop) {
            break;
        }
        for (auto& a : adds) {
            running_transfer t{std::move(a.owner), a.easy,
                               std::make_unique<socket_tag>(socket_tag{state.get(), a.id})};
            curl_easy_setopt(t.easy, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
            curl_easy_setopt(t.easy, CURLOPT_OPENSOCKETDATA, t.tag.get());
            curl_easy_setopt(t.easy, CURLOPT_CLOSESOCKETFUNCTION, &close_socket);
            curl_easy_setopt(t.easy, CURLOPT_CLOSESOCKETDATA, state.get());
            curl_easy_setopt(t.easy, CURLOPT_PRIVATE, t.tag.get());
            curl_easy_setopt(t.easy, CURLOPT_NOSIGNAL, 1L);
            if (curl_multi_add_handle(multi.get(), t.easy) != CURLM_OK) {
                fail_later(io, state, a.id);
                continue;
            }
            running.emplace(a.id, std::move(t));
        }
        int still_running = 0;
        curl_multi_perform(multi.get(), &still_running);
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            CURL* easy = msg->easy_handle;
            const CURLcode result = msg->data.result;
            void* tag = nullptr;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, &tag);
            const std::uint64_t id = static_cast<socket_tag*>(tag)->id;
            long code = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
            curl_multi_remove_handle(multi.get(), easy);
            // The owner is released before the completion can run: nothing of the transfer
            // is touched here any more, so the loop may read what the callbacks wrote.
            running.erase(id);
            boost::asio::post(io, [state, id, result, code] {
                if (auto node = state->done.extract(id)) {
                    node.mapped()(result, code);
                }
            });
        }
        // Woken early by curl_multi_wakeup (add, cancel, stop).
        curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
    }
    const std::lock_guard lock(state->mutex);
    state->multi = nullptr;
}

} // namespace
} // namespace detail

curl_thread::curl_thread(boost::asio::io_context& io)
    : io_(io)
    , state_(std::make_shared<detail::curl_thread_state>()) {}

curl_thread::~curl_thread() {
    cancel_all();
    if (!worker_.joinable()) {
        return;
    }
    {
        const std::lock_guard lock(state_->mutex);
        state_->stopping = true;
        state_->wake_locked();
    }
    worker_.join();
}

void curl_thread::add(std::shared_ptr<void> owner, CURL* easy, completion done) {
    const std::uint64_t id = state_->next_id++;
    state_->done.emplace(id, std::move(done));
    {
        const std::lock_guard lock(state_->mutex);
        if (state_->broken || easy == nullptr) {
            detail::fail_later(io_, state_, id);
            return;
        }
        state_->adds.push_back({id, std::move(owner), easy});
        state_->wake_locked();
    }
    if (!worker_.joinable()) {
        // The worker must not run the loop's handlers, so the io_context goes in by
        // reference and completions come back through post().
        worker_ = std::thread([&io = io_, state = state_] {
            try {
                detail::run_worker(io, state);
            } catch (const std::exception& e) {
                spdlog::error("notify: the e-mail thread stopped: {}", e.what());
            } catch (...) {
                spdlog::error("notify: the e-mail thread stopped");
            }
        });
    }
}

void curl_thread::cancel_all() noexcept {
    state_->done.clear();
    const std::lock_guard lock(state_->mutex);
    state_->adds.clear();
    state_->cancel_requested = true;
    state_->shut_down_sockets_locked();
    state_->wake_locked();
}

std::size_t curl_thread::transfers() const {
    return state_->done.size();
}

} // namespace pantau
