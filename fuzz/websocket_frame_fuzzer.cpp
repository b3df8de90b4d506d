// libFuzzer target: the WebSocket frame reader is total over any bytes cut into any reads. The
// first input byte picks the read size, whether reads go into a borrowed buffer (as tracker_ws's
// sessions read into their worker's; it is overwritten after each round, as another connection's
// read would), and whether a round stops after one event and calls keep() (a paused session).
// Every text message it yields is within the limit and valid UTF-8, and its own buffer never
// grows past its bound.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tracker/proto/utf8.hpp"
#include "tracker/proto/websocket_frames.hpp"

using namespace riptide::proto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::size_t max_message = 1024;
  const std::size_t chunk = 1 + (data[0] & 0x3f);
  const bool borrowing = (data[0] & 0x40) != 0;
  const bool stop_early = (data[0] & 0x80) != 0;
  std::array<char, 2048> borrowed{};
  websocket::frame_reader reader(max_message);
  std::size_t at = 1;
  for (;;) {
    bool stopped = false;
    for (int events = 0;; ++events) {
      if (stop_early && events == 1) {
        reader.keep();
        stopped = true;
        break;
      }
      const auto event = reader.next();
      if (event.what == websocket::frame_event::kind::need_more) break;
      if (event.what == websocket::frame_event::kind::fail) return 0;
      if (event.what == websocket::frame_event::kind::text &&
          (event.payload.size() > max_message || !is_valid_utf8(event.payload))) {
        std::abort();
      }
    }
    borrowed.fill('\xa5');
    if (stopped) continue;
    if (at == size) return 0;
    const auto space = borrowing ? reader.prepare(borrowed) : reader.prepare();
    if (space.empty() || reader.capacity() > reader.max_capacity()) std::abort();
    const std::size_t n = std::min({chunk, space.size(), size - at});
    std::copy_n(data + at, n, reinterpret_cast<std::uint8_t*>(space.data()));
    reader.commit(n);
    at += n;
  }
}
