#include "tracker/core/access_list.hpp"

namespace riptide::core {
namespace {

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

access_list::access_list(access_list_mode mode,
                         boost::unordered_flat_set<proto::info_hash, keyed_info_hash_hasher> hashes)
    : mode_(mode), hashes_(std::move(hashes)) {}

bool access_list::allows(const proto::info_hash& hash) const {
  switch (mode_) {
    case access_list_mode::off: return true;
    case access_list_mode::allow: return hashes_.contains(hash);
    case access_list_mode::deny: return !hashes_.contains(hash);
  }
  return false;
}

std::variant<access_list, access_list_parse_error> parse_access_list(access_list_mode mode, std::string_view text,
                                                                     siphash_key hash_key) {
  boost::unordered_flat_set<proto::info_hash, keyed_info_hash_hasher> hashes(0, keyed_info_hash_hasher{hash_key});
  // A UTF-8 byte order mark (some editors write one) is not part of the first line.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    line = trim(line.substr(0, line.find('#')));  // '#' starts a comment, at the start or after a hash
    if (line.empty()) continue;
    const auto hash = proto::info_hash_from_hex(line);
    if (!hash) {
      return access_list_parse_error{line_number, "expected 40 hex digits, got \"" +
                                                      std::string(line.substr(0, 60)) + "\""};
    }
    hashes.insert(*hash);
  }
  return access_list(mode, std::move(hashes));
}

}  // namespace riptide::core
