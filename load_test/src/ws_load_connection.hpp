#pragma once
// One WebSocket connection of `load_test ws`: one peer announcing one torrent. It connects
// (ws:// or wss://), announces `started` with offers, then every requests.message_interval_ms
// sends an announce with offers or a scrape, and answers every offer relayed to it, which is what
// makes the tracker relay answers back. Replies are matched to requests in order per connection to
// time them. The WebSocket framing is tracker_common's (proto/websocket_frames.hpp), as in
// tracker_ws: masked frames out in gathered writes, server frames read in place; the handshake
// checks the tracker's Sec-WebSocket-Accept. A load generator lighter than Beast's stream pushes
// more load from its one core. Lives on its worker's thread; kept alive by its pending operations.

#include <cstdint>

namespace riptide::load_test {

class ws_load_worker;

void start_ws_connection(ws_load_worker& worker, std::uint32_t connection);

}  // namespace riptide::load_test
