#pragma once
// The open-file limit a tracker with many TCP connections needs. Service managers often start
// processes with a soft limit of 1024 and a far higher hard limit: the soft limit is raised to the
// hard one (what an unprivileged process may do), so that the configured connection limit, not
// the descriptor table, decides how many clients are served.

#include <cstdint>

namespace riptide::runtime {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force afterwards.
std::uint64_t raise_open_file_limit();

}  // namespace riptide::runtime
