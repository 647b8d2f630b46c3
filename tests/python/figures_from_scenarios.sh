#!/usr/bin/env bash
# The README's figures command on the shipped loophole and fix scenarios: kubemind runs both (with a
# shorter duration, to keep the test fast), figures.py draws them, and every figure is a non-empty PNG.
# Usage: figures_from_scenarios.sh KUBEMIND_BINARY
set -euo pipefail
kubemind="$1"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$kubemind" run "$repo/scenarios/loophole.json" "$repo/scenarios/fix.json" --set /duration_s=300 --out "$out" --quiet
/usr/bin/python3 "$repo/python/figures.py" "$out/loophole/report.json" "$out/fix/report.json" --out "$out/figures" >/dev/null
for f in latency replicas pod_share hpa_view; do
  png="$out/figures/$f.png"
  [ -s "$png" ] || { echo "missing or empty: $f.png" >&2; exit 1; }
  [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "not a PNG: $f.png" >&2; exit 1; }
done
echo "4 figures from loophole and fix"
