// libFuzzer target: the WebSocket frame reader is total over any bytes cut into any reads. The
// first input byte picks the read size; every text message it yields is within the limit and
// valid UTF-8, and its buffer never grows past its bound.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tracker/proto/utf8.hpp"
#include "tracker/proto/websocket_frames.hpp"

using namespace riptide::proto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::size_t max_message = 1024;
  const std::size_t chunk = 1 + data[0] % 64;
  websocket::frame_reader reader(max_message);
  std::size_t at = 1;
  for (;;) {
    for (;;) {
      const auto event = reader.next();
      if (event.what == websocket::frame_event::kind::need_more) break;
      if (event.what == websocket::frame_event::kind::fail) return 0;
      if (event.what == websocket::frame_event::kind::text &&
          (event.payload.size() > max_message || !is_valid_utf8(event.payload))) {
        std::abort();
      }
    }
    if (at == size) return 0;
    const auto space = reader.prepare();
    if (space.empty() || reader.capacity() > reader.max_capacity()) std::abort();
    const std::size_t n = std::min({chunk, space.size(), size - at});
    std::copy_n(data + at, n, reinterpret_cast<std::uint8_t*>(space.data()));
    reader.commit(n);
    at += n;
  }
}
