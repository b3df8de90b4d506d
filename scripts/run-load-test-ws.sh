#!/usr/bin/env bash
# Installs what is missing, builds load_test (Release) and runs `load_test ws`, passing every
# argument on.
#   scripts/run-load-test-ws.sh -p                    # print the default configuration
#   scripts/run-load-test-ws.sh -c load.toml          # load the WebTorrent tracker described in load.toml
#   scripts/run-load-test-ws.sh -c load.toml --json   # the summary as one JSON line
# Thousands of connections need as many descriptors: load_test raises its soft limit to the hard one.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"

"$root/scripts/build-release.sh" load_test
build="$root/build/release"

exec "$build/load_test/load_test" ws "$@"
