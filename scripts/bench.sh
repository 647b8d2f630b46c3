#!/usr/bin/env bash
# The foundation's two speed measurements (not tests): the engine's hold benchmark, and the whole
# process `kubemind run scenarios/mmc.json` (2,000,000 requests), 5 runs, median wall time.
# Run scripts/setup.sh first; run on an otherwise idle machine.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KUBEMIND_BUILD_DIR:-$repo/build}"
[ -x "$build/tests/bench_engine" ] || { echo "bench.sh: no $build/tests/bench_engine; run scripts/setup.sh first" >&2; exit 1; }

"$build/tests/bench_engine" --benchmark_filter='BM_Hold|BM_ScheduleCancel' --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep -E 'median|Benchmark'

times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s.%N)
  "$build/sim/cli/kubemind" run "$repo/scenarios/mmc.json" --quiet
  end=$(date +%s.%N)
  times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
echo "kubemind run scenarios/mmc.json (2,000,000 requests): runs ${times[*]} s; median $median s;" \
  "$(awk -v m="$median" 'BEGIN { printf "%.2f", 2 / m }') M simulated requests/s"
