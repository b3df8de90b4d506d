#!/usr/bin/env bash
# Compares tracker_ws with the npm bittorrent-tracker server (the reference WebTorrent tracker)
# under the same `load_test ws` workload: 1,000 and 10,000 connections, with and without offers.
# Installs what is missing (node and npm; bittorrent-tracker from npm into the build directory),
# builds tracker_ws and load_test (Release), then runs scripts/bench_ws.py, passing every
# argument on.
#   scripts/bench-ws.sh                                    # 1 round of 10 s per scenario, defaults
#   scripts/bench-ws.sh --rounds 3 --duration 20 --output bench-ws.md
#   scripts/bench-ws.sh --connections 1000 --offers 0,5 --duration 5   # a quick look
#   scripts/bench-ws.sh --server-cores 0 --load-cores 1,2,3 --load-threads 3
#   scripts/bench-ws.sh --help                             # every option
# RIPTIDE_BENCH_BUILD_DIR=DIR builds in (and runs from) DIR instead of build/release.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/quietly.sh"
source "$root/scripts/bench-build.sh"
"$root/scripts/install-deps.sh"

bench_build tracker_ws load_test

install_reference_ws_server

export RIPTIDE_BENCH_COMMAND="scripts/bench-ws.sh"
exec /usr/bin/python3 "$root/scripts/bench_ws.py" "$@"
