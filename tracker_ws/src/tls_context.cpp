#include "tls_context.hpp"

#include <openssl/ssl.h>

namespace riptide::ws {

std::variant<std::shared_ptr<boost::asio::ssl::context>, std::string> load_tls_context(
    const std::string& certificate_chain_path, const std::string& private_key_path) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code error;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       error);
  if (error) return "cannot set TLS options: " + error.message();
  context->use_certificate_chain_file(certificate_chain_path, error);
  if (error) return "cannot read tls.certificate_chain_path " + certificate_chain_path + ": " + error.message();
  context->use_private_key_file(private_key_path, ssl::context::pem, error);
  if (error) return "cannot read tls.private_key_path " + private_key_path + ": " + error.message();
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return "tls.private_key_path " + private_key_path + " does not match the certificate in " +
           certificate_chain_path;
  }
  return context;
}

}  // namespace riptide::ws
