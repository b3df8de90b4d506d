// libFuzzer target: the WebSocket frame reader is total over any bytes cut into any reads, and
// reading into a borrowed buffer changes nothing. The first input byte picks the read sizes and
// how the second reader reads. Both readers get the rest of the input:
// - the first reads into its own buffer, in reads of `chunk` bytes; every text message it yields
//   is within the limit, and its buffer never grows past its bound;
// - the second reads into a borrowed buffer (as tracker_ws's sessions read into their worker's),
//   overwritten after each round as another connection's read would, in reads of another size,
//   and may stop after one event per round and call keep() (a paused session).
// Text is left unchecked (text_check::caller), so that a byte gone wrong shows as a different
// message rather than as a failure; the two readers must yield the same events, payloads and all.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/proto/websocket_frames.hpp"

using namespace riptide::proto;

namespace {

constexpr std::size_t max_message = 1024;

struct event_copy {
  websocket::frame_event::kind what;
  std::string payload;
  std::uint16_t code;
  bool operator==(const event_copy&) const = default;
};

// Reads `bytes` into `reader` and returns its events, up to the first failure.
std::vector<event_copy> read_all(websocket::frame_reader& reader, std::string_view bytes, std::size_t chunk,
                                 bool borrowing, bool stop_early) {
  std::array<char, 2048> borrowed{};
  std::vector<event_copy> events;
  std::size_t at = 0;
  for (;;) {
    bool stopped = false;
    for (int in_round = 0;; ++in_round) {
      if (stop_early && in_round == 1) {
        reader.keep();
        stopped = true;
        break;
      }
      const auto event = reader.next();
      if (event.what == websocket::frame_event::kind::need_more) break;
      if (event.what == websocket::frame_event::kind::text && event.payload.size() > max_message) std::abort();
      events.push_back({event.what, std::string(event.payload), event.code});
      if (event.what == websocket::frame_event::kind::fail) return events;
    }
    borrowed.fill('\xa5');
    if (stopped) continue;
    if (at == bytes.size()) return events;
    const auto space = borrowing ? reader.prepare(borrowed) : reader.prepare();
    if (space.empty() || reader.capacity() > reader.max_capacity()) std::abort();
    const std::size_t n = std::min({chunk, space.size(), bytes.size() - at});
    std::copy_n(bytes.data() + at, n, space.data());
    reader.commit(n);
    at += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t own_chunk = 1 + (data[0] & 0x0f) * 37;
  const std::size_t borrowed_chunk = 1 + ((data[0] >> 4) & 0x07) * 300;
  const bool stop_early = (data[0] & 0x80) != 0;
  websocket::frame_reader own(max_message, websocket::frame_sender::client, websocket::text_check::caller);
  websocket::frame_reader borrowing(max_message, websocket::frame_sender::client, websocket::text_check::caller);
  if (read_all(own, bytes, own_chunk, false, false) != read_all(borrowing, bytes, borrowed_chunk, true, stop_early)) {
    std::abort();
  }
  return 0;
}
