#pragma once
// What a WebSocket connection reads and writes once its handshake is done (load_test's
// connections): the socket itself when the stream is a beast::basic_stream, whose
// timer layer served the handshake deadline and would cost a wrapper per operation after it; a
// TLS stream as it is.

#include <boost/beast/core/basic_stream.hpp>
#include <type_traits>

namespace riptide::runtime {

template <typename Stream>
struct is_beast_basic_stream : std::false_type {};
template <typename Protocol, typename Executor, typename RatePolicy>
struct is_beast_basic_stream<boost::beast::basic_stream<Protocol, Executor, RatePolicy>> : std::true_type {};

template <typename Stream>
auto& stream_transport(Stream& stream) {
  if constexpr (is_beast_basic_stream<Stream>::value) {
    return stream.socket();
  } else {
    return stream;
  }
}

}  // namespace riptide::runtime
