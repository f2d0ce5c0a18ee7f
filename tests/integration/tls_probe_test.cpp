// The TLS probe against loopback TLS servers with certificates made at test time.
#include <doctest/doctest.h>

#include "fixtures/probe_runner.hpp"
#include "fixtures/process.hpp"
#include "fixtures/socket_servers.hpp"
#include "fixtures/temp_dir.hpp"
#include "fixtures/test_cert.hpp"

using namespace pantau;
using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

tls_check tls_to(const std::string& address, const std::string& ca_file) {
    tls_check c;
    c.address = address;
    c.ca_file = ca_file;
    return c;
}

long days_until(std::chrono::system_clock::time_point t) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::hours>(t - std::chrono::system_clock::now())
            .count() /
        24);
}

} // namespace

TEST_CASE("tls probe: a valid chain is up and reports the chain's earliest expiry") {
    temp_dir dir;
    const certificate root = make_ca();
    validity intermediate_valid;
    intermediate_valid.not_after = std::chrono::days(40); // expires before the leaf
    const certificate intermediate = make_intermediate(root, "Intermediate", intermediate_valid);
    const certificate leaf = make_leaf(intermediate, {});
    tls_server srv({{leaf.cert_pem + intermediate.cert_pem, leaf.key_pem}, false, true});
    probe_runner r;

    const probe_result res = r.run(tls_to(srv.address(), dir.write("root.pem", root.cert_pem)));
    CHECK_MESSAGE(res.status == probe_status::success, res.reason);
    CHECK_MESSAGE(res.reason.find("handshake OK") != std::string::npos, res.reason);
    REQUIRE(res.cert_earliest_expiry);
    CHECK(days_until(*res.cert_earliest_expiry) == 39); // the intermediate's, not the leaf's
    // The server finishes its side after the client has: wait for it.
    CHECK(eventually([&] { return srv.handshakes() == 1; }, 2s));

    // cert_min_days looks at the whole chain too.
    auto strict = tls_to(srv.address(), dir.write("root2.pem", root.cert_pem));
    strict.cert_min_days = 60;
    const probe_result soon = r.run(strict);
    CHECK(soon.status == probe_status::failure);
    CHECK(soon.reason == "certificate expires in 39 days (cert_min_days 60)");
    REQUIRE(soon.cert_earliest_expiry); // still exported
}

TEST_CASE("tls probe: server_name is verified against the certificate and sent as SNI") {
    temp_dir dir;
    const cert_chain chain = make_ca_and_leaf({});
    tls_server srv({chain.leaf, false, true});
    probe_runner r;
    auto spec = tls_to(srv.address(), dir.write("ca.pem", chain.ca.cert_pem));
    spec.server_name = "localhost"; // a DNS name in the certificate
    const probe_result ok = r.run(spec);
    CHECK_MESSAGE(ok.status == probe_status::success, ok.reason);

    spec.server_name = "portal.example.test";
    const probe_result wrong = r.run(spec);
    CHECK(wrong.status == probe_status::failure);
    CHECK(wrong.reason ==
          "host name mismatch: the certificate is not valid for portal.example.test");
}

TEST_CASE("tls probe: a certificate for another host is a host name mismatch") {
    temp_dir dir;
    cert_options o;
    o.dns_names = {"other.example.test"};
    o.ip_addresses = {};
    const cert_chain chain = make_ca_and_leaf(o);
    tls_server srv({chain.leaf, false, true});
    probe_runner r;
    const probe_result res = r.run(tls_to(srv.address(), dir.write("ca.pem", chain.ca.cert_pem)));
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "host name mismatch: the certificate is not valid for 127.0.0.1");
}

TEST_CASE("tls probe: an expired certificate") {
    temp_dir dir;
    cert_options o;
    o.valid.not_before = -std::chrono::hours(48);
    o.valid.not_after = -std::chrono::hours(24);
    const cert_chain chain = make_ca_and_leaf(o);
    tls_server srv({chain.leaf, false, true});
    probe_runner r;
    const probe_result res = r.run(tls_to(srv.address(), dir.write("ca.pem", chain.ca.cert_pem)));
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "certificate expired");
}

TEST_CASE("tls probe: a self-signed certificate is not trusted unless it is the CA file") {
    temp_dir dir;
    const certificate self = make_self_signed({});
    const certificate unrelated = make_ca();
    tls_server srv({self, false, true});
    probe_runner r;
    const probe_result res =
        r.run(tls_to(srv.address(), dir.write("other.pem", unrelated.cert_pem)));
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "self-signed certificate");

    const probe_result trusted = r.run(tls_to(srv.address(), dir.write("self.pem", self.cert_pem)));
    CHECK_MESSAGE(trusted.status == probe_status::success, trusted.reason);
}

TEST_CASE("tls probe: a chain from an unknown CA") {
    temp_dir dir;
    const cert_chain chain = make_ca_and_leaf({});
    const certificate other = make_ca("Somebody Else");
    tls_server srv({chain.leaf, false, true});
    probe_runner r;
    const probe_result res = r.run(tls_to(srv.address(), dir.write("other.pem", other.cert_pem)));
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "certificate not trusted: unknown issuer");
}

TEST_CASE("tls probe: a server that never answers the ClientHello is a handshake timeout") {
    tcp_server silent({});
    probe_runner r;
    temp_dir dir;
    const probe_result res =
        r.run(tls_to(silent.address(), dir.write("ca.pem", make_ca().cert_pem)), 800ms);
    CHECK(res.status == probe_status::failure);
    CHECK(res.reason == "handshake timeout after 800ms");
}

TEST_CASE("tls probe: something that is not TLS, a refused port, a missing CA file") {
    temp_dir dir;
    const std::string ca = dir.write("ca.pem", make_ca().cert_pem);
    probe_runner r;
    {
        tcp_server http({"HTTP/1.1 400 Bad Request\r\n\r\n", {}});
        const probe_result res = r.run(tls_to(http.address(), ca));
        CHECK(res.status == probe_status::failure);
        CHECK_MESSAGE(res.reason.rfind("handshake failed: ", 0) == 0, res.reason);
    }
    const probe_result refused =
        r.run(tls_to("127.0.0.1:" + std::to_string(closed_tcp_port()), ca));
    CHECK(refused.reason == "connection refused");
    const probe_result missing = r.run(tls_to("127.0.0.1:1", (dir.path / "nope.pem").string()));
    CHECK(missing.status == probe_status::failure);
    CHECK_MESSAGE(missing.reason.rfind("cannot load ca_file ", 0) == 0, missing.reason);
}

TEST_CASE("tls probe: SMTP STARTTLS") {
    temp_dir dir;
    const cert_chain chain = make_ca_and_leaf({});
    const std::string ca = dir.write("ca.pem", chain.ca.cert_pem);
    probe_runner r;
    {
        tls_server srv({chain.leaf, true, true});
        auto spec = tls_to(srv.address(), ca);
        spec.starttls = starttls_protocol::smtp;
        const probe_result res = r.run(spec);
        CHECK_MESSAGE(res.status == probe_status::success, res.reason);
        REQUIRE(res.cert_earliest_expiry);
        // The server finishes its side after the client has: wait for it.
        CHECK(eventually([&] { return srv.handshakes() == 1; }, 2s));

        // Without starttls the probe starts TLS on an SMTP greeting: that fails.
        const probe_result plain = r.run(tls_to(srv.address(), ca));
        CHECK(plain.status == probe_status::failure);
    }
    {
        tls_server srv({chain.leaf, true, false});
        auto spec = tls_to(srv.address(), ca);
        spec.starttls = starttls_protocol::smtp;
        const probe_result res = r.run(spec);
        CHECK(res.status == probe_status::failure);
        CHECK(res.reason == "STARTTLS: the server does not offer STARTTLS");
    }
    {
        tcp_server not_smtp({"SSH-2.0-OpenSSH_9.2\r\n", {}});
        auto spec = tls_to(not_smtp.address(), ca);
        spec.starttls = starttls_protocol::smtp;
        const probe_result res = r.run(spec);
        CHECK(res.reason == R"(STARTTLS: unexpected SMTP greeting "SSH-2.0-OpenSSH_9.2\r\n")");
    }
}

TEST_CASE("tls probes with the same CA file share one trust store") {
    temp_dir dir;
    const std::string ca = dir.write("ca.pem", make_ca().cert_pem);
    probe_runner r;
    auto a = make_probe(r.ctx, check_spec{tls_to("127.0.0.1:1", ca)});
    REQUIRE(r.ctx.tls_contexts);
    auto b = make_probe(r.ctx, check_spec{tls_to("127.0.0.1:2", ca)});
    // Observable through the cache: the second probe did not load the file again. The file
    // is removed in between: a second load would fail.
    std::filesystem::remove(ca);
    auto c = make_probe(r.ctx, check_spec{tls_to("127.0.0.1:2", ca)});
    const probe_result res = r.run(*c, 2s);
    CHECK_MESSAGE(res.reason.rfind("cannot load", 0) != 0, res.reason);
}
