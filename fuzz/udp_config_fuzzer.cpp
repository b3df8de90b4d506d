// libFuzzer target: loading any text as tracker_udp's configuration gives a configuration or one
// error line, never a crash, an exception or a multi-line message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "udp_tracker_options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  riptide::udp::udp_tracker_config config;
  const auto error = riptide::udp::udp_tracker_options().load(text, "fuzz.toml", config);
  if (error && error->message.find('\n') != std::string::npos) std::abort();
  return 0;
}
