// The e-mail channel against a loopback SMTP server (tests/fixtures/smtp_fake.hpp): what
// arrives, how the server's answers map to send results, STARTTLS and AUTH.
#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "fixtures/smtp_fake.hpp"
#include "fixtures/temp_dir.hpp"
#include "fixtures/test_cert.hpp"
#include "notify/channel.hpp"
#include "notify_support.hpp"

using namespace pantau;
using namespace std::chrono_literals;
using pantau::test::notify_env;
using pantau::test::sample;
using pantau::test::smtp_fake;
using pantau::test::smtp_fake_options;
using pantau::test::smtp_reply;
using pantau::test::smtp_step;

namespace {

std::string decode_base64(std::string text) {
    text.erase(std::remove_if(text.begin(), text.end(),
                              [](char c) { return c == '\r' || c == '\n' || c == ' '; }),
               text.end());
    if (text.empty() || text.size() % 4 != 0) {
        return {};
    }
    std::string out(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    REQUIRE(n >= 0);
    out.resize(static_cast<std::size_t>(n) -
               static_cast<std::size_t>(std::count(text.end() - 2, text.end(), '=')));
    return out;
}

// RFC 2047: "=?UTF-8?B?...?=" words (white space between them dropped) around plain text.
std::string decode_header(const std::string& value) {
    static const std::regex word(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=)", std::regex::icase);
    std::string out;
    auto it = std::sregex_iterator(value.begin(), value.end(), word);
    std::size_t at = 0;
    bool previous_was_word = false;
    for (; it != std::sregex_iterator(); ++it) {
        const std::string between = value.substr(at, static_cast<std::size_t>(it->position()) - at);
        if (!(previous_was_word && between.find_first_not_of(" \t") == std::string::npos)) {
            out += between;
        }
        out += decode_base64((*it)[1].str());
        at = static_cast<std::size_t>(it->position() + it->length());
        previous_was_word = true;
    }
    return out + value.substr(at);
}

struct mime_part {
    std::map<std::string, std::string> headers; // lower-case names, unfolded values
    std::string body;                           // as sent
};

mime_part split_part(const std::string& text) {
    mime_part p;
    const auto end = text.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    std::string head = text.substr(0, end);
    p.body = text.substr(end + 4);
    // Unfold: CRLF followed by white space continues the previous line.
    head = std::regex_replace(head, std::regex("\r\n([ \t])"), "$1");
    std::size_t at = 0;
    while (at <= head.size()) {
        auto eol = head.find("\r\n", at);
        if (eol == std::string::npos) {
            eol = head.size();
        }
        const std::string line = head.substr(at, eol - at);
        const auto colon = line.find(':');
        REQUIRE(colon != std::string::npos);
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        p.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        at = eol + 2;
    }
    return p;
}

struct parsed_mail {
    mime_part top;
    std::string text; // decoded text/plain part
    std::string html; // decoded text/html part
    std::string subject;
};

parsed_mail parse_mail(const std::string& data) {
    parsed_mail m;
    m.top = split_part(data);
    m.subject = decode_header(m.top.headers["subject"]);
    std::smatch b;
    const std::string& type = m.top.headers["content-type"];
    REQUIRE(std::regex_search(type, b, std::regex(R"(boundary="([^"]+)\")")));
    const std::string delimiter = "--" + b[1].str();
    std::size_t at = m.top.body.find(delimiter + "\r\n");
    REQUIRE(at != std::string::npos);
    while (true) {
        at += delimiter.size() + 2;
        const auto next = m.top.body.find("\r\n" + delimiter, at);
        REQUIRE(next != std::string::npos);
        const mime_part part = split_part(m.top.body.substr(at, next - at));
        const auto content_type = part.headers.at("content-type");
        CHECK(part.headers.at("content-transfer-encoding") == "base64");
        const std::string decoded = decode_base64(part.body);
        if (content_type.rfind("text/plain", 0) == 0) {
            CHECK(content_type == "text/plain; charset=UTF-8");
            m.text = decoded;
        } else if (content_type.rfind("text/html", 0) == 0) {
            CHECK(content_type == "text/html; charset=UTF-8");
            m.html = decoded;
        }
        at = next + 2;
        if (m.top.body.compare(at + delimiter.size(), 2, "--") == 0) {
            break; // the closing delimiter
        }
    }
    return m;
}

std::map<std::string, std::string> plain_settings(const smtp_fake& fake) {
    return {{"smtp.url", fake.url()},
            {"smtp.starttls", "false"},
            {"from", "pantau@kota.go.id"},
            {"to", "kadis.dukcapil@kota.go.id, sekda@kota.go.id"},
            {"timeout", "5s"}};
}

} // namespace

TEST_CASE("notify: email: a multipart message with the right headers reaches the server") {
    smtp_fake fake;
    notify_env env;
    auto ch = env.make("email", plain_settings(fake));
    CHECK(ch->name() == "test-email");
    CHECK_FALSE(ch->refresh_every());

    const send_result r = env.send(*ch, sample());
    INFO(r.detail);
    CHECK(r.ok);
    CHECK(r.detail.rfind("smtp 250", 0) == 0);

    const auto messages = fake.messages();
    REQUIRE(messages.size() == 1);
    const auto& msg = messages[0];
    CHECK(msg.mail_from == "pantau@kota.go.id");
    CHECK(msg.rcpt_to == std::vector<std::string>{"kadis.dukcapil@kota.go.id", "sekda@kota.go.id"});
    CHECK_FALSE(msg.tls);
    CHECK_FALSE(msg.auth);

    // RFC 5322: no line longer than 78 characters, CRLF line ends only.
    std::size_t at = 0;
    while (at < msg.data.size()) {
        const auto eol = msg.data.find("\r\n", at);
        REQUIRE(eol != std::string::npos);
        CHECK(eol - at <= 78);
        CHECK(msg.data.substr(at, eol - at).find('\n') == std::string::npos);
        at = eol + 2;
    }

    const parsed_mail mail = parse_mail(msg.data);
    const auto& h = mail.top.headers;
    CHECK(h.at("from") == "Pantau <pantau@kota.go.id>");
    CHECK(h.at("to") == "kadis.dukcapil@kota.go.id, sekda@kota.go.id");
    CHECK(mail.subject ==
          "[DOWN L2] Dinas Kependudukan dan Pencatatan Sipil — Layanan Akta Kelahiran Online");
    CHECK(h.at("subject").find("=?UTF-8?B?") == 0); // the dash is not ASCII
    CHECK(h.at("message-id") == "<pantau.outage-42/level-2/firing@kota.go.id>");
    CHECK(std::regex_match(h.at("date"), std::regex(R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} )"
                                                    R"(\d\d:\d\d:\d\d \+0700)")));
    CHECK(h.at("mime-version") == "1.0");
    CHECK(h.at("content-type").rfind("multipart/alternative;", 0) == 0);

    INFO(mail.text);
    CHECK(mail.text.find("GANGGUAN LAYANAN") != std::string::npos);
    CHECK(mail.text.find("Layanan: Layanan Akta Kelahiran Online (akta-online)") !=
          std::string::npos);
    CHECK(mail.text.find("Instansi: Dinas Kependudukan dan Pencatatan Sipil (dukcapil)") !=
          std::string::npos);
    CHECK(mail.text.find("Sejak: 28-11-2026 19:00 WIB") != std::string::npos);
    CHECK(mail.text.find("Pemeriksaan gagal: portal — http 503") != std::string::npos);
    CHECK(mail.text.find("Tingkat eskalasi: 2") != std::string::npos);
    CHECK(mail.text.find("Gangguan #42") != std::string::npos);
    CHECK(mail.text.find("Rincian: https://status.example.go.id/outages/42") != std::string::npos);
    CHECK(mail.text.find("\r\n") != std::string::npos); // canonical line ends

    INFO(mail.html);
    CHECK(mail.html.find("<b>Layanan Akta Kelahiran Online</b> (akta-online)") !=
          std::string::npos);
    CHECK(mail.html.find("<b>Dinas Kependudukan dan Pencatatan Sipil</b> (dukcapil)") !=
          std::string::npos);
    CHECK(mail.html.find("portal — http 503") != std::string::npos);
    CHECK(mail.html.find("28-11-2026 19:00 WIB") != std::string::npos);
    CHECK(mail.html.find(R"(<a href="https://status.example.go.id/outages/42">)") !=
          std::string::npos);

    // A retry carries the same Message-ID; the recovery says so in its subject.
    CHECK(env.send(*ch, sample()).ok);
    notification resolved = sample();
    resolved.kind = notification_kind::resolved;
    resolved.idempotency_key = "outage-42/resolved";
    CHECK(env.send(*ch, resolved).ok);
    notification reminder = sample();
    reminder.kind = notification_kind::reminder;
    reminder.idempotency_key = "outage-42/level-2/reminder-1";
    CHECK(env.send(*ch, reminder).ok);
    const auto all = fake.messages();
    REQUIRE(all.size() == 4);
    CHECK(parse_mail(all[1].data).top.headers.at("message-id") == h.at("message-id"));
    const parsed_mail recovered = parse_mail(all[2].data);
    CHECK(recovered.subject ==
          "[PULIH] Dinas Kependudukan dan Pencatatan Sipil — Layanan Akta Kelahiran Online");
    CHECK(recovered.top.headers.at("message-id") == "<pantau.outage-42/resolved@kota.go.id>");
    CHECK(recovered.text.find("LAYANAN PULIH") != std::string::npos);
    CHECK(recovered.text.find("Terganggu sejak: 28-11-2026 19:00 WIB") != std::string::npos);
    CHECK(parse_mail(all[3].data).subject.rfind("[MASIH DOWN L2] ", 0) == 0);
}

TEST_CASE("notify: email: several sends in flight each complete") {
    smtp_fake fake;
    notify_env env;
    auto ch = env.make("email", plain_settings(fake));
    std::vector<send_result> results;
    for (int i = 0; i < 3; ++i) {
        notification n = sample();
        n.idempotency_key = "outage-" + std::to_string(i) + "/level-1/firing";
        ch->async_send(n, [&results](send_result r) { results.push_back(std::move(r)); });
    }
    CHECK(results.empty()); // never from inside async_send
    env.run_until([&results] { return results.size() == 3; }, 15s);
    REQUIRE(results.size() == 3);
    for (const auto& r : results) {
        CHECK(r.ok);
    }
    CHECK(fake.messages().size() == 3);
}

TEST_CASE("notify: email: hostile names are escaped in the HTML part") {
    smtp_fake fake;
    notify_env env;
    auto ch = env.make("email", plain_settings(fake));
    notification n = sample();
    n.service_name = R"(<script>alert("x")</script> & <b>)";
    n.reason = "body contains \"<a href='x'>\"";
    CHECK(env.send(*ch, n).ok);
    const auto messages = fake.messages();
    REQUIRE(messages.size() == 1);
    const parsed_mail mail = parse_mail(messages[0].data);
    INFO(mail.html);
    CHECK(mail.html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;") !=
          std::string::npos);
    CHECK(mail.html.find("<script>") == std::string::npos);
    CHECK(mail.html.find("<a href='x'>") == std::string::npos);
    CHECK(mail.html.find("&lt;a href=&#39;x&#39;&gt;") != std::string::npos);
    // Plain text needs no escaping; the subject carries the name as written.
    CHECK(mail.text.find(R"(<script>alert("x")</script>)") != std::string::npos);
    CHECK(mail.subject.find(R"(<script>alert("x")</script>)") != std::string::npos);
}

TEST_CASE("notify: email: credentials reach the server, wrong ones are final") {
    smtp_fake_options options;
    options.username = "pantau";
    options.password = "rahasia kota";
    smtp_fake fake(options);
    notify_env env;
    auto settings = plain_settings(fake);
    settings["smtp.username"] = "pantau";
    settings["smtp.password"] = "rahasia kota";
    auto ch = env.make("email", settings);
    const send_result r = env.send(*ch, sample());
    INFO(r.detail);
    CHECK(r.ok);
    const auto messages = fake.messages();
    REQUIRE(messages.size() == 1);
    REQUIRE(messages[0].auth);
    CHECK(messages[0].auth->username == "pantau");
    CHECK(messages[0].auth->password == "rahasia kota");

    settings["smtp.password"] = "salah";
    auto wrong = env.make("email", settings);
    const send_result denied = env.send(*wrong, sample());
    CHECK_FALSE(denied.ok);
    CHECK_FALSE(denied.retryable);
    CHECK(denied.detail.rfind("smtp 535", 0) == 0);
    CHECK(denied.detail.find("salah") == std::string::npos);
    CHECK(fake.messages().size() == 1);
    CHECK(fake.auths().size() == 2);
}

TEST_CASE("notify: email: STARTTLS against the test CA before credentials are sent") {
    const auto chain = pantau::test::make_ca_and_leaf();
    const pantau::test::temp_dir dir;
    const std::string ca_file = dir.write("ca.pem", chain.ca.cert_pem);
    smtp_fake_options options;
    options.tls = chain.leaf;
    options.username = "pantau";
    options.password = "rahasia";
    smtp_fake fake(options);
    notify_env env;
    std::map<std::string, std::string> settings{
        {"smtp.url", fake.url()},  {"smtp.username", "pantau"},   {"smtp.password", "rahasia"},
        {"smtp.ca_file", ca_file}, {"from", "pantau@kota.go.id"}, {"to", "kadis@kota.go.id"},
        {"timeout", "5s"}};
    auto ch = env.make("email", settings); // starttls defaults to true
    const send_result r = env.send(*ch, sample());
    INFO(r.detail);
    CHECK(r.ok);
    const auto messages = fake.messages();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].tls);
    REQUIRE(messages[0].auth);
    CHECK(messages[0].auth->tls);
    const auto auths = fake.auths();
    CHECK(std::all_of(auths.begin(), auths.end(), [](const auto& a) { return a.tls; }));

    // Without the CA the server is not trusted: nothing is sent, not even the password.
    settings.erase("smtp.ca_file");
    auto untrusting = env.make("email", settings);
    const send_result refused = env.send(*untrusting, sample());
    INFO(refused.detail);
    CHECK_FALSE(refused.ok);
    CHECK(refused.retryable);
    CHECK(fake.messages().size() == 1);
    CHECK(fake.auths().size() == 1);
}

TEST_CASE("notify: email: a server without STARTTLS is refused unless starttls is false") {
    smtp_fake fake; // offers no STARTTLS
    notify_env env;
    auto settings = plain_settings(fake);
    settings.erase("smtp.starttls");
    auto ch = env.make("email", settings);
    const send_result r = env.send(*ch, sample());
    INFO(r.detail);
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retryable);
    CHECK(r.detail.find("STARTTLS") != std::string::npos);
    CHECK(fake.messages().empty());
}

TEST_CASE("notify: email: 4xx answers are retryable, 5xx answers are final") {
    smtp_fake fake;
    notify_env env;
    auto ch = env.make("email", plain_settings(fake));

    fake.answer(smtp_reply::temporary_failure, smtp_step::rcpt);
    send_result r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK(r.retryable);
    CHECK(r.detail == "smtp 451 4.7.1 <kadis.dukcapil@kota.go.id>: greylisted, coba lagi nanti");

    fake.answer(smtp_reply::permanent_failure, smtp_step::rcpt);
    r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retryable);
    CHECK(r.detail == "smtp 550 5.1.1 <kadis.dukcapil@kota.go.id>: user unknown");

    fake.answer(smtp_reply::temporary_failure, smtp_step::data_end);
    r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK(r.retryable);
    CHECK(r.detail == "smtp 451 4.3.0 antrean penuh, coba lagi nanti");

    fake.answer(smtp_reply::permanent_failure, smtp_step::data_end);
    r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retryable);
    CHECK(r.detail == "smtp 550 5.7.1 pesan ditolak oleh kebijakan");

    fake.answer(smtp_reply::temporary_failure, smtp_step::greeting);
    r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK(r.retryable);
    CHECK(r.detail.rfind("smtp 421", 0) == 0);

    fake.answer(smtp_reply::permanent_failure, smtp_step::greeting);
    r = env.send(*ch, sample());
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.retryable);
    CHECK(r.detail.rfind("smtp 554", 0) == 0);

    CHECK(fake.messages().empty());
    fake.answer(smtp_reply::accept, smtp_step::rcpt);
    CHECK(env.send(*ch, sample()).ok);
    CHECK(fake.messages().size() == 1);
}

TEST_CASE("notify: email: a server that stops answering times out, retryably") {
    for (const smtp_step step : {smtp_step::greeting, smtp_step::data_end}) {
        smtp_fake fake;
        fake.answer(smtp_reply::hang, step);
        notify_env env;
        auto settings = plain_settings(fake);
        settings["timeout"] = "1s";
        auto ch = env.make("email", settings);
        const auto start = std::chrono::steady_clock::now();
        const send_result r = env.send(*ch, sample());
        const auto elapsed = std::chrono::steady_clock::now() - start;
        INFO(r.detail);
        CHECK_FALSE(r.ok);
        CHECK(r.retryable);
        CHECK(r.detail.rfind("timeout after 1s", 0) == 0);
        CHECK(elapsed >= 900ms);
        CHECK(elapsed < 3s);
        CHECK(fake.messages().empty());
    }
}

TEST_CASE("notify: email: the loop keeps running while a server is slow to greet") {
    smtp_fake fake;
    fake.answer(smtp_reply::hang, smtp_step::greeting);
    notify_env env;
    auto settings = plain_settings(fake);
    settings["timeout"] = "1s";
    auto ch = env.make("email", settings);
    boost::asio::steady_timer tick(env.io);
    int ticks = 0;
    std::function<void()> arm = [&] {
        tick.expires_after(20ms);
        tick.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) {
                ++ticks;
                arm();
            }
        });
    };
    arm();
    const send_result r = env.send(*ch, sample());
    tick.cancel();
    CHECK(r.retryable);
    CHECK(ticks >= 25); // ~50 in one second when nothing blocks the loop
}

TEST_CASE("notify: email: an unreachable server is retryable, cancel drops the handler") {
    std::string dead_url;
    {
        smtp_fake gone;
        dead_url = gone.url(); // nothing listens there once it is destroyed
    }
    notify_env env;
    auto ch = env.make("email", {{"smtp.url", dead_url},
                                 {"smtp.starttls", "false"},
                                 {"from", "pantau@kota.go.id"},
                                 {"to", "a@kota.go.id"}});
    const send_result r = env.send(*ch, sample());
    INFO(r.detail);
    CHECK_FALSE(r.ok);
    CHECK(r.retryable);
    CHECK_FALSE(r.detail.empty());

    smtp_fake fake;
    fake.answer(smtp_reply::hang, smtp_step::greeting);
    auto hanging = env.make("email", plain_settings(fake));
    bool called = false;
    hanging->async_send(sample(), [&called](const send_result&) { called = true; });
    env.run_until([&fake] { return fake.connections() == 1; }, 5s);
    REQUIRE(fake.connections() == 1);
    // Abandoning a send stuck on a silent server does not wait for it (libcurl would
    // otherwise say QUIT and block the loop for the answer).
    const auto cancel_start = std::chrono::steady_clock::now();
    hanging->cancel();
    CHECK(std::chrono::steady_clock::now() - cancel_start < 500ms);
    env.io.restart();
    env.io.run_for(200ms);
    CHECK_FALSE(called);
    hanging->async_send(sample(), [&called](const send_result&) { called = true; });
    hanging.reset(); // destruction cancels too
    env.io.restart();
    env.io.run_for(200ms);
    CHECK_FALSE(called);
}

TEST_CASE("notify: email: make_channel checks the settings") {
    notify_env env;
    const std::map<std::string, std::string> good{{"smtp.url", "smtp://mail.kota.go.id:587"},
                                                  {"from", "pantau@kota.go.id"},
                                                  {"to", "a@kota.go.id,b@kota.go.id"}};
    CHECK(env.refusal("email", good).empty());
    auto with = [&good](const std::string& key, const std::string& value) {
        auto s = good;
        s[key] = value;
        return s;
    };
    auto without = [&good](const std::string& key) {
        auto s = good;
        s.erase(key);
        return s;
    };
    CHECK(env.refusal("email", with("smtp.url", "smtps://mail.kota.go.id")).empty());
    CHECK(env.refusal("email", without("smtp.url")) == "channel \"c\": email needs smtp.url");
    CHECK(env.refusal("email", without("from")) == "channel \"c\": email needs from");
    CHECK(env.refusal("email", without("to")) == "channel \"c\": email needs to");
    CHECK(env.refusal("email", with("smtp.url", "http://mail.kota.go.id")) ==
          "channel \"c\": smtp.url must start with smtp:// or smtps://");
    CHECK(env.refusal("email", with("smtp.host", "x"))
              .rfind("channel \"c\": unknown email setting \"smtp.host\" (known: smtp.url, ", 0) ==
          0);
    CHECK(env.refusal("email", with("from", "Pantau <p@kota.go.id>")).find("plain address") !=
          std::string::npos);
    CHECK(env.refusal("email", with("to", "a@kota.go.id,kadis")) ==
          "channel \"c\": to: \"kadis\" is not a plain address such as kadis@kota.go.id");
    CHECK(env.refusal("email", with("to", "a@kota.go.id,,b@kota.go.id")) ==
          "channel \"c\": to has an empty item");
    CHECK(env.refusal("email", with("smtp.starttls", "yes")) ==
          "channel \"c\": smtp.starttls must be true or false, got \"yes\"");
    CHECK(env.refusal("email", with("smtp.username", "u")) ==
          "channel \"c\": smtp.username and smtp.password go together");
    auto both = with("smtp.username", "u");
    both["smtp.password"] = "";
    CHECK(env.refusal("email", both).find("smtp.password is empty") != std::string::npos);
    CHECK(env.refusal("email", with("smtp.ca_file", "/nonexistent/ca.pem")) ==
          "channel \"c\": smtp.ca_file \"/nonexistent/ca.pem\" is not a readable file");
    CHECK(env.refusal("email", with("timeout", "0s")).find("timeout must be") != std::string::npos);
}
