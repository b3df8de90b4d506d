// libFuzzer target: the access-list parser is total.
#include <cstdint>
#include <string_view>

#include "tracker/core/access_list.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)riptide::core::parse_access_list(riptide::core::access_list_mode::allow, text, {1, 2});
  return 0;
}
