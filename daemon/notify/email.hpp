// E-mail channel: one message per notification, submitted over SMTP with libcurl.
//
// Transport: smtp://host[:port][/ehlo-name] (default port 25; 587 for submission) or
// smtps://host[:port] (implicit TLS, usually 465). On smtp:// the channel requires
// STARTTLS (CURLUSESSL_ALL: a server that does not offer it fails the send for good)
// unless `starttls: false`, meant for a plain relay on loopback. Credentials, when set, are
// sent with the mechanism libcurl picks from the server's EHLO AUTH list (PLAIN, LOGIN,
// ...), also without TLS when starttls is false. The server's certificate is verified
// against the system store or `ca_file`. The connection is closed after each message
// (QUIT).
//
// Threads: libcurl (7.88 here, and later releases) waits synchronously for two answers,
// the one after the message's final "." and QUIT's. So that a relay that stops answering
// never holds up the event loop (and with it every probe and the HTTP server), each e-mail
// channel sends on a thread of its own (notify/curl_thread.hpp, started at the first send)
// with its own curl multi; results come back to the loop, and the channel's interface and
// thread-safety are those of every channel. A hung relay delays only this channel's next
// messages: any single answer that takes longer than `timeout` fails the send, retryably,
// like the whole send taking longer than `timeout`. cancel() shuts the sockets of abandoned
// sends down, so libcurl's waits end at once and removing a send stuck on a hung server
// does not wait for its QUIT.
//
// Message (RFC 5322/2045, CRLF line ends, no line over 78 characters):
//   From: Pantau <from>, To: every address of `to`, Subject (RFC 2047 "B" encoded words
//   when not plain ASCII), Date (now, in the city's offset), Message-ID derived from the
//   idempotency key and the domain of `from` (a retry carries the same id, so receivers
//   can drop duplicates), MIME-Version, Content-Type multipart/alternative with a
//   text/plain and a text/html part, both UTF-8 and base64.
//   Subject: "[DOWN L2] <agency name> — <service name>" when an escalation level is
//   reached, "[MASIH DOWN L2] ..." for reminders, "[PULIH] ..." when the service recovered.
//   Body (Indonesian, like Telegram's text): which service of which agency, since when in
//   local time, the failing check and its reason, the escalation level, the outage number
//   and the link. Every configured or probed text in the HTML part is HTML-escaped.
//
// Answers: the message is delivered when the server accepted it after DATA (250). SMTP
// 4xx answers (greylisting, a full queue, a temporary local error), connection failures
// and timeouts are retryable; 5xx answers (unknown recipient, policy rejection, bad
// credentials) are not. All recipients go into one transaction: one rejected recipient
// fails the whole send. The detail names the server's answer, e.g.
// "smtp 550 5.1.1 <kadis@example.go.id>: user unknown"; it never holds the password.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/channel.hpp"

namespace pantau {

struct email_options {
    std::string name; // channel name
    std::string url;  // smtp:// or smtps://
    // smtp:// only: require STARTTLS. Ignored for smtps:// (TLS from the start).
    bool starttls = true;
    std::optional<std::string> username;
    std::optional<std::string> password; // secret; set when username is
    std::optional<std::string> ca_file;  // PEM bundle that replaces the system store
    std::string from;                    // "pantau@kota.go.id": a bare address
    std::vector<std::string> to;         // bare addresses, at least one
    std::chrono::milliseconds timeout{30'000};
};

std::unique_ptr<channel> make_email_channel(curl_multi& curl, email_options options);

// Whether text is a bare address "local@domain" that can go into SMTP commands and headers
// unquoted: printable ASCII without spaces, quotes, brackets, commas or semicolons, one '@'
// with something on each side.
bool is_plain_address(std::string_view text);

// The subject as people read it (UTF-8, before RFC 2047 encoding).
std::string email_subject(const notification& n);

// The plain-text and HTML parts, before base64.
std::string email_text(const notification& n);
std::string email_html(const notification& n);

// The whole message as submitted after DATA, Date taken from now.
std::string email_message(const notification& n, const email_options& options, wall_time now);

} // namespace pantau
