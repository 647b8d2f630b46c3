#!/usr/bin/env bash
# Installs what kubemind needs from Debian's packages, then configures, builds and installs it, so
# that `kubemind` is on PATH. Idempotent: a second run with nothing changed takes seconds.
# Run as root (or with sudo available). Works on a brand-new Debian 12.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KUBEMIND_BUILD_DIR:-$repo/build}"
prefix="${KUBEMIND_PREFIX:-/usr/local}"

packages=(
  g++ cmake ninja-build pkg-config
  libboost-dev libboost-graph-dev libboost-random-dev libeigen3-dev libfmt-dev nlohmann-json3-dev
  catch2 libbenchmark-dev
  pybind11-dev python3-pybind11 python3-dev
  python3-matplotlib python3-numpy python3-pytest
  python3-pandas python3-tqdm python3-distributed python3-nbclient python3-nbformat python3-ipykernel
)

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup.sh: needs root to run: $*" >&2; exit 1
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Warnings are errors in CI (CI=true), not on a user's machine with a newer compiler.
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
if [ ! -f "$build/build.ninja" ] || ! grep -q "KUBEMIND_WERROR:BOOL=$werror" "$build/CMakeCache.txt" 2>/dev/null; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DKUBEMIND_WERROR="$werror" >/dev/null
fi
log="$build/build.log"
if ! cmake --build "$build" -- -j"$(nproc)" >"$log" 2>&1; then
  grep -Ev '^\[[0-9]+/[0-9]+\] ' "$log" >&2 || true
  echo "setup.sh: build failed (full log: $log)" >&2
  exit 1
fi
sudo_if_needed cmake --install "$build" >/dev/null
command -v kubemind >/dev/null || { echo "setup.sh: kubemind is not on PATH (installed to $prefix/bin)" >&2; exit 1; }
