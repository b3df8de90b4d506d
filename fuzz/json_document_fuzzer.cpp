// libFuzzer target: json_document accepts exactly what Boost.JSON's parser accepts (default
// options), too_deep included, reads every value as it does, and writes compact text that
// Boost.JSON reads as the original (tracker_common/tests/proto/json_oracle.hpp).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "json_oracle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string problem = riptide::proto::json_oracle::disagreement(text, 8);
  if (!problem.empty()) {
    std::fprintf(stderr, "json_document disagrees with Boost.JSON: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
