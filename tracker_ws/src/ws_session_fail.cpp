#include "ws_session_fail.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include "tracker/runtime/log.hpp"

namespace riptide::ws {

void fail(const boost::system::error_code& error, const char* what) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  if (error == asio::error::operation_aborted || error == asio::error::eof ||
      error == asio::error::connection_reset || error == asio::error::broken_pipe ||
      error == beast::http::error::end_of_stream) {
    return;
  }
  runtime::log_debug(what, ": ", error.message());
}

}  // namespace riptide::ws
