#pragma once
// The access list: a set of info hashes that are either the only ones served (allow mode) or
// the ones refused (deny mode). Parsing is pure; reading the file and reloading on SIGUSR1 live in
// the runtime (runtime/access_list_holder.hpp).
//
// File format: one info hash per line as 40 hex digits (either case). '#' starts a comment that
// runs to the end of the line, on a line of its own or after the hash; blank lines are skipped and
// surrounding white space is trimmed. Anything else makes the whole file invalid, so a typo can
// never silently open or close the tracker.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <boost/unordered/unordered_flat_set.hpp>

#include "tracker/core/endpoint_hash.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::core {

enum class access_list_mode : std::uint8_t { off, allow, deny };

class access_list {
 public:
  access_list() = default;  // mode off: everything is served
  access_list(access_list_mode mode, boost::unordered_flat_set<proto::info_hash, keyed_info_hash_hasher> hashes);

  bool allows(const proto::info_hash& hash) const;
  access_list_mode mode() const { return mode_; }
  std::size_t size() const { return hashes_.size(); }

 private:
  access_list_mode mode_ = access_list_mode::off;
  boost::unordered_flat_set<proto::info_hash, keyed_info_hash_hasher> hashes_;
};

struct access_list_parse_error {
  std::size_t line = 0;  // 1-based
  std::string message;
};

std::variant<access_list, access_list_parse_error> parse_access_list(access_list_mode mode, std::string_view text,
                                                                     siphash_key hash_key);

}  // namespace riptide::core
