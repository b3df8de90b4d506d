#pragma once
// The option table of `load_test ws`: -p, -P and -c are driven by it.

#include <optional>
#include <string>

#include "tracker/config/option_table.hpp"
#include "ws_load_config.hpp"

namespace riptide::load_test {

const config::option_table<ws_load_config>& ws_load_options();

// Cross-field rules; nullopt when the configuration is usable.
std::optional<std::string> validate_ws_load_config(const ws_load_config& config);

}  // namespace riptide::load_test
