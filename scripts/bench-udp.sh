#!/usr/bin/env bash
# Compares tracker_udp with opentracker under the same load_test workload, side by side.
# Installs what is missing (with the benchmark extras: opentracker), builds tracker_udp and
# load_test (Release), then runs scripts/bench_udp.py, passing every argument on.
#   scripts/bench-udp.sh                                   # 3 rounds of 10 s each, defaults
#   scripts/bench-udp.sh --rounds 5 --duration 20 --output bench.md
#   scripts/bench-udp.sh --riptide-workers 2,2 --server-cores 0,1 --load-cores 2,3 --load-threads 2
#   scripts/bench-udp.sh --help                            # every option
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RIPTIDE_BENCH_DEPS=1 "$root/scripts/install-deps.sh"

"$root/scripts/build-release.sh" tracker_udp load_test
build="$root/build/release"

export RIPTIDE_BENCH_COMMAND="scripts/bench-udp.sh"
exec /usr/bin/python3 "$root/scripts/bench_udp.py" "$@"
