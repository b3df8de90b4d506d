#!/usr/bin/env bash
# Builds the given targets in build/release (configuring it first if needed), quietly.
#   scripts/build-release.sh tracker_udp load_test
# Used by the run and bench scripts after scripts/install-deps.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/release"
if [[ ! -f "$build/build.ninja" ]]; then
  (cd "$root" && cmake --preset release -DRIPTIDE_BUILD_TESTS=OFF >/dev/null)
fi
echo "building $* (Release)..." >&2
cmake --build "$build" --target "$@" >/dev/null
