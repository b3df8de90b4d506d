#!/usr/bin/env bash
# Interop test of tracker_ws with the reference WebTorrent client library (npm bittorrent-tracker,
# WebRTC from @roamhq/wrtc): see bittorrent_tracker_client_test.mjs.
#   run_interop_test.sh TRACKER_WS NPM_DIR
# The npm packages are installed into NPM_DIR on first use (`--ignore-scripts`: a native
# dependency would download from GitHub; docs: real-clients.md). A missing node/npm or a failed
# install fails the test, never skips it. The test runs in a loopback-only network namespace when
# the system allows one, so nothing leaves the machine.
set -euo pipefail

tracker=$1
npm_dir=$2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ ! -f "$npm_dir/node_modules/bittorrent-tracker/index.js" || ! -d "$npm_dir/node_modules/@roamhq/wrtc" ]]; then
  mkdir -p "$npm_dir"
  cat >"$npm_dir/package.json" <<'JSON'
{
  "name": "riptide-ws-interop",
  "private": true,
  "dependencies": {
    "bittorrent-tracker": "11.2.3",
    "@roamhq/wrtc": "0.10.0"
  }
}
JSON
  (cd "$npm_dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
fi

test_command=(node "$here/bittorrent_tracker_client_test.mjs" "$tracker" "$npm_dir")
if unshare -n true 2>/dev/null; then
  exec unshare -n bash -c 'ip link set lo up && exec "$@"' bash "${test_command[@]}"
fi
exec "${test_command[@]}"
