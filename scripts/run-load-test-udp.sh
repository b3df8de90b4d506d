#!/usr/bin/env bash
# Installs what is missing, builds load_test (Release) and runs `load_test udp`, passing every
# argument on.
#   scripts/run-load-test-udp.sh -p                    # print the default configuration
#   scripts/run-load-test-udp.sh -c load.toml          # load the tracker described in load.toml
#   scripts/run-load-test-udp.sh -c load.toml --json   # the summary as one JSON line
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"

"$root/scripts/build-release.sh" load_test
build="$root/build/release"

exec "$build/load_test/load_test" udp "$@"
