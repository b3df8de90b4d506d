#!/usr/bin/env bash
# Installs every build, test and run dependency of Riptide from Debian 12 packages.
# Idempotent: packages already present are not touched, and apt-get is not called at all
# when nothing is missing. Uses sudo when not run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev
  libconcurrentqueue-dev libtoml11-dev libcli11-dev catch2
  python3 python3-libtorrent
  iproute2 procps util-linux openssl
)
# Extra packages for benchmarks (scripts/bench-*.sh): opentracker, perf.
if [[ "${RIPTIDE_BENCH_DEPS:-0}" == 1 ]]; then
  packages+=(opentracker linux-perf)
fi
# Extra packages for the fuzz targets (scripts/fuzz.sh): clang 14 and its libFuzzer runtime.
if [[ "${RIPTIDE_FUZZ_DEPS:-0}" == 1 ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# Node.js and npm run the WebTorrent interop test (the npm bittorrent-tracker client). Any node and
# npm on PATH will do (a machine may have them from elsewhere, e.g. NodeSource's nodejs, which
# bundles npm and conflicts with Debian's npm package); only when they are missing are Debian's
# packages installed.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

as_root=()
if [[ "$(id -u)" != 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing ${missing[*]}; run this script as root, or install sudo" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
