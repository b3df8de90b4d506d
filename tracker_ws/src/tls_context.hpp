#pragma once
// The TLS server context of wss://: a PEM certificate chain (leaf first) and its PEM private key.
// TLS 1.2 and later only. Loaded at start and again on SIGUSR1 (after a chroot, from the paths of
// runtime::path_after_chroot); a reload that fails keeps the previous context.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <variant>

namespace riptide::ws {

std::variant<std::shared_ptr<boost::asio::ssl::context>, std::string> load_tls_context(
    const std::string& certificate_chain_path, const std::string& private_key_path);

}  // namespace riptide::ws
