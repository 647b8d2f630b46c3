#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one experiment of validation/experiments.json on the real testbed, as root:
#   validation/local/run.sh EXPERIMENT [OUTDIR]
# Everything runs inside a network namespace created here (kmval-<pid>, loopback only), so its
# iptables rules touch nothing else; on exit (success, failure or signal) every process started here
# is stopped and the namespace deleted.
#   l4: the ClusterIP 10.96.0.10:80 is put on lo and kube-proxy's iptables-mode nat rules (OUTPUT ->
#       KUBE-SERVICES -> KUBE-SVC-* with -m statistic --mode random --probability 1/(n-i) -> KUBE-SEP-*
#       DNAT) send each NEW connection to one backend (local/kube_proxy_rules.py).
#   l7: HAProxy (mode http, proto h2 on the bind and on every server, balance roundrobin | leastconn,
#       nbthread 1) on 127.0.0.1:8080 picks a backend per request.
#   scale-out (an experiment with scale_out_to > backends): the run starts with `backends` pods; at
#       scale_out_at_s after the load's start local/endpoints_controller.py starts the others (each
#       with the emulated weight load, weight_load_s), probes their /ready every readiness_period_s
#       like the kubelet and, endpoint_publish_delay_ms after a pod turns Ready, rewrites the
#       ClusterIP's kube-proxy chains (l4) or fills a disabled HAProxy server slot over its runtime
#       API (l7);
#       scale-out.json records when each pod was launched, Ready and published.
# Writes OUTDIR (default validation/out/EXPERIMENT): summary.json (kmval_loadgen), requests.csv,
# metrics-<pod>.txt (each backend's /metrics after the run), proxy.json (HAProxy CPU seconds),
# iptables.txt or haproxy.cfg, scale-out.json (scale-out), loadavg.txt (/proc/loadavg at start and end), logs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${KMVAL_BUILD:-/work/build-val}
py=/usr/bin/python3
# The testbed's processes run at nice $KMVAL_NICE (default -10): kubemind models a machine with no
# other tenants, and on a shared 2-core machine a compiler holding a core for a time slice shows up
# as milliseconds of tail latency that belong to neither side. KMVAL_NICE=0 turns this off.
nice_level=${KMVAL_NICE:--10}

if [[ $# -lt 1 ]]; then echo "usage: $0 EXPERIMENT [OUTDIR]" >&2; exit 2; fi
if [[ $(id -u) -ne 0 ]]; then echo "run.sh: needs root (ip netns, iptables)" >&2; exit 2; fi
exp=$1
out=${2:-$root/validation/out/$exp}
for b in kmval_backend kmval_loadgen; do
  [[ -x $build/$b ]] || { echo "run.sh: $build/$b missing: build validation/ first (README)" >&2; exit 2; }
done
mkdir -p "$out"
cut -d' ' -f1-3 /proc/loadavg >"$out/loadavg.txt"  # at the start; another line at the end (the machine may be shared)
rm -f "$out"/summary.json "$out"/requests.csv "$out"/metrics-*.txt "$out"/proxy.json "$out"/scale-out.json "$out"/load-start \
      "$out"/haproxy-stat.csv "$out"/haproxy-servers.txt "$out"/iptables-after.txt "$out"/endpoints-controller.log "$out"/new-connections.json

# Experiment parameters as shell variables (defaults merged with the experiment's fields).
eval "$($py - "$root/validation/experiments.json" "$exp" <<'PY'
import json, shlex, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2] not in d["experiments"]:
    sys.exit("run.sh: unknown experiment %s (have: %s)" % (sys.argv[2], ", ".join(d["experiments"])))
p = dict(d["defaults"]); p.update(d["experiments"][sys.argv[2]])
for k, v in p.items():
    if isinstance(v, list): v = ",".join(str(x) for x in v)
    print("X_%s=%s" % (k, shlex.quote(str(v))))
PY
)"

ns=kmval-$$
pids=()
scale_out=0
total_backends=$X_backends
if ((X_scale_out_to > X_backends)); then scale_out=1; total_backends=$X_scale_out_to; fi
haproxy_sock=/run/kmval-$$.sock
# Background processes are started as `nice ip netns exec NS CMD &` (nice and ip exec: $! is CMD's pid).
cleanup() {
  local rc=$?
  set +e
  # Anything else still inside our namespace was started by this script too.
  for pid in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$pid"); done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  ip netns pids "$ns" 2>/dev/null | grep -q . && echo "run.sh: processes left in $ns" >&2
  ip netns del "$ns" 2>/dev/null
  rm -f "$haproxy_sock"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
nsx() { ip netns exec "$ns" "$@"; }
nsx ip link set lo up

cluster_ip=10.96.0.10
base_port=50051
metrics_base=9100
endpoints=()
backend_args=(--host 127.0.0.1 --model "$root/models/$X_model.json" --instances "$X_instances"
              --max-batch "$X_max_batch" --preferred "$X_preferred" --max-queue-delay-us "$X_max_queue_delay_us"
              --cpu-ms "$X_cpu_ms" --max-connection-age-ms "$X_max_connection_age_ms")
for ((i = 0; i < X_backends; i++)); do
  nice -n "$nice_level" ip netns exec "$ns" "$build/kmval_backend" "${backend_args[@]}" --pod "inference-$i" \
      --port $((base_port + i)) --metrics-port $((metrics_base + i)) >"$out/backend-$i.log" 2>&1 &
  pids+=($!)
  endpoints+=("127.0.0.1:$((base_port + i))")
done
wait_http() {  # URL: until it answers 200 (5 s)
  for _ in $(seq 100); do nsx curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "run.sh: $1 never answered" >&2; return 1
}
for ((i = 0; i < X_backends; i++)); do wait_http "http://127.0.0.1:$((metrics_base + i))/ready"; done

case $X_mode in
  l4)
    nsx ip addr add "$cluster_ip/32" dev lo
    $py "$here/kube_proxy_rules.py" "$cluster_ip" 80 "${endpoints[@]}" >"$out/kube-proxy-rules.txt"
    nsx iptables-restore --noflush <"$out/kube-proxy-rules.txt"
    nsx iptables -t nat -I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
    nsx iptables-save -t nat >"$out/iptables.txt"
    target=$cluster_ip:80
    ;;
  l7)
    {
      echo "global"
      echo "  nbthread 1"
      echo "  maxconn 4000"
      # scale-out: the runtime API (management.txt 9.3) at level admin for set server
      ((scale_out)) && echo "  stats socket $haproxy_sock mode 600 level admin"
      echo "defaults"
      echo "  mode http"
      echo "  timeout connect 5s"
      echo "  timeout client 120s"
      echo "  timeout server 120s"
      echo "frontend grpc_in"
      echo "  bind 127.0.0.1:8080 proto h2"
      echo "  default_backend inference"
      echo "backend inference"
      echo "  balance $X_balance"
      echo "  http-reuse always"
      for ((i = 0; i < X_backends; i++)); do
        echo "  server inference-$i ${endpoints[$i]} proto h2"
      done
      # scale-out: one disabled slot per future pod, filled by endpoints_controller.py (set server
      # addr + state ready), as HAProxy-based ingress controllers do
      for ((i = X_backends; i < total_backends; i++)); do
        echo "  server inference-$i 127.0.0.1:1 proto h2 disabled"
      done
    } >"$out/haproxy.cfg"
    nice -n "$nice_level" ip netns exec "$ns" haproxy -db -f "$out/haproxy.cfg" >"$out/haproxy.log" 2>&1 &
    pids+=($!)
    haproxy_pid=$!
    for _ in $(seq 100); do nsx bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080' 2>/dev/null && break; sleep 0.05; done
    kill -0 "$haproxy_pid" 2>/dev/null || { echo "run.sh: haproxy exited:" >&2; cat "$out/haproxy.log" >&2; exit 1; }
    target=127.0.0.1:8080
    ;;
  *) echo "run.sh: unknown mode $X_mode" >&2; exit 2 ;;
esac

echo "run.sh: $exp: $X_backends backends, $X_mode ($target), $X_channels x $X_streams streams, rate $X_rate_rps rps, ${X_duration_s}s" >&2
start_file=()
if ((scale_out)); then
  echo "run.sh: $exp: scale-out to $X_scale_out_to at t = ${X_scale_out_at_s}s (weight load ${X_weight_load_s}s, probe every ${X_readiness_period_s}s, publish +${X_endpoint_publish_delay_ms}ms)" >&2
  nice -n "$nice_level" ip netns exec "$ns" $py "$here/endpoints_controller.py" --mode "$X_mode" \
      --start-file "$out/load-start" --at-s "$X_scale_out_at_s" --period-s "$X_readiness_period_s" \
      --publish-delay-ms "$X_endpoint_publish_delay_ms" --weight-load-s "$X_weight_load_s" \
      --record "$out/scale-out.json" --first "$X_backends" --count $((X_scale_out_to - X_backends)) \
      --base-port "$base_port" --metrics-base "$metrics_base" --log-dir "$out" --cluster-ip "$cluster_ip" \
      --haproxy-socket "$haproxy_sock" -- "$build/kmval_backend" "${backend_args[@]}" 2>"$out/endpoints-controller.log" &
  pids+=($!)
  controller_pid=$!
  start_file=(--start-file "$out/load-start")
fi
nice -n "$nice_level" ip netns exec "$ns" "$build/kmval_loadgen" --name "$exp" --target "$target" --channels "$X_channels" --streams "$X_streams" \
    --think-ms "$X_think_ms" --rate-rps "$X_rate_rps" --seed "$X_seed" --duration-s "$X_duration_s" \
    --warmup-s "$X_warmup_s" --csv "$out/requests.csv" --summary "$out/summary.json" "${start_file[@]}" 2>"$out/loadgen.log"
if ((scale_out)); then
  wait "$controller_pid" || { echo "run.sh: the endpoints controller failed:" >&2; cat "$out/endpoints-controller.log" >&2; exit 1; }
  cat "$out/endpoints-controller.log" >&2
  if [[ $X_mode == l4 ]]; then  # the rules after the scale-out, and that NEW connections do reach the new pods
    nsx iptables-save -t nat >"$out/iptables-after.txt"
    nsx "$build/kmval_loadgen" --name new-connections --target "$target" --channels 16 --streams 1 --duration-s 0.5 \
        --warmup-s 0 --summary "$out/new-connections.json" 2>>"$out/loadgen.log"
    $py -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("run.sh: 16 new connections after the scale-out: " + ", ".join("%s %d" % (p["name"], p["requests"]) for p in d["pods"]))' \
        "$out/new-connections.json" >&2
  else                          # HAProxy's servers after the scale-out
    $py -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show servers state inference\n")
print(b"".join(iter(lambda: s.recv(4096), b"")).decode(), end="")' "$haproxy_sock" >"$out/haproxy-servers.txt"
    $py -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
print(b"".join(iter(lambda: s.recv(4096), b"")).decode(), end="")' "$haproxy_sock" >"$out/haproxy-stat.csv"
  fi
fi

for ((i = 0; i < total_backends; i++)); do
  nsx curl -sf "http://127.0.0.1:$((metrics_base + i))/metrics" >"$out/metrics-inference-$i.txt"
done
if [[ $X_mode == l7 ]]; then  # HAProxy's CPU seconds (utime + stime, /proc/PID/stat fields 14 and 15)
  read -r -a st <"/proc/$haproxy_pid/stat"
  tck=$(getconf CLK_TCK)
  $py -c "import json,sys; print(json.dumps({'cpu_seconds': (int(sys.argv[1]) + int(sys.argv[2])) / int(sys.argv[3])}))" \
      "${st[13]}" "${st[14]}" "$tck" >"$out/proxy.json"
fi
cut -d' ' -f1-3 /proc/loadavg >>"$out/loadavg.txt"
echo "run.sh: $exp: done, results in $out" >&2
