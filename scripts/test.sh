#!/usr/bin/env bash
# Installs what is missing, builds everything with tests, and runs every test with ctest.
#   scripts/test.sh                    # the dev preset (Debug, warnings as errors)
#   scripts/test.sh asan-ubsan         # the same tests under AddressSanitizer + UBSan
#   scripts/test.sh dev -R udp         # further arguments go to ctest
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-dev}"
shift || true

"$root/scripts/install-deps.sh"

cd "$root"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)" "$@"
