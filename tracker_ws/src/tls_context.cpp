#include "tls_context.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "tracker/runtime/regular_file.hpp"

namespace riptide::ws {
namespace {

// A certificate chain or a key is a few KB; a path that holds more is not one.
constexpr std::size_t max_pem_bytes = std::size_t{1} << 20;

// Clears the private key's text from memory once OpenSSL has parsed it.
struct wiped_on_exit {
  std::string& text;
  ~wiped_on_exit() { OPENSSL_cleanse(text.data(), text.size()); }
};

}  // namespace

std::variant<std::shared_ptr<boost::asio::ssl::context>, std::string> load_tls_context(
    const std::string& certificate_chain_path, const std::string& private_key_path) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code error;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       error);
  if (error) return "cannot set TLS options: " + error.message();
  // Read here rather than by OpenSSL: only regular files, bounded (runtime/regular_file.hpp).
  const auto chain = runtime::read_regular_file(certificate_chain_path, max_pem_bytes);
  if (const auto* failure = std::get_if<runtime::file_read_error>(&chain)) {
    return "cannot read tls.certificate_chain_path " + failure->message;
  }
  context->use_certificate_chain(boost::asio::buffer(std::get<std::string>(chain)), error);
  if (error) return "cannot read tls.certificate_chain_path " + certificate_chain_path + ": " + error.message();
  auto key = runtime::read_regular_file(private_key_path, max_pem_bytes);
  if (const auto* failure = std::get_if<runtime::file_read_error>(&key)) {
    return "cannot read tls.private_key_path " + failure->message;
  }
  const wiped_on_exit wipe{std::get<std::string>(key)};
  // Nobody can type a passphrase (a reload runs in the signal thread, which OpenSSL's terminal
  // prompt would block, and SIGTERM with it): an encrypted key is refused instead of asked for.
  SSL_CTX_set_default_passwd_cb(context->native_handle(), [](char*, int, int, void*) { return 0; });
  const std::string& key_text = std::get<std::string>(key);
  if (key_text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos ||
      key_text.find("Proc-Type: 4,ENCRYPTED") != std::string::npos) {
    return "tls.private_key_path " + private_key_path +
           " is encrypted; give the key without a passphrase (nobody could type it)";
  }
  context->use_private_key(boost::asio::buffer(key_text), ssl::context::pem, error);
  if (error) return "cannot read tls.private_key_path " + private_key_path + ": " + error.message();
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return "tls.private_key_path " + private_key_path + " does not match the certificate in " +
           certificate_chain_path;
  }
  return context;
}

}  // namespace riptide::ws
