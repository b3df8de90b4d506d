#pragma once
// The option table of `load_test udp`: -p, -P and -c are driven by it.

#include <optional>
#include <string>

#include "tracker/config/option_table.hpp"
#include "udp_load_config.hpp"

namespace riptide::load_test {

const config::option_table<udp_load_config>& udp_load_options();

// Cross-field rules; nullopt when the configuration is usable.
std::optional<std::string> validate_udp_load_config(const udp_load_config& config);

}  // namespace riptide::load_test
