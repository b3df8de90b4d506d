#pragma once
// Privilege drop, done once every socket is bound and before any worker starts: chroot (when a
// directory is configured), then setgroups, setgid and setuid to the configured user. After this
// the process cannot bind privileged ports or read files outside the chroot, so a later access
// list reload reads its path relative to the chroot.

#include <optional>
#include <string>

#include "tracker/config/common_config.hpp"

namespace riptide::runtime {

// Returns the reason on failure; the caller must not serve after a failed drop.
std::optional<std::string> drop_privileges(const config::privileges_config& config);

}  // namespace riptide::runtime
