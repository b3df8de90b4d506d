#!/usr/bin/env bash
# Installs what is missing, builds tracker_ws (Release) and runs it, passing every argument on.
#   scripts/run-tracker-ws.sh                  # defaults: ws:// on port 8000, 0.0.0.0 and ::
#   scripts/run-tracker-ws.sh -p               # print the default configuration
#   scripts/run-tracker-ws.sh -c my.toml       # run with a configuration file
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"

"$root/scripts/build-release.sh" tracker_ws
build="$root/build/release"

exec "$build/tracker_ws/tracker_ws" "$@"
