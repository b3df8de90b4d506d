# Sourced by the WebSocket benchmark scripts (after quietly.sh): `bench_build TARGET...` builds the
# targets (Release) and sets `build` to the build directory, exported as RIPTIDE_BENCH_BUILD_DIR
# for the Python side. RIPTIDE_BENCH_BUILD_DIR=DIR builds in (and runs from) DIR instead of
# build/release.
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
