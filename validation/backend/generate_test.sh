#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Generate (server streaming) for real (root; own network namespace, removed on exit): 4 closed-loop
# streams of 16 tokens each against one backend (max batch 8, preferred 4,8). Each token is a batcher
# step, so the 4 streams' steps share batches of 4: a call takes ~16 x L(4) = 16 x 5.75 = 92 ms
# (resnet50-t4's knot at 4) and its first token ~L(4). Checks: >= 90% of batches have size 4, the
# mean call within 15% of 92 ms, p50 time to first token within 1.5 ms of 5.75 ms.
set -euo pipefail
build=${KMVAL_BUILD:-/work/build-val}
models=$(cd "$(dirname "$0")/../../models" && pwd)
ns=kmval-gen-$$
pids=()
tmp=$(mktemp -d /tmp/kmval-gen.XXXXXX)
cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$build/kmval_backend" --pod gen-0 --port 50051 --metrics-port 9100 \
  --model "$models/resnet50-t4.json" --max-batch 8 --preferred 4,8 --max-queue-delay-us 1000 \
  >"$tmp/backend.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do ip netns exec "$ns" curl -sf -o /dev/null http://127.0.0.1:9100/ready && break; sleep 0.05; done
ip netns exec "$ns" "$build/kmval_loadgen" --target 127.0.0.1:50051 --streams 4 --tokens 16 \
  --duration-s 4 --warmup-s 1 --summary "$tmp/summary.json" 2>/dev/null
ip netns exec "$ns" curl -sf http://127.0.0.1:9100/metrics >"$tmp/metrics.txt"
/usr/bin/python3 - "$tmp/summary.json" "$tmp/metrics.txt" <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
counts = {int(m.group(1)): float(m.group(2)) for m in re.finditer(r'batch_size_total\{[^}]*size="(\d+)"\} (\S+)', open(sys.argv[2]).read())}
share4 = counts.get(4, 0) / max(sum(counts.values()), 1)
mean, ttft = s["sli"]["latency_ms"]["mean"], s["sli"]["ttft_ms"]["p50"]
print("generate_test: %.0f%% of batches of 4, call mean %.1f ms (16 x L(4) = 92.0), first token p50 %.2f ms (L(4) = 5.75)"
      % (100 * share4, mean, ttft))
ok = share4 >= 0.9 and abs(mean - 92.0) <= 0.15 * 92.0 and abs(ttft - 5.75) <= 1.5 and s["sli"]["requests"]["failed"] == 0
sys.exit(0 if ok else "generate_test: FAILED")
PY
