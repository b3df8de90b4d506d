#pragma once
// The option table of tracker_ws: every field of ws_tracker_config with its section, meaning, unit
// and accepted values, and the cross-field rules. It drives `-p`, `-P` and `-c FILE`.

#include <optional>
#include <string>

#include "tracker/config/option_table.hpp"
#include "ws_tracker_config.hpp"

namespace riptide::ws {

// Built once, on first use; immutable afterwards.
const config::option_table<ws_tracker_config>& ws_tracker_options();

// The cross-field rules alone: nullopt, or one line naming the keys involved.
std::optional<std::string> validate_ws_tracker_config(const ws_tracker_config& config);

}  // namespace riptide::ws
