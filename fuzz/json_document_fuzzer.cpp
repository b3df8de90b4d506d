// libFuzzer target: json_document accepts exactly what Boost.JSON's parser accepts (default
// options), too_deep included, and the compact text of an accepted value parses to the same value.
#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "tracker/proto/json_document.hpp"

namespace json = boost::json;
using namespace riptide::proto;

// json::value's operator==, except that NaN equals NaN: Boost.JSON 1.81 reads 0e400 as NaN.
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double() && std::isnan(a.get_double()) && std::isnan(b.get_double())) return true;
  if (a.is_array() && b.is_array()) {
    const json::array& x = a.get_array();
    const json::array& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const json::object& x = a.get_object();
    const json::object& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& member : x) {
      const json::value* other = y.if_contains(member.key());
      if (other == nullptr || !same(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t max_depth = 8;
  json::parse_options options;
  options.max_depth = max_depth;
  json::error_code ec;
  const json::value theirs = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  const auto ours = parse_json(text, max_depth);
  if (const auto* error = std::get_if<json_parse_error>(&ours)) {
    if (!ec) std::abort();  // refused what Boost.JSON accepts
    if ((*error == json_parse_error::too_deep) != (ec == json::error::too_deep)) std::abort();
    return 0;
  }
  if (ec) std::abort();  // accepted what Boost.JSON refuses
  std::string compact;
  std::get<json_document>(ours).root().append_compact(compact);
  json::error_code again;
  const json::value reparsed = json::parse(compact, again, {}, options);
  if (again || !same(reparsed, theirs)) std::abort();
  return 0;
}
