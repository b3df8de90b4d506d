// libFuzzer target: the WebTorrent decoders are total, a decoded client message is valid UTF-8,
// and a decoded client announce re-encodes to a message that decodes again.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "tracker/proto/utf8.hpp"
#include "tracker/proto/webtorrent_codec.hpp"

using namespace riptide::proto::webtorrent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)decode_tracker_message(text);
  const client_decode_result result = decode_client_message(text);
  const auto* message = std::get_if<client_message>(&result);
  if (message == nullptr) return 0;
  if (!riptide::proto::is_valid_utf8(text)) std::abort();  // tracker_ws relies on it (no second check)
  if (const auto* announce = std::get_if<announce_message>(message)) {
    const auto again = decode_client_message(encode_announce(*announce));
    if (!std::holds_alternative<client_message>(again)) std::abort();
  }
  return 0;
}
