#pragma once
// The option table of tracker_udp: every field of udp_tracker_config with its section, meaning,
// unit and accepted values, and the cross-field rules. It drives `-p`, `-P`, `-c FILE` and the
// option reference in docs/configuration.md (see tracker/config/option_table.hpp).

#include <optional>
#include <string>

#include "tracker/config/option_table.hpp"
#include "udp_tracker_config.hpp"

namespace riptide::udp {

// Built once, on first use; immutable afterwards (safe to share between threads).
const config::option_table<udp_tracker_config>& udp_tracker_options();

// The cross-field rules alone: nullopt, or one line naming the keys involved.
std::optional<std::string> validate_udp_tracker_config(const udp_tracker_config& config);

}  // namespace riptide::udp
