#include "tracker/proto/http_target.hpp"

#include <algorithm>
#include <cctype>

namespace riptide::proto::http {

namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

std::string_view request_path(std::string_view target) {
  const std::string_view without_query = target.substr(0, target.find('?'));
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (!starts_with_ignoring_case(without_query, scheme)) continue;
    const std::string_view after_scheme = without_query.substr(scheme.size());
    const std::size_t path = after_scheme.find('/');
    return path == std::string_view::npos ? std::string_view("/") : after_scheme.substr(path);
  }
  return without_query;
}

}  // namespace riptide::proto::http
