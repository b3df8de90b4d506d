#!/usr/bin/env bash
# Interop tests of tracker_ws with real WebTorrent clients from npm, WebRTC from @roamhq/wrtc:
# bittorrent_tracker_client_test.mjs (the reference tracker client library, bittorrent-tracker)
# and webtorrent_transfer_test.mjs (webtorrent clients moving a file through the tracker).
#   run_interop_test.sh TRACKER_WS NPM_DIR [TEST_SCRIPT]   (default: bittorrent_tracker_client_test.mjs)
# The npm packages are installed into NPM_DIR on first use (`--ignore-scripts`: a native
# dependency would download from GitHub; webtorrent 2.8.5 needs uint8-util 2.2.6; docs:
# real-clients.md). A missing node/npm or a failed install fails the test, never skips it. The
# test runs in a loopback-only network namespace when the system allows one, so nothing leaves the
# machine.
set -euo pipefail

tracker=$1
npm_dir=$2
test_script=${3:-bittorrent_tracker_client_test.mjs}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ ! -f "$npm_dir/node_modules/bittorrent-tracker/index.js" || ! -d "$npm_dir/node_modules/@roamhq/wrtc" ||
      ! -f "$npm_dir/node_modules/webtorrent/index.js" ]]; then
  mkdir -p "$npm_dir"
  cat >"$npm_dir/package.json" <<'JSON'
{
  "name": "riptide-ws-interop",
  "private": true,
  "dependencies": {
    "bittorrent-tracker": "11.2.3",
    "webtorrent": "2.8.5",
    "@roamhq/wrtc": "0.10.0"
  },
  "overrides": { "uint8-util": "2.2.6" }
}
JSON
  (cd "$npm_dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
fi

test_command=(node "$here/$test_script" "$tracker" "$npm_dir")
if unshare -n true 2>/dev/null; then
  exec unshare -n bash -c 'ip link set lo up && exec "$@"' bash "${test_command[@]}"
fi
exec "${test_command[@]}"
