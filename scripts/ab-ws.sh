#!/usr/bin/env bash
# Compares the CPU per message of two tracker_ws builds, run at the same time on the same core
# under the same `load_test ws` workload, so that the machine's noise hits both alike (see
# scripts/ab_ws.py). Installs what is missing, builds load_test (Release), then runs
# scripts/ab_ws.py, passing every argument on. Either build may be `reference`, the npm
# bittorrent-tracker server (installed as scripts/bench-ws.sh installs it), or `floor`,
# benchmarks/ws_floor_server: a reply per message and nothing else, what the kernel alone costs.
#   cp build/release/tracker_ws/tracker_ws /tmp/tracker_ws.before   # then make the change, rebuild
#   scripts/ab-ws.sh --a /tmp/tracker_ws.before --b build/release/tracker_ws/tracker_ws
#   scripts/ab-ws.sh --a X --b X                 # the spread of two copies of one build
#   scripts/ab-ws.sh --a X --b Y --connections 1000 --offers 0 --pairs 8
#   scripts/ab-ws.sh --a build/release/tracker_ws/tracker_ws --b reference --connections 1000 --offers 0
#                                                # against the npm server, over the same seconds
#   scripts/ab-ws.sh --a X --b reference --tls    # the same over wss://
#   scripts/ab-ws.sh --a X --b floor --connections 1000 --offers 0   # against the least a server can do
#   scripts/ab-ws.sh --a floor --b reference --floor-hold-us 5000 --connections 1000 --offers 0
#                                                # the floor holding 5 ms between rounds of work
#   scripts/ab-ws.sh --help                      # every option
# RIPTIDE_BENCH_BUILD_DIR=DIR builds load_test in (and runs it from) DIR instead of build/release.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/quietly.sh"
source "$root/scripts/bench-build.sh"
"$root/scripts/install-deps.sh"

bench_build load_test ws_floor_server
# `reference` as --a or --b: the npm server, installed as scripts/bench-ws.sh does.
for argument in "$@"; do
  if [[ "$argument" == reference || "$argument" == --a=reference || "$argument" == --b=reference ]]; then
    install_reference_ws_server
    break
  fi
done

exec /usr/bin/python3 "$root/scripts/ab_ws.py" "$@"
