// wss:// and https:// with a self-signed certificate made by the openssl CLI; SIGUSR1 reloads the
// certificate for new connections.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/system/system_error.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ws_integration_support.hpp"

namespace riptide::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// A self-signed certificate (EC P-256: fast to make) with subject CN=`name`.
void make_certificate(const std::string& name, const std::string& certificate_path, const std::string& key_path) {
  const auto made = run_command("/usr/bin/openssl",
                                {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                 "-keyout", key_path, "-out", certificate_path, "-days", "2", "-subj", "/CN=" + name});
  INFO(made.standard_error);
  REQUIRE(made.exit_status == 0);
}

struct tls_exchange {
  std::string subject;  // of the certificate the tracker presented, e.g. "/CN=first"
  std::string reply;    // the first message or HTTP body received
};

std::string peer_subject(SSL* connection) {
  X509* certificate = SSL_get1_peer_certificate(connection);
  REQUIRE(certificate != nullptr);
  char subject[256] = {};
  X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof subject);
  X509_free(certificate);
  return subject;
}

// wss://: TLS handshake (no verification: the test checks the certificate itself), WebSocket
// handshake, one message sent and one received. `proxy_header` is written first, in the clear (to
// play a TCP-mode load balancer that passes TLS through).
tls_exchange wss_exchange(const std::string& host, std::uint16_t port, const std::string& message,
                          const std::string& proxy_header = "") {
  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_none);
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io, context);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address(host), port));
  if (!proxy_header.empty()) asio::write(beast::get_lowest_layer(ws).socket(), asio::buffer(proxy_header));
  ws.next_layer().handshake(ssl::stream_base::client);
  tls_exchange result;
  result.subject = peer_subject(ws.next_layer().native_handle());
  ws.handshake(host, "/announce");
  ws.text(true);
  ws.write(asio::buffer(message));
  beast::flat_buffer buffer;
  ws.read(buffer);
  result.reply = beast::buffers_to_string(buffer.data());
  ws.close(beast::websocket::close_code::normal);
  return result;
}

tls_exchange https_get(const std::string& host, std::uint16_t port, const std::string& target) {
  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address(host), port));
  stream.handshake(ssl::stream_base::client);
  tls_exchange result;
  result.subject = peer_subject(stream.native_handle());
  beast::http::request<beast::http::empty_body> request(beast::http::verb::get, target, 11);
  request.set(beast::http::field::host, host);
  beast::http::write(stream, request);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> response;
  beast::http::read(stream, buffer, response);
  result.reply = response.body();
  return result;
}

// ws_config with TLS on; `limits` and `network` as there.
std::string tls_config(const std::string& certificate_path, const std::string& key_path,
                       const std::string& limits = "", const std::string& network = "") {
  return ws_config(limits,
                   "[tls]\nenabled = true\ncertificate_chain_path = \"" + certificate_path +
                       "\"\nprivate_key_path = \"" + key_path + "\"\n",
                   network);
}

TEST_CASE("wss:// serves announces and https:// serves /health, over IPv4 and IPv6", "[tls]") {
  temporary_file certificate("");
  temporary_file key("");
  make_certificate("first", certificate.path(), key.path());
  tracker_process tracker(tracker_ws_path(), tls_config(certificate.path(), key.path()));
  REQUIRE(tracker.has_ipv4());
  REQUIRE(tracker.has_ipv6());
  for (const char* host : loopback_hosts) {
    INFO("host " << host);
    const auto exchange =
        wss_exchange(host, tracker.port(), announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(2), 0));
    CHECK(exchange.subject == "/CN=first");
    CHECK(expect_message<wt::announce_response>(exchange.reply).interval == 120);
    const auto health = https_get(host, tracker.port(), "/health");
    CHECK(health.reply == "ok");
  }
  // The port speaks TLS only: a plain WebSocket handshake fails.
  CHECK_THROWS_AS(ws_test_client("127.0.0.1", tracker.port()), boost::system::system_error);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("wss:// behind a load balancer that passes TLS through: the PROXY header comes first", "[tls]") {
  temporary_file certificate("");
  temporary_file key("");
  make_certificate("balanced", certificate.path(), key.path());
  tracker_process tracker(tracker_ws_path(), tls_config(certificate.path(), key.path(), "",
                                                        "trusted_proxies = \"127.0.0.1\"\nproxy_protocol = true\n"));
  const auto hash = make_id<proto::info_hash>(5);
  const auto exchange = wss_exchange("127.0.0.1", tracker.port(), announce(hash, make_id<proto::peer_id>(6), 0),
                                     "PROXY TCP6 2001:db8::9 ::1 40000 443\r\n");
  CHECK(exchange.subject == "/CN=balanced");
  CHECK(expect_message<wt::announce_response>(exchange.reply).complete == 1);
  // An IPv4 client through the same balancer: the IPv4 swarm, where it is alone.
  const auto second = wss_exchange("127.0.0.1", tracker.port(), announce(hash, make_id<proto::peer_id>(7), 0),
                                   "PROXY TCP4 203.0.113.9 127.0.0.1 40001 443\r\n");
  CHECK(expect_message<wt::announce_response>(second.reply).complete == 1);  // its own family's swarm
  // Without the header, the TLS handshake never starts.
  CHECK_THROWS_AS(wss_exchange("127.0.0.1", tracker.port(), "{}"), boost::system::system_error);
  // Directly over IPv6, no header is expected.
  CHECK(https_get("::1", tracker.port(), "/stats").reply.find(R"("proxy_headers_refused":1)") != std::string::npos);
}

TEST_CASE("keys in both PEM forms load: PKCS#8 and the traditional PKCS#1 RSA form", "[tls]") {
  const bool pkcs1 = GENERATE(false, true);
  INFO((pkcs1 ? "PKCS#1 (BEGIN RSA PRIVATE KEY)" : "PKCS#8 (BEGIN PRIVATE KEY)"));
  temporary_file certificate("");
  temporary_file key("");
  // OpenSSL 3 writes PKCS#8 unless asked for the traditional form.
  std::vector<std::string> key_command{"genrsa", "-out", key.path()};
  if (pkcs1) key_command.insert(key_command.begin() + 1, "-traditional");
  key_command.push_back("2048");
  REQUIRE(run_command("/usr/bin/openssl", key_command).exit_status == 0);
  const std::string header = pkcs1 ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN PRIVATE KEY-----";
  std::ifstream key_file(key.path());
  std::string first_line;
  std::getline(key_file, first_line);
  REQUIRE(first_line == header);
  REQUIRE(run_command("/usr/bin/openssl", {"req", "-new", "-x509", "-key", key.path(), "-out", certificate.path(),
                                           "-days", "2", "-subj", "/CN=rsa"})
              .exit_status == 0);
  tracker_process tracker(tracker_ws_path(), tls_config(certificate.path(), key.path()));
  const auto exchange =
      wss_exchange("127.0.0.1", tracker.port(), announce(make_id<proto::info_hash>(3), make_id<proto::peer_id>(4), 0));
  CHECK(exchange.subject == "/CN=rsa");
  CHECK(tracker.stop() == 0);
}

TEST_CASE("SIGUSR1 reloads the TLS certificate for new connections, a bad pair keeps the old one", "[tls]") {
  temporary_file certificate("");
  temporary_file key("");
  make_certificate("first", certificate.path(), key.path());
  tracker_process tracker(tracker_ws_path(), tls_config(certificate.path(), key.path()));
  CHECK(https_get("127.0.0.1", tracker.port(), "/health").subject == "/CN=first");

  make_certificate("second", certificate.path(), key.path());
  tracker.send_signal(SIGUSR1);
  REQUIRE(tracker.wait_for_log("TLS certificate reloaded", std::chrono::seconds(5)));
  // The worker takes the new context from its queue before the next accept completes.
  CHECK(https_get("127.0.0.1", tracker.port(), "/health").subject == "/CN=second");

  key.write("not a key\n");
  tracker.send_signal(SIGUSR1);
  REQUIRE(tracker.wait_for_log("TLS reload failed", std::chrono::seconds(5)));
  CHECK(https_get("127.0.0.1", tracker.port(), "/health").subject == "/CN=second");

  // A path that names no regular file is refused at once: read as a file, a FIFO without a writer
  // would block the signal thread for ever (and with it SIGTERM), /dev/zero would fill memory.
  REQUIRE(std::remove(certificate.path().c_str()) == 0);
  SECTION("a FIFO") { REQUIRE(::mkfifo(certificate.path().c_str(), 0600) == 0); }
  SECTION("/dev/zero") { REQUIRE(::symlink("/dev/zero", certificate.path().c_str()) == 0); }
  tracker.send_signal(SIGUSR1);
  const auto logged = tracker.wait_for_log("TLS reload failed", std::chrono::seconds(5));
  REQUIRE(logged);
  CHECK(logged->find("not a regular file") != std::string::npos);
  CHECK(https_get("127.0.0.1", tracker.port(), "/health").subject == "/CN=second");
  CHECK(tracker.stop() == 0);
}

TEST_CASE("with a privilege drop a TLS key its user cannot read is warned about at start-up", "[tls][lifecycle]") {
  if (::geteuid() != 0) {
    WARN("not root: privilege drop not tested");
    return;
  }
  temporary_file certificate("");
  temporary_file key("");  // mode 0600, owned by root: as certbot leaves a key
  make_certificate("kept", certificate.path(), key.path());
  // Each lies in a directory of its own (mode 0700): opened for nobody, only the key's mode stops it.
  for (const auto* file : {&certificate, &key}) {
    REQUIRE(::chmod(std::filesystem::path(file->path()).parent_path().c_str(), 0755) == 0);
  }
  REQUIRE(::chmod(certificate.path().c_str(), 0644) == 0);
  REQUIRE(::chmod(key.path().c_str(), 0600) == 0);
  tracker_process tracker(tracker_ws_path(),
                          tls_config(certificate.path(), key.path()) + "[privileges]\ndrop = true\nuser = \"nobody\"\n");
  // The first such warning (the readable certificate chain, checked first, has none).
  const auto warning = tracker.wait_for_log("cannot be read after the privilege drop", std::chrono::seconds(5));
  REQUIRE(warning);
  INFO(*warning);
  CHECK(warning->find("TLS private key " + key.path()) != std::string::npos);
  CHECK(warning->find("Permission denied") != std::string::npos);
  // Loaded before the drop, the pair serves; its reload fails, as warned, and keeps it.
  CHECK(https_get("127.0.0.1", tracker.port(), "/health").subject == "/CN=kept");
  tracker.send_signal(SIGUSR1);
  REQUIRE(tracker.wait_for_log("TLS reload failed", std::chrono::seconds(5)));
  CHECK(https_get("127.0.0.1", tracker.port(), "/health").subject == "/CN=kept");
  CHECK(tracker.stop() == 0);
}

// A wss:// client speaking WebSocket by hand (Beast's TLS stream, raw frames), to see what the
// tracker sends at the end of a connection, TLS close_notify included.
class raw_wss_client {
 public:
  explicit raw_wss_client(std::uint16_t port) : context_(ssl::context::tls_client), stream_(io_, context_) {
    context_.set_verify_mode(ssl::verify_none);
    beast::get_lowest_layer(stream_).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream_.handshake(ssl::stream_base::client);
    const std::string request =
        "GET /announce HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    asio::write(stream_, asio::buffer(request));
    std::string response;
    const auto header_end = asio::read_until(stream_, asio::dynamic_buffer(response), "\r\n\r\n");
    REQUIRE(response.substr(0, 12) == "HTTP/1.1 101");
    REQUIRE(response.size() == header_end);  // nothing behind the 101 yet
  }

  void write(const std::string& bytes) { asio::write(stream_, asio::buffer(bytes)); }
  void close() { beast::get_lowest_layer(stream_).close(); }
  // Says close_notify and waits for the tracker's.
  boost::system::error_code shut_down() {
    boost::system::error_code error;
    stream_.shutdown(error);
    return error;
  }
  std::string read_exactly(std::size_t count) {
    std::string bytes(count, '\0');
    asio::read(stream_, asio::buffer(bytes));
    return bytes;
  }

  // Everything until the connection ends, and how it ended.
  std::pair<std::string, boost::system::error_code> read_to_end() {
    std::string bytes;
    boost::system::error_code error;
    asio::read(stream_, asio::dynamic_buffer(bytes), error);
    return {bytes, error};
  }

 private:
  asio::io_context io_;
  ssl::context context_;
  beast::ssl_stream<beast::tcp_stream> stream_;
};

TEST_CASE("over wss:// the tracker's close frame is followed by TLS close_notify", "[tls]") {
  temporary_file certificate("");
  temporary_file key("");
  make_certificate("close", certificate.path(), key.path());
  tracker_process tracker(tracker_ws_path(), tls_config(certificate.path(), key.path()));
  raw_wss_client client(tracker.port());
  std::string expected_close;
  SECTION("after a protocol violation") {
    client.write(std::string("\x81\x02hi", 4));  // not masked: 1002, protocol error
    expected_close = std::string("\x88\x02\x03\xea", 4);
  }
  SECTION("after the client's close frame") {
    // A masked close frame with code 1000 (mask 0x01020304): echoed with its code.
    client.write(std::string("\x88\x82\x01\x02\x03\x04\x02\xea", 8));
    expected_close = std::string("\x88\x02\x03\xe8", 4);
  }
  const auto [bytes, error] = client.read_to_end();
  CHECK(bytes == expected_close);
  // eof is close_notify; a TCP close without it reads as stream_truncated.
  CHECK(error == asio::error::eof);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("over wss:// an idle close is answered and ends in order, read by one reader", "[tls]") {
  temporary_file certificate("");
  temporary_file key("");
  make_certificate("idle", certificate.path(), key.path());
  // Interval 1 s, idle timeout 2 s: a ping after 1 s of silence, the close after 2. At debug level
  // a read that fails is logged ("websocket read: ..."): the session's own read must not race the
  // one that drains the connection after the close frame.
  tracker_process tracker(
      tracker_ws_path(),
      ws_config("idle_timeout_seconds = 2\n",
                "[tls]\nenabled = true\ncertificate_chain_path = \"" + certificate.path() +
                    "\"\nprivate_key_path = \"" + key.path() +
                    "\"\n[protocol]\nannounce_interval_seconds = 1\npeer_timeout_seconds = 2\n[log]\nlevel = \"debug\"\n"));
  raw_wss_client client(tracker.port());
  CHECK(client.read_exactly(2) == std::string("\x89\x00", 2));          // the ping, not answered
  CHECK(client.read_exactly(4) == std::string("\x88\x02\x03\xe9", 4));  // 1001, going away
  client.write(std::string("\x88\x82\x01\x02\x03\x04\x02\xeb", 8));     // the echo, masked
  // Then close_notify, answered by the tracker's (an error here is a TCP close without it), and
  // the TCP close, which a second reader would take for a truncated stream.
  CHECK_FALSE(client.shut_down());
  client.close();
  // Done once the tracker has let the connection go: /stats then counts only its own.
  bool released = false;
  for (int i = 0; i < 250 && !released; ++i) {
    released = https_get("127.0.0.1", tracker.port(), "/stats").reply.find(R"({"connections":1,)") != std::string::npos;
    if (!released) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(released);
  CHECK(tracker.stop() == 0);
  for (const std::string& line : tracker.log_lines()) {
    INFO(line);
    CHECK(line.find("websocket read") == std::string::npos);
  }
}

TEST_CASE("plain HTTP sent to the TLS port gets a plain 400 that says so, not a bare reset", "[tls]") {
  temporary_file certificate("");
  temporary_file key("");
  make_certificate("plain", certificate.path(), key.path());
  tracker_process tracker(tracker_ws_path(),
                          tls_config(certificate.path(), key.path(), "handshake_timeout_seconds = 1\n"));
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> kept_open;  // answered, never closed by the client
  for (const std::string request : {"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
                                    "GET /announce HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"}) {
    kept_open.push_back(std::make_unique<tcp::socket>(io));
    tcp::socket& socket = *kept_open.back();
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tracker.port()));
    const timeval timeout{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    asio::write(socket, asio::buffer(request));
    std::string response;
    char chunk[4096];
    for (ssize_t got; (got = ::recv(socket.native_handle(), chunk, sizeof chunk, 0)) > 0;) {
      response.append(chunk, static_cast<std::size_t>(got));
    }
    INFO(response);
    CHECK(response.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    CHECK(response.find("\r\n\r\nthis port speaks TLS: use wss://") != std::string::npos);
  }
  // And TLS still works there.
  CHECK(https_get("127.0.0.1", tracker.port(), "/health").reply == "ok");
  // Past handshake_timeout the two answered connections are closed, but no handshake timed out:
  // four requests answered with plain HTTP, this one included.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string stats = https_get("127.0.0.1", tracker.port(), "/stats").reply;
  INFO(stats);
  CHECK(stats.find(R"("handshake_timeouts":0)") != std::string::npos);
  CHECK(stats.find(R"("http_requests":4)") != std::string::npos);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("a TLS handshake that never comes is closed after handshake_timeout", "[tls]") {
  temporary_file certificate("");
  temporary_file key("");
  make_certificate("slow", certificate.path(), key.path());
  tracker_process tracker(tracker_ws_path(),
                          tls_config(certificate.path(), key.path(), "handshake_timeout_seconds = 1\n"));
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tracker.port()));
  // Half a ClientHello's record header: the tracker waits for the rest.
  asio::write(socket, asio::buffer(std::string("\x16\x03\x01", 3)));
  const auto start = std::chrono::steady_clock::now();
  char byte = 0;
  boost::system::error_code error;
  asio::read(socket, asio::buffer(&byte, 1), error);  // blocks until the tracker closes
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(error);
  CHECK(waited >= std::chrono::milliseconds(500));
  CHECK(waited < std::chrono::seconds(5));
  CHECK(https_get("127.0.0.1", tracker.port(), "/stats").reply.find(R"("handshake_timeouts":1)") != std::string::npos);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("wss:// carries messages of many TLS records to a reader that fell behind, all of them in order",
          "[tls]") {
  temporary_file certificate("");
  temporary_file key("");
  make_certificate("bulk", certificate.path(), key.path());
  // Room for every relay in the queue: what is tested is TLS writing through a full socket.
  tracker_process tracker(tracker_ws_path(), tls_config(certificate.path(), key.path(),
                                                        "max_sdp_bytes = 40000\nmax_outbound_bytes = 67108864\n"));
  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_none);
  using wss_stream = beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  const auto open_client = [&](std::optional<int> receive_buffer) {
    auto ws = std::make_unique<wss_stream>(io, context);
    auto& socket = beast::get_lowest_layer(*ws).socket();
    socket.open(tcp::v4());
    // A small receive window: the tracker's socket fills long before the relays are all written.
    if (receive_buffer) socket.set_option(asio::socket_base::receive_buffer_size(*receive_buffer));
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tracker.port()));
    ws->next_layer().handshake(ssl::stream_base::client);
    ws->handshake("127.0.0.1", "/announce");
    ws->text(true);
    return ws;
  };
  const auto exchange = [](wss_stream& ws, const std::string& message) {
    ws.write(asio::buffer(message));
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  };
  const auto hash = make_id<proto::info_hash>(9);
  auto reader = open_client(4096);
  CHECK(expect_message<wt::announce_response>(exchange(*reader, announce(hash, make_id<proto::peer_id>(1), 100)))
            .incomplete == 1);
  auto writer = open_client(std::nullopt);
  // 200 offers of 30,000 bytes: 6 MB for the reader, which reads none of it yet.
  constexpr int offers = 200;
  const auto sdp_text = [](int i) { return "v=0 offer " + std::to_string(i) + " " + std::string(30000, static_cast<char>('a' + i % 26)); };
  for (int i = 0; i < offers; ++i) {
    const auto reply = exchange(*writer, announce_with_offer(hash, make_id<proto::peer_id>(2),
                                                             make_id<proto::offer_id>(static_cast<std::uint8_t>(i)),
                                                             sdp_text(i)));
    REQUIRE(expect_message<wt::announce_response>(reply).incomplete == 2);
  }
  for (int i = 0; i < offers; ++i) {
    INFO("offer " << i);
    beast::flat_buffer buffer;
    reader->read(buffer);
    const auto relay = expect_message<wt::offer_relay>(beast::buffers_to_string(buffer.data()));
    CHECK(relay.id == make_id<proto::offer_id>(static_cast<std::uint8_t>(i)));
    CHECK(relay.offer.text() == sdp("offer", sdp_text(i)).text());
  }
  CHECK(https_get("127.0.0.1", tracker.port(), "/stats").reply.find(R"("relays_to_full_queues":0)") !=
        std::string::npos);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("an encrypted private key is refused with one line, never asked for", "[tls]") {
  // A passphrase prompt would block start-up, or the signal thread on a reload (and SIGTERM with it).
  temporary_file certificate("");
  temporary_file key("");
  temporary_file encrypted_key("");
  make_certificate("locked", certificate.path(), key.path());
  const bool pkcs8 = GENERATE(true, false);
  INFO((pkcs8 ? "PKCS#8 (BEGIN ENCRYPTED PRIVATE KEY)" : "traditional (Proc-Type: 4,ENCRYPTED)"));
  std::vector<std::string> command{"pkey", "-in", key.path(), "-out", encrypted_key.path(), "-aes256",
                                   "-passout", "pass:secret"};
  if (!pkcs8) command = {"ec", "-in", key.path(), "-out", encrypted_key.path(), "-aes256", "-passout", "pass:secret"};
  REQUIRE(run_command("/usr/bin/openssl", command).exit_status == 0);
  temporary_file config(tls_config(certificate.path(), encrypted_key.path()));
  const auto result = run_command(tracker_ws_path(), {"-c", config.path()});
  CHECK(result.exit_status == 1);
  CHECK(result.standard_error.find("is encrypted") != std::string::npos);
  CHECK(result.standard_error.find("pass phrase") == std::string::npos);
}

TEST_CASE("an unreadable certificate stops start-up with one line", "[tls]") {
  temporary_file config(tls_config("/nonexistent/cert.pem", "/nonexistent/key.pem"));
  const auto result = run_command(tracker_ws_path(), {"-c", config.path()});
  CHECK(result.exit_status == 1);
  CHECK(result.standard_output.empty());
  CHECK(result.standard_error.find("tls.certificate_chain_path") != std::string::npos);
}

}  // namespace
}  // namespace riptide::test
