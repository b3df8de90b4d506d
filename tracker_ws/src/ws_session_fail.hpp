#pragma once
// The one place that decides which session errors are worth a log line: normal shutdowns (the
// peer closed, we closed, a timeout we asked for) are not.

#include <boost/system/error_code.hpp>

namespace riptide::ws {

void fail(const boost::system::error_code& error, const char* what);

}  // namespace riptide::ws
