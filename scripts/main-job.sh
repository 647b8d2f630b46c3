#!/usr/bin/env bash
# The main job: the loophole and the fix side by side. Runs both scenarios with common random numbers
# (the same seed gives both the same arrivals), prints each run's findings and the comparison, and
# draws the before/after figures. Needs `kubemind` on PATH (scripts/setup.sh installs it) and
# Debian's /usr/bin/python3 with matplotlib.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-out}"
kubemind run "$repo/scenarios/loophole.json" "$repo/scenarios/fix.json" --out "$out"
/usr/bin/python3 "$repo/python/figures.py" "$out/loophole/report.json" "$out/fix/report.json" --out "$out/figures"
echo "main-job: reports in $out/loophole and $out/fix, figures in $out/figures" >&2
