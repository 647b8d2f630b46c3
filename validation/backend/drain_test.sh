#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kmval_backend's contract, for real (root; its own network namespace, removed on exit):
# - /ready is 503 during the emulated weight load and 200 after; /metrics has the names the issue lists;
# - SIGTERM under load (1 connection x 50 streams): the calls the server had taken (its log: "draining
#   N in flight") are all answered OK, the process exits 0, no call sent after the first failure
#   succeeds, later calls fail UNAVAILABLE (14). Observed and allowed: a few calls (at most one per
#   stream) sent in the last ~50 ms before the signal end CANCELLED (1): gRPC's Server::Shutdown
#   cancels calls that reached the transport but were not yet handed to the service.
set -euo pipefail
build=${KMVAL_BUILD:-/work/build-val}
models=$(cd "$(dirname "$0")/../../models" && pwd)
ns=kmval-drain-$$
pids=()
cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
tmp=$(mktemp -d /tmp/kmval-drain.XXXXXX)
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$build/kmval_backend" --pod drain-0 --port 50051 --metrics-port 9100 \
  --model "$models/resnet50-t4.json" --max-batch 8 --preferred 4,8 --max-queue-delay-us 1000 \
  --weight-load-s 1 --drain-s 10 >"$tmp/backend.log" 2>&1 &
bpid=$!
pids+=("$bpid")
sleep 0.3
code=$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9100/ready)
[[ $code == 503 ]] || { echo "drain_test: /ready during weight load gave $code, want 503" >&2; exit 1; }
for _ in $(seq 60); do ip netns exec "$ns" curl -sf -o /dev/null http://127.0.0.1:9100/ready && break; sleep 0.05; done
ip netns exec "$ns" curl -sf http://127.0.0.1:9100/metrics >"$tmp/metrics.txt"
for m in queue_depth inflight requests_total process_cpu_seconds_total batch_size_total request_latency_seconds_bucket; do
  grep -q "^$m{" "$tmp/metrics.txt" || { echo "drain_test: /metrics lacks $m" >&2; exit 1; }
done
ip netns exec "$ns" "$build/kmval_loadgen" --target 127.0.0.1:50051 --channels 1 --streams 50 \
  --duration-s 3 --warmup-s 0.1 --drain-s 5 --csv "$tmp/calls.csv" --summary "$tmp/summary.json" 2>/dev/null &
lpid=$!
pids+=("$lpid")
sleep 1.5
t_term=$(date +%s.%N)
kill -TERM "$bpid"
rc=0
wait "$bpid" || rc=$?
wait "$lpid" || true
[[ $rc == 0 ]] || { echo "drain_test: backend exited $rc after SIGTERM" >&2; exit 1; }
/usr/bin/python3 - "$tmp/calls.csv" "$tmp/backend.log" <<'PY'
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
log = open(sys.argv[2]).read()
m = re.search(r"draining (\d+) in flight", log)
inflight = int(m.group(1)) if m else -1
ok = [r for r in rows if r["status"] == "0"]
fail_t = min((float(r["send_s"]) for r in rows if r["status"] != "0"), default=None)
cancelled = [r for r in rows if r["status"] == "1"]
bad = [r for r in rows if r["status"] not in ("0", "1", "14")]
bad += [r for r in cancelled if float(r["send_s"]) > fail_t + 0.1] if len(cancelled) <= 50 else cancelled
if bad: print("drain_test: unexpected statuses:", sorted({(r["status"], r["send_s"]) for r in bad})[:5])
# The last OK answer was sent before the signal; everything sent after the first failure failed.
first_fail = min((float(r["send_s"]) for r in rows if r["status"] != "0"), default=None)
late_ok = [r for r in ok if first_fail is not None and float(r["send_s"]) > first_fail]
print("drain_test: %d calls answered OK, %d in flight at SIGTERM all answered, %d CANCELLED at the signal, %d UNAVAILABLE after it"
      % (len(ok), inflight, len(cancelled), len(rows) - len(ok) - len(cancelled)))
d = re.search(r"drained, (\d+) of (\d+) calls answered", log)
if not d or d.group(1) != d.group(2):
    sys.exit("drain_test: FAILED: the backend did not answer every call it took (%s)" % (d.group(0) if d else "no drain line"))
if inflight <= 0 or bad or late_ok:
    sys.exit("drain_test: FAILED (in flight %d, other statuses %d, OK after a failure %d)" % (inflight, len(bad), len(late_ok)))
PY
