#!/usr/bin/env bash
# Runs the whole test suite twice: on the Release build that setup.sh made, then on a build with
# AddressSanitizer, UndefinedBehaviorSanitizer and the engine's SIM_ASSERT invariant checks on. Run scripts/setup.sh first (the README's test
# command does).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KUBEMIND_BUILD_DIR:-$repo/build}"
asan="$repo/build-asan"
jobs="$(nproc)"

echo "== Release build: all tests" >&2
ctest --test-dir "$build" -j"$jobs" --output-on-failure

echo "== ASan + UBSan build: all tests" >&2
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
if [ ! -f "$asan/build.ninja" ]; then
  # RelWithDebInfo without -DNDEBUG: optimised, but every SIM_ASSERT is checked.
  cmake -S "$repo" -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" \
    -DKUBEMIND_SANITIZE=ON -DKUBEMIND_BENCH=OFF -DKUBEMIND_WERROR="$werror" >/dev/null
fi
log="$asan/build.log"
if ! cmake --build "$asan" -- -j"$jobs" >"$log" 2>&1; then
  grep -Ev '^\[[0-9]+/[0-9]+\] ' "$log" >&2 || true
  echo "test.sh: sanitizer build failed (full log: $log)" >&2
  exit 1
fi
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$asan" -j"$jobs" --output-on-failure
