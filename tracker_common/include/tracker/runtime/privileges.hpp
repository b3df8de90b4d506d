#pragma once
// Privilege drop, done once every socket is bound and before any worker starts: chroot (when a
// directory is configured), then setgroups, setgid and setuid to the configured user. After this
// the process cannot bind privileged ports or read files outside the chroot: files reloaded later
// (the access list, TLS files) are read through path_after_chroot.

#include <optional>
#include <string>
#include <string_view>

#include "tracker/config/common_config.hpp"

namespace riptide::runtime {

// Returns the reason on failure; the caller must not serve after a failed drop.
std::optional<std::string> drop_privileges(const config::privileges_config& config);

// Where a file named `path` at start-up is found after drop_privileges: `path` itself without a
// chroot; its part below the chroot directory when it lies inside it (the file read at start-up
// is the one reloaded); otherwise `path` unchanged, now taken inside the chroot (from its "/").
// Call it before drop_privileges: both `path` and the chroot directory are resolved against the
// current directory and the file system as they are then (relative paths, "..", "//" and symbolic
// links), which a comparison of the text alone would get wrong. A symbolic link that is the file
// itself and lies inside the chroot directory is kept, not resolved, so that each reload follows
// it anew (a certificate renewed by pointing the link at a new file); a link outside that points
// inside gives its target at start-up.
std::string path_after_chroot(const std::string& path, const config::privileges_config& config);

// After drop_privileges, for a file reloaded on SIGUSR1 (`path` from path_after_chroot): a warning
// when the process can no longer open it, naming `what`, the file and why. Its reload would fail
// long after start-up, keeping what was loaded then: a TLS key that only root may read, as certbot
// writes it, is the usual case. Nothing without a drop, or for an empty path.
void warn_if_unreadable_after_drop(const config::privileges_config& config, std::string_view what,
                                   const std::string& path);

}  // namespace riptide::runtime
