#include "notify/email.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <deque>
#include <unordered_map>

#include "core/duration.hpp"
#include "core/html.hpp"
#include "core/text.hpp"
#include "io/curl_multi.hpp"
#include "notify/curl_thread.hpp"
#include "notify/http_post.hpp"
#include "notify/wording.hpp"

namespace pantau {
namespace {

using notify_detail::headline;
using notify_detail::snippet;
using text::display_name;
using text::numeric_date_time;

constexpr std::size_t max_reason_bytes = 1000;
constexpr std::size_t max_name_bytes = 200;
// Base64 output lines (RFC 2045 allows up to 76).
constexpr std::size_t base64_line = 76;
// Raw bytes per RFC 2047 encoded word: 39 bytes -> 52 base64 characters, so
// "Subject: =?UTF-8?B?<52>?=" is 73 characters, under RFC 5322's 78.
constexpr std::size_t encoded_word_bytes = 39;
// A boundary starting with "=_" can occur neither in base64 nor in the headers we write.
constexpr const char* boundary = "=_pantau_alternative_8f3a";

std::string base64(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// Base64 in lines of base64_line characters, each ending in CRLF.
std::string base64_lines(std::string_view data) {
    const std::string flat = base64(data);
    std::string out;
    out.reserve(flat.size() + flat.size() / base64_line * 2 + 2);
    for (std::size_t i = 0; i < flat.size(); i += base64_line) {
        out.append(flat, i, base64_line);
        out += "\r\n";
    }
    return out;
}

std::string crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 40);
    for (const char c : text) {
        if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

bool plain_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u < 0x7f;
    });
}

// "Subject: <value>" folded to lines of at most 78 characters. Plain ASCII that fits
// stays as it is; anything else becomes RFC 2047 encoded words cut at UTF-8 boundaries.
std::string subject_header(std::string_view subject) {
    const std::string name = "Subject: ";
    if (plain_ascii(subject) && subject.find("=?") == std::string_view::npos &&
        name.size() + subject.size() <= 78) {
        return name + std::string(subject) + "\r\n";
    }
    std::string out = name;
    std::size_t at = 0;
    while (at < subject.size()) {
        std::size_t end = std::min(subject.size(), at + encoded_word_bytes);
        // Back off continuation bytes so each word decodes to whole characters.
        while (end < subject.size() && end > at + 1 &&
               (static_cast<unsigned char>(subject[end]) & 0xC0U) == 0x80U) {
            --end;
        }
        if (at != 0) {
            out += "\r\n "; // folding white space between encoded words is not displayed
        }
        out += "=?UTF-8?B?" + base64(subject.substr(at, end - at)) + "?=";
        at = end;
    }
    return out + "\r\n";
}

// "To: a@x, b@y" folded before an address that would pass 78 characters.
std::string to_header(const std::vector<std::string>& to) {
    std::string out = "To: ";
    std::size_t line = out.size();
    for (std::size_t i = 0; i < to.size(); ++i) {
        std::string item = to[i] + (i + 1 < to.size() ? "," : "");
        if (i != 0) {
            if (line + 1 + item.size() > 78) {
                out += "\r\n";
                line = 0;
            }
            out += ' ';
            ++line;
        }
        out += item;
        line += item.size();
    }
    return out + "\r\n";
}

// RFC 5322 date-time in the city's offset: "Sat, 28 Nov 2026 19:00:05 +0700".
std::string rfc5322_date(wall_time t, std::chrono::minutes offset) {
    static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed",
                                                     "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto local = std::chrono::floor<std::chrono::seconds>(t) + offset;
    const std::time_t tt = std::chrono::system_clock::to_time_t(local);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    const auto total = offset.count();
    const auto abs = total < 0 ? -total : total;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
                  days.at(static_cast<std::size_t>(tm.tm_wday)), tm.tm_mday,
                  months.at(static_cast<std::size_t>(tm.tm_mon)), tm.tm_year + 1900, tm.tm_hour,
                  tm.tm_min, tm.tm_sec, total < 0 ? '-' : '+', static_cast<int>(abs / 60),
                  static_cast<int>(abs % 60));
    return buf;
}

// RFC 5322 atext: what a dot-atom may hold besides '.'.
bool is_atext(char c) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// "<pantau.outage-42/level-2/firing@kota.go.id>": the same key always gives the same id.
std::string message_id(const notification& n, std::string_view from) {
    std::string left = "pantau.";
    const std::string key = n.idempotency_key.empty()
                                ? "outage-" + std::to_string(n.outage_id) + "." + to_string(n.kind)
                                : n.idempotency_key.substr(0, 200);
    for (const char c : key) {
        left += is_atext(c) || c == '.' ? c : '_';
    }
    while (left.back() == '.') {
        left.back() = '_';
    }
    std::string dots; // no empty dot-atom parts: ".." becomes "._"
    for (const char c : left) {
        dots += (c == '.' && !dots.empty() && dots.back() == '.') ? '_' : c;
    }
    const auto at = from.rfind('@');
    const std::string_view domain = at == std::string_view::npos ? "pantau" : from.substr(at + 1);
    return "<" + dots + "@" + std::string(domain) + ">";
}

std::string agency_label(const notification& n) {
    return snippet(n.agency_name.empty() ? n.agency : n.agency_name, max_name_bytes);
}

std::string service_label(const notification& n) {
    return snippet(n.service_name.empty() ? n.service : n.service_name, max_name_bytes);
}

// One SMTP submission in flight. Owned jointly by the channel's completion and the curl
// thread; libcurl's callbacks fill it on that thread, the completion reads it on the loop.
struct smtp_transfer {
    curl_easy_ptr easy;
    curl_slist_ptr recipients;
    std::string message; // read by curl through on_read
    std::size_t sent = 0;
    // The server's last few answer lines (curl passes them to the header callback).
    std::deque<std::string> answers;
    char error[CURL_ERROR_SIZE] = {};
};

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
    auto* t = static_cast<smtp_transfer*>(user);
    const size_t n = std::min(size * count, t->message.size() - t->sent);
    std::copy_n(t->message.data() + t->sent, n, buffer);
    t->sent += n;
    return n;
}

size_t on_answer(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<smtp_transfer*>(user);
    const size_t n = size * count;
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
        line.remove_suffix(1);
    }
    t->answers.emplace_back(snippet(line, 300));
    if (t->answers.size() > 8) {
        t->answers.pop_front();
    }
    return n;
}

// The answer line that carried the final code: the last one starting with it (QUIT's
// "221" may follow).
std::string answer_for(const smtp_transfer& t, long code) {
    if (code <= 0) {
        return {};
    }
    std::string prefix = std::to_string(code);
    const auto match =
        std::find_if(t.answers.rbegin(), t.answers.rend(),
                     [&prefix](const std::string& a) { return a.rfind(prefix, 0) == 0; });
    if (match == t.answers.rend()) {
        return prefix;
    }
    std::string line = *match;
    if (line.size() > prefix.size() && line[prefix.size()] == '-') {
        line[prefix.size()] = ' '; // a line of a multi-line answer
    }
    return line;
}

send_result classify(CURLcode rc, long code, const std::string& answer, const char* error,
                     std::chrono::milliseconds timeout) {
    send_result r;
    const std::string said = answer.empty() ? "" : "smtp " + answer;
    if (rc == CURLE_OK) {
        r.ok = true;
        r.detail = said.empty() ? "smtp: accepted" : said;
        return r;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        r.retryable = true;
        r.detail = "timeout after " + format_duration(timeout);
        if (!said.empty()) {
            r.detail += " (last answer: " + said + ")";
        }
        return r;
    }
    // The server's own verdict decides when it gave one: 4xx transient, 5xx final.
    if (code >= 400 && code < 600) {
        r.retryable = code < 500;
        r.detail = said;
        return r;
    }
    const std::string what = snippet(error[0] != '\0' ? error : curl_easy_strerror(rc), 200);
    switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: r.detail = "bad URL: " + what; return r;
    case CURLE_USE_SSL_FAILED: // STARTTLS required but not offered: configuration
    case CURLE_LOGIN_DENIED: r.detail = what; return r;
    default: break;
    }
    r.retryable = true;
    r.detail = what;
    if (!said.empty()) {
        r.detail += " (last answer: " + said + ")";
    }
    return r;
}

class email_channel final : public channel {
public:
    email_channel(curl_multi& curl, email_options options)
        : options_(std::move(options))
        , worker_(curl.context()) {}

    ~email_channel() override { cancel(); }
    email_channel(const email_channel&) = delete;
    email_channel& operator=(const email_channel&) = delete;
    email_channel(email_channel&&) = delete;
    email_channel& operator=(email_channel&&) = delete;

    void async_send(const notification& n, send_handler done) override {
        auto t = std::make_shared<smtp_transfer>();
        t->message = email_message(n, options_, std::chrono::system_clock::now());
        for (const std::string& to : options_.to) {
            const std::string rcpt = "<" + to + ">";
            t->recipients.reset(curl_slist_append(t->recipients.release(), rcpt.c_str()));
        }
        t->easy.reset(curl_easy_init());
        if (t->easy) {
            configure(t->easy.get(), *t);
        }
        CURL* const easy = t->easy.get();
        // The completion keeps the transfer for reading the answers; cancel() drops it.
        curl_thread::completion finished = [this, t, done = std::move(done)](CURLcode rc,
                                                                             long code) {
            on_done(*t, rc, code, done);
        };
        if (easy == nullptr) {
            worker_.add(nullptr, nullptr, std::move(finished)); // fails it, later
            return;
        }
        worker_.add(std::move(t), easy, std::move(finished));
    }

    void cancel() override { worker_.cancel_all(); }

    const std::string& name() const override { return options_.name; }

private:
    void configure(CURL* h, smtp_transfer& t) const {
        const long timeout_ms = static_cast<long>(options_.timeout.count());
        const bool smtps = options_.url.rfind("smtps://", 0) == 0;
        curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t.error);
        curl_easy_setopt(h, CURLOPT_MAIL_FROM, ("<" + options_.from + ">").c_str());
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, t.recipients.get());
        curl_easy_setopt(h, CURLOPT_USE_SSL,
                         smtps || options_.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
        if (options_.ca_file) {
            curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file->c_str());
        }
        if (options_.username) {
            curl_easy_setopt(h, CURLOPT_USERNAME, options_.username->c_str());
            curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.value_or("").c_str());
        }
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.message.size()));
        curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &t);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_answer);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        // Bounds each wait for one answer, including the two libcurl makes synchronously
        // (after the message and after QUIT, the second not covered by CURLOPT_TIMEOUT_MS);
        // its default of 120 s would hold up this channel's next sends that long.
        curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                         std::max(1L, (timeout_ms + 999) / 1000));
        // One message per connection: no idle SMTP sessions held open in the pool.
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    }

    void on_done(const smtp_transfer& t, CURLcode rc, long code, const send_handler& done) const {
        send_result result = classify(rc, code, answer_for(t, code), t.error, options_.timeout);
        try {
            if (done) {
                done(std::move(result));
            }
        } catch (const std::exception& e) {
            spdlog::error("notify: a send completion threw: {}", e.what());
        } catch (...) {
            spdlog::error("notify: a send completion threw");
        }
    }

    email_options options_;
    // Sends run on a thread of their own: libcurl blocks while it waits for two of the
    // server's answers (see email.hpp).
    curl_thread worker_;
};

} // namespace

bool is_plain_address(std::string_view text) {
    const auto at = text.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 >= text.size() ||
        text.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f &&
               std::string_view("\"(),:;<>[\\]").find(c) == std::string_view::npos;
    });
}

std::string email_subject(const notification& n) {
    const std::string level = n.level > 0 ? " L" + std::to_string(n.level) : "";
    std::string tag;
    switch (n.kind) {
    case notification_kind::firing: tag = "[DOWN" + level + "]"; break;
    case notification_kind::reminder: tag = "[MASIH DOWN" + level + "]"; break;
    case notification_kind::resolved: tag = "[PULIH]"; break;
    case notification_kind::flapping: tag = "[TIDAK STABIL]"; break;
    }
    return tag + " " + agency_label(n) + " — " + service_label(n);
}

std::string email_text(const notification& n) {
    std::string text = std::string(headline(n.kind)) + "\n\n";
    text +=
        "Layanan: " + snippet(display_name(n.service_name, n.service), 2 * max_name_bytes) + "\n";
    text +=
        "Instansi: " + snippet(display_name(n.agency_name, n.agency), 2 * max_name_bytes) + "\n";
    text += (n.kind == notification_kind::resolved ? "Terganggu sejak: " : "Sejak: ") +
            numeric_date_time(n.since, n.utc_offset) + "\n";
    text += "Pemeriksaan gagal: " + snippet(n.check, max_name_bytes) + " — " +
            snippet(n.reason, max_reason_bytes) + "\n";
    text += "Tingkat eskalasi: " + std::to_string(n.level) + "\n";
    text += "Gangguan #" + std::to_string(n.outage_id) + "\n";
    if (!n.link.empty()) {
        text += "Rincian: " + snippet(n.link, 1000) + "\n";
    }
    text += "\n-- \nPesan otomatis dari Pantau, pemantau layanan publik digital.\n";
    return text;
}

std::string email_html(const notification& n) {
    auto row = [](std::string_view label, const std::string& value) {
        return "<tr><th align=\"left\">" + std::string(label) + "</th><td>" + value +
               "</td></tr>\n";
    };
    auto named = [](const std::string& name, const std::string& id) {
        if (name.empty() || name == id) {
            return "<b>" + html_escape(snippet(id, max_name_bytes)) + "</b>";
        }
        return "<b>" + html_escape(snippet(name, max_name_bytes)) + "</b> (" +
               html_escape(snippet(id, max_name_bytes)) + ")";
    };
    std::string html = "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">"
                       "<title>" +
                       html_escape(email_subject(n)) + "</title></head>\n<body>\n";
    const char* colour = n.kind == notification_kind::resolved ? "#1a7f37" : "#cf222e";
    html += "<p style=\"color:" + std::string(colour) + "\"><b>" + headline(n.kind) +
            "</b></p>\n<table>\n";
    html += row("Layanan", named(n.service_name, n.service));
    html += row("Instansi", named(n.agency_name, n.agency));
    html += row(n.kind == notification_kind::resolved ? "Terganggu sejak" : "Sejak",
                html_escape(numeric_date_time(n.since, n.utc_offset)));
    html += row("Pemeriksaan gagal", html_escape(snippet(n.check, max_name_bytes)) + " — " +
                                         html_escape(snippet(n.reason, max_reason_bytes)));
    html += row("Tingkat eskalasi", std::to_string(n.level));
    html += row("Gangguan", "#" + std::to_string(n.outage_id));
    html += "</table>\n";
    const std::string link = snippet(n.link, 1000);
    if (link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0) {
        html += "<p><a href=\"" + html_escape(link) + "\">Rincian gangguan</a></p>\n";
    } else if (!link.empty()) {
        html += "<p>Rincian: " + html_escape(link) + "</p>\n";
    }
    html += "<p style=\"color:#6e7781\">Pesan otomatis dari Pantau, pemantau layanan publik "
            "digital.</p>\n</body></html>\n";
    return html;
}

std::string email_message(const notification& n, const email_options& options, wall_time now) {
    std::string m;
    m += "From: Pantau <" + options.from + ">\r\n";
    m += to_header(options.to);
    m += subject_header(email_subject(n));
    m += "Date: " + rfc5322_date(now, n.utc_offset) + "\r\n";
    m += "Message-ID: " + message_id(n, options.from) + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/alternative; boundary=\"" + std::string(boundary) + "\"\r\n";
    m += "Content-Language: id\r\n";
    m += "Auto-Submitted: auto-generated\r\n"; // RFC 3834: no vacation auto-replies
    m += "X-Pantau-Event: " + std::string(to_string(n.kind)) + "\r\n";
    m += "\r\n";
    m += "--" + std::string(boundary) + "\r\n";
    m += "Content-Type: text/plain; charset=UTF-8\r\n";
    m += "Content-Transfer-Encoding: base64\r\n\r\n";
    m += base64_lines(crlf(email_text(n)));
    m += "--" + std::string(boundary) + "\r\n";
    m += "Content-Type: text/html; charset=UTF-8\r\n";
    m += "Content-Transfer-Encoding: base64\r\n\r\n";
    m += base64_lines(crlf(email_html(n)));
    m += "--" + std::string(boundary) + "--\r\n";
    return m;
}

std::unique_ptr<channel> make_email_channel(curl_multi& curl, email_options options) {
    return std::make_unique<email_channel>(curl, std::move(options));
}

} // namespace pantau
