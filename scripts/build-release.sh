#!/usr/bin/env bash
# Builds the given targets in build/release (configuring it first if needed), quietly: the
# output is shown only when a step fails.
#   scripts/build-release.sh tracker_udp load_test
# Used by the run and bench scripts after scripts/install-deps.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/quietly.sh"
build="$root/build/release"
if [[ ! -f "$build/build.ninja" ]]; then
  (cd "$root" && quietly cmake --preset release -DRIPTIDE_BUILD_TESTS=OFF)
fi
echo "building $* (Release)..." >&2
quietly cmake --build "$build" --target "$@"
