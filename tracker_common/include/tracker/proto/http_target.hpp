#pragma once
// The path an HTTP/1.1 request asks for (RFC 9112, 3.2), without its query. Pure: no I/O.
// A request to a server names its target in origin-form (`/stats?x=1`); a client that thinks it
// talks to a proxy writes the absolute-form (`http://tracker.example:8000/stats?x=1`), which a
// server must accept too (3.2.2).

#include <string_view>

namespace riptide::proto::http {

// `/stats` for `/stats?x=1` and for `http://host:8000/stats?x=1` (the scheme in any case); `/` for
// an absolute-form target without a path (`http://host` or `http://host?x`). Anything else (the
// asterisk-form `*`, the authority-form of CONNECT, text that is no target) is returned without
// its query, which matches no path a server serves.
std::string_view request_path(std::string_view target);

}  // namespace riptide::proto::http
