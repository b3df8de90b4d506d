#!/usr/bin/env bash
# Installs what is missing, builds tracker_udp (Release) and runs it, passing every argument on.
#   scripts/run-tracker-udp.sh                 # defaults: port 6969 on 0.0.0.0 and ::
#   scripts/run-tracker-udp.sh -p              # print the default configuration
#   scripts/run-tracker-udp.sh -c my.toml      # run with a configuration file
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"

"$root/scripts/build-release.sh" tracker_udp
build="$root/build/release"

exec "$build/tracker_udp/tracker_udp" "$@"
