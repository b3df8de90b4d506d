#include "ws_upgrade.hpp"

#include <boost/beast/http/rfc7230.hpp>
#include <boost/range/iterator_range.hpp>

#include "tracker/proto/websocket_handshake.hpp"

namespace riptide::ws {

namespace http = boost::beast::http;

bool header_lists(const http::request<http::empty_body>& request, http::field field, std::string_view token) {
  for (const auto& line : boost::make_iterator_range(request.equal_range(field))) {
    if (http::token_list{line.value()}.exists(token)) return true;
  }
  return false;
}

bool is_websocket_upgrade(const http::request<http::empty_body>& request) {
  return request.version() >= 11 && request.method() == http::verb::get &&
         header_lists(request, http::field::connection, "upgrade") &&
         header_lists(request, http::field::upgrade, "websocket");
}

bool names_one_host(const http::request<http::empty_body>& request) {
  return request.version() < 11 || request.count(http::field::host) == 1;
}

http::response<http::string_body> answer_upgrade(const http::request<http::empty_body>& request,
                                                 std::string_view server_name) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.set(http::field::server, server_name);
  const auto refuse = [&](http::status status, std::string_view why) {
    response.result(status);
    response.set(http::field::content_type, "text/plain");
    response.keep_alive(false);
    response.body() = why;
    response.prepare_payload();
    return response;
  };
  if (request.count(http::field::sec_websocket_version) > 1) {
    return refuse(http::status::bad_request, "bad Sec-WebSocket-Version: one, 13");
  }
  if (request[http::field::sec_websocket_version] != "13") {
    response.set(http::field::sec_websocket_version, "13");
    return refuse(http::status::upgrade_required, "WebSocket version 13 only");
  }
  if (!names_one_host(request)) return refuse(http::status::bad_request, "an HTTP/1.1 request names one Host");
  const auto key = request[http::field::sec_websocket_key];
  if (request.count(http::field::sec_websocket_key) != 1 || !proto::websocket::is_client_key(key)) {
    return refuse(http::status::bad_request, "bad Sec-WebSocket-Key: one, the base64 of 16 bytes");
  }
  response.result(http::status::switching_protocols);
  response.set(http::field::upgrade, "websocket");
  response.set(http::field::connection, "Upgrade");
  response.set(http::field::sec_websocket_accept, proto::websocket::accept_key(key));
  return response;
}

}  // namespace riptide::ws
