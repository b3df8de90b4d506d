# Sourced by the WebSocket benchmark scripts (after quietly.sh): `bench_build TARGET...` builds the
# targets (Release) and sets `build` to the build directory, exported as RIPTIDE_BENCH_BUILD_DIR
# for the Python side. RIPTIDE_BENCH_BUILD_DIR=DIR builds in (and runs from) DIR instead of
# build/release. `install_reference_ws_server` (after bench_build) installs the npm
# bittorrent-tracker server into $build/bittorrent-tracker-ref unless it is there.
bench_build() {
  if [[ -n "${RIPTIDE_BENCH_BUILD_DIR:-}" ]]; then
    build="$RIPTIDE_BENCH_BUILD_DIR"
    if [[ ! -f "$build/build.ninja" ]]; then
      quietly cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRIPTIDE_BUILD_TESTS=OFF
    fi
    echo "building $* (Release) in $build..." >&2
    quietly cmake --build "$build" --target "$@"
  else
    "$root/scripts/build-release.sh" "$@"
    build="$root/build/release"
  fi
  export RIPTIDE_BENCH_BUILD_DIR="$build"
}

# The reference server. `npm install bittorrent-tracker` runs install scripts that download a
# native dependency; the server needs none of them (see docs: --ignore-scripts).
install_reference_ws_server() {
  local reference="$build/bittorrent-tracker-ref"
  if [[ ! -f "$reference/node_modules/bittorrent-tracker/server.js" ]]; then
    echo "installing bittorrent-tracker from npm into $reference..." >&2
    mkdir -p "$reference"
    [[ -f "$reference/package.json" ]] || echo '{"private": true}' > "$reference/package.json"
    (cd "$reference" && timeout 600 npm install --ignore-scripts --no-audit --no-fund bittorrent-tracker >/dev/null)
  fi
}
