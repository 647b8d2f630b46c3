#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Real testbed vs kubemind, experiment by experiment (issue 8).

For each experiment of validation/experiments.json: writes the equivalent kubemind scenario (same
backends and models/ curve, batching, load, balancer, seed, duration, warm-up) into a temp dir, runs
it with the kubemind binary, runs the real experiment (validation/local/run.sh, as root), and prints
a table: per-pod request share (pods ranked by share: which pod the random L4 choice lands on is not
the thing predicted), p50/p90/p99 latency, throughput and CPU, real vs simulated, with relative error.

  validation/compare.py [EXPERIMENT...] [--reuse] [--json FILE] [--results-md FILE] [--check]

--reuse   do not run the real testbed, read the last results in validation/out/EXPERIMENT
--check   exit 1 unless, for every experiment, every pod's share is within 5 points and p50 and p99
          are within 15% (the acceptance of issue 8)
Scale-out experiments (scale_out_to > backends) also compare when the new pods became Ready and
were published, and shares / p50 / p99 / throughput before the scale-out ([warm-up, scale_out_at_s))
and after the last pod was published (to the end); the twin's windows are runs of the same scenario
with another warm-up or end (the simulation is deterministic and the SLI counts requests by send time).
Uses Debian's /usr/bin/python3 and the standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KUBEMIND = os.environ.get("KUBEMIND", "/work/build/sim/cli/kubemind")

# What kubemind cannot know about this machine, measured here (README, "Calibration"):
# - the one-way latency of a message through the gRPC stack on loopback: measured by the
#   calibrate-l4 / calibrate-l7 experiments (1 stream, batch 1, unloaded) before the predictions;
#   DEFAULT_ONE_WAY_MS is used only with --no-calibrate;
# - HAProxy's CPU per request: ~5.0 s of CPU for ~71k requests in l7-static (proxy.json) = 0.07 ms on
#   one worker (nbthread 1).
DEFAULT_ONE_WAY_MS = 0.05
HAPROXY_CPU_PER_REQUEST_MS = 0.07

NOTES = """
## Notes on the errors

- **loophole-l4, l7-static (the acceptance pair): within tolerance.** Shares exact (100/0/0/0 and
  25 each), throughput within 1%, p50 -4.0% and +0.1%, p99 -0.5% and -1.3% in this run (in an
  earlier full run two seconds of host stalls, below, took l7-static's p99 to -13.8%: -3.3% outside
  them). The loophole's p50 error (-4%) is kubemind's latency being discrete here: 100 callers over
  batches of 8 wait 12 or 13 batch times (108 or 117 ms), so its median sits on the step; the real
  one, with jitter, lies between.
- **l4-scale-out: the loophole survives a scale-out, in both worlds.** The 3 new pods were Ready at
  the 23.000 s probe tick and published at 23.108 s (100 ms + one iptables-restore of the 4-endpoint
  chains, ~8-16 ms), the twin's 23.0 / 23.1 s. 16 new connections opened after the run reached all 4
  pods, yet the load's one connection kept its conntrack entry: 100/0/0/0 before and after, real and
  simulated; p50/p99 as loophole-l4's (p50 -3.8..-3.9%: the same discrete median).
- **l7-scale-out: leastconn picks the new pods up at once.** Ready 23.000 s, published 23.106 s
  (two runtime-API commands per pod) vs 23.0 / 23.1 s simulated. Whole run: pod 0 38.7% (alone for
  15 of the 32 measured seconds, a quarter after), the others 20.4%, within 0.1 point; from the
  publication on 25% each; before: p50 -4.5% (the same discrete median), p99 -1.0%; after: p50
  -0.7%, p99 -0.8%, throughput +0.5%. In the first full run of the day (load average up to 4.3) the
  after window's p99 was 67.0 ms (-46.3%): host stalls in 9 of its 17 seconds (p99 53-198 ms in
  those, 36.2-37.4 ms in the quiet ones against the twin's 36.0); the stall rule (1.5x the phase's
  median second) caught only 3 of them, so "outside stalls" still read -34.5%. Two repeats right
  after: 37.0 and 36.3 ms (-2.7%, -0.8%). The whole-run shares hardly see the publication instant
  (pod 0 serves ~889 rps before and after it; 100 ms later moves ~0.14 point to pod 0), so the
  instants are gated on their own (75 ms).
- **Scale-out windows.** Throughput is not gated (as elsewhere). The latest Ready and publication
  instants are gated at 75 ms (measured errors 0-18 ms: a probe, an iptables-restore, runtime
  commands; a wrong probe grid would be a whole 1-s period off). The twin's `before` window is a run that ends at 20 s, so the ~100 calls in
  flight then are "unfinished" and not counted: -0.9% of that 12-s window's throughput (as -0.35% of
  a 40-s run's); the real loadgen drains them.
- **HAProxy dynamic servers were not used.** `add server` (HAProxy 2.6.12) gave a server that reused
  no connection (show stat: one connect per request, reuse 0, also with pool-max-conn -1), so every
  request to a new pod opened a new TCP + HTTP/2 connection: after-window throughput 10-15% lower
  and p99 ~60 ms. The harness uses pre-declared disabled server slots (set server addr + state
  ready, as HAProxy-based ingress controllers do): 1 connection per server, every request reused.
- **Backend CPU is not comparable** (informative row): kubemind charges only `cpu.preprocess_ms`
  (0.05 ms) per request; the real process also pays gRPC's own work (~0.1-0.15 ms per call here).
  Not a model error for the HPA question as long as scenarios put the real per-request CPU in
  `preprocess_ms`; the testbed says what that number is for a gRPC C++ server.
- **Host stalls.** This VM's 2 vCPUs were shared with other developers' builds (load average
  1.7-3.3 during this run's real experiments, 2.6-8 on other days; /proc/pressure/cpu "some" ~90% at
  the busiest). Every few tens of seconds all processes stall together for up to ~150 ms (visible in
  requests.csv as one 100-ms bin in which every pod's latency jumps at once). kubemind models no
  other tenants, so the table adds, as a diagnostic (never a gate), the number of "stall seconds"
  (1-second bins whose p99 exceeds 1.5x the median bin's; per phase for the scale-out experiments)
  and the p99 of the requests outside them.
- **Open loop.** An open-loop arrival keeps arriving during a stall, and at 90% utilisation the
  backlog drains at 10% of capacity, so one stall costs seconds of tail: open-loop-l7-90 p99 -13.0%
  raw, -8.5% outside the stall second, p50 -6.6% here (-30.5% raw, -12.4% outside, in an earlier
  run); open-loop-l7-50: p50 -7.3%, p99 -11.7% here; in a busier run it was -84% raw and -43%
  outside the detected stalls (shorter stalls than the 1.5x rule detects). kubemind's answer sits at
  the quiet end of the real runs; judge open-loop tails on an idle machine before changing the model.
- **l7-roundrobin (shown, not gated):** closed loop + round robin at saturation has a neutrally
  stable split of callers over pods (every pod gets the same rate whatever it holds); the real split
  is set by the start-up transient and was far from even in about 1 run in 6 (p50 20 ms / p99 60 ms
  instead of 27 / 36). kubemind starts evenly and matches the runs whose split is even (this run:
  p50 -1.8%, p99 -0.2%; an earlier one: p99 -35.8%, stalls plus an uneven split). No model fix: both
  are equilibria of the same system; leastconn / LEAST_REQUEST (l7-static) has a restoring force.
- **l4-many-conns, max-connection-age-l4 (shown, not gated):** where each connection lands is an
  independent random draw in each world; per-run shares differ by chance (this run: 40/20/20/20 real vs
  50/21/19/10 simulated with a 2 s max connection age), and so do latencies where they depend on
  the placement (l4-many-conns: real 8 connections landed on 4 pods, simulated on 3; p50 -45%,
  p99 +79%, throughput -28%). With max connection age the latency does not depend on the placement
  (one pod at a time serves everything) and agrees within 1%. Comparing shares needs their
  distribution over many seeds (not done).
"""

SHARE_TOLERANCE_POINTS = 5.0
LATENCY_TOLERANCE = 0.15


def load_experiments():
    with open(os.path.join(HERE, "experiments.json")) as f:
        d = json.load(f)
    out = {}
    for name, e in d["experiments"].items():
        p = dict(d["defaults"])
        p.update(e)
        out[name] = p
    return out


def scenario_for(name, p, one_way_ms=DEFAULT_ONE_WAY_MS):
    """The kubemind scenario equivalent to experiment `p`. kmval_loadgen's C channels are C separate
    connections, each carrying its own S callers (or 1/C of the arrivals): C kubemind clients of one
    connection each."""
    clients = []
    for c in range(p["channels"]):
        client = {"name": "loadgen-%d" % c, "target": "service/inference" if p["mode"] == "l4" else "proxy/haproxy"}
        if p["rate_rps"] > 0:
            client["arrival"] = {"process": "poisson", "rate_rps": p["rate_rps"] / p["channels"]}
        else:
            loop = {"concurrency": p["streams"]}
            if p["think_ms"] > 0:
                loop["think_time"] = {"distribution": "exponential", "mean_ms": p["think_ms"]}
            client["closed_loop"] = loop
        client["channel"] = {"lb_policy": "pick_first", "connections": 1, "one_way_latency_ms": one_way_ms}
        clients.append(client)
    server = {"model": p["model"], "instances": p["instances"], "max_batch_size": p["max_batch"],
              "cpu": {"preprocess_ms": p["cpu_ms"]}}
    if p["max_batch"] > 1:
        server["dynamic_batching"] = {"preferred_batch_size": p["preferred"],
                                      "max_queue_delay_microseconds": p["max_queue_delay_us"]}
    if p["max_connection_age_ms"] > 0:
        server["grpc"] = {"max_connection_age_s": p["max_connection_age_ms"] / 1000.0}
    s = {
        "kubemind": "v1", "name": name,
        "description": "validation/compare.py: the kubemind twin of the real-testbed experiment " + name + ". " + p.get("about", ""),
        "seed": p["seed"], "duration_s": p["duration_s"], "warmup_s": p["warmup_s"],
        "clients": clients,
        "deployments": [{"name": "inference", "replicas": p["backends"], "server": server}],
        "services": [{"name": "inference", "selector": {"app": "inference"}}],
    }
    if p["mode"] == "l7":
        s["proxies"] = [{"name": "haproxy", "upstream_service": "inference",
                         "lb_policy": {"roundrobin": "ROUND_ROBIN", "leastconn": "LEAST_REQUEST"}[p["balance"]],
                         "workers": 1, "cpu_per_request_ms": HAPROXY_CPU_PER_REQUEST_MS,
                         "upstream_connection": {"one_way_latency_ms": one_way_ms}}]
    if is_scale_out(p):
        add_scale_out(s, p)
    return s


def is_scale_out(p):
    return p.get("scale_out_to", 0) > p["backends"]


def add_scale_out(s, p):
    """The twin of local/endpoints_controller.py, stage by stage, from the harness's configured values
    (never from a measured run): `kubectl scale` to scale_out_to at scale_out_at_s; the harness starts
    the processes at once (scheduling_latency_ms 0, no image, container_start_s 0: a process start,
    ~ms); each loads its weights in process for weight_load_s (size_gb = weight_load_s at 1 GB/s); the
    readiness probe (initialDelaySeconds 0, periodSeconds readiness_period_s, successThreshold 1) runs
    at launch + k x period, so the first success is the first tick after the load (kubemind: probes at
    admission + k x periodSeconds); endpoint_publish_delay_ms later the pod reaches the data plane:
    kube-proxy rewrites the rules at once (min_sync_period_s 0: the controller has no rate limit) or
    HAProxy's server is set ready at once (eds_delay_ms 0: no xDS between them)."""
    dep = s["deployments"][0]
    dep["pod"] = {"readinessProbe": {"initialDelaySeconds": 0, "periodSeconds": p["readiness_period_s"], "successThreshold": 1},
                  "container_start_s": 0,
                  "weights": {"size_gb": p["weight_load_s"], "load_gb_per_s": 1.0, "load": "in_process"},
                  "warm_up_s": 0}
    s["cluster"] = {"node_pools": [{"name": "testbed", "initial_nodes": 1}],  # 8 cores: 4 pods of 1 core fit
                    "scheduling_latency_ms": 0, "endpoint_publish_delay_ms": p["endpoint_publish_delay_ms"]}
    s["events"] = [{"at_s": p["scale_out_at_s"], "scale": {"deployment": "inference", "replicas": p["scale_out_to"]}}]
    if p["mode"] == "l4":
        s["kube_proxy"] = {"mode": "iptables", "min_sync_period_s": 0}
    else:
        s["proxies"][0]["eds_delay_ms"] = 0


def run_kubemind(name, p, tmp, one_way_ms, window=None):
    """kubemind's report on the twin; `window` (warmup_s, duration_s): the same scenario measured over
    another span (same dynamics up to its end: deterministic, requests counted by send time)."""
    s = scenario_for(name, p, one_way_ms)
    tag = ""
    if window:
        s["warmup_s"], s["duration_s"] = window
        tag = "-%g-%g" % window
    path = os.path.join(tmp, name + tag + ".json")
    with open(path, "w") as f:
        json.dump(s, f, indent=2)
    r = subprocess.run([KUBEMIND, "run", path, "--format", "json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("compare.py: kubemind failed on %s:\n%s" % (path, r.stderr))
    return json.loads(r.stdout), path


def run_real(name, out_dir, reuse):
    if not reuse:
        r = subprocess.run(["bash", os.path.join(HERE, "local", "run.sh"), name, out_dir])
        if r.returncode != 0:
            sys.exit("compare.py: run.sh %s failed (exit %d)" % (name, r.returncode))
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    cpu = {}
    for fn in sorted(os.listdir(out_dir)):
        if fn.startswith("metrics-") and fn.endswith(".txt"):
            with open(os.path.join(out_dir, fn)) as f:
                for line in f:
                    if line.startswith("process_cpu_seconds_total"):
                        cpu[fn[len("metrics-"):-4]] = float(line.split()[-1])
    summary["backend_cpu_seconds"] = cpu
    la = os.path.join(out_dir, "loadavg.txt")  # /proc/loadavg's 1/5/15-min averages at the start and end
    if os.path.exists(la):
        with open(la) as f:
            summary["load_average"] = [[float(x) for x in line.split()] for line in f if line.strip()]
    proxy = os.path.join(out_dir, "proxy.json")
    if os.path.exists(proxy):
        with open(proxy) as f:
            summary["proxy_cpu_seconds"] = json.load(f)["cpu_seconds"]
    return summary


def profile_mean_ms(model, batch):
    """L(batch) for a batch at or below the first knot (the calibration runs at batch 1)."""
    with open(os.path.join(ROOT, "models", model + ".json")) as f:
        knots = json.load(f)["latency_ms"]
    if batch != knots[0]["batch"]:
        sys.exit("compare.py: calibration needs batch %d = the profile's first knot" % batch)
    return min(k["mean"] for k in knots)  # monotone envelope at the first knot (latency_curve.h)


def calibrate(mode, exps, out, reuse):
    """One-way latency (ms) of one message through the real stack for `mode`, from calibrate-MODE:
    unloaded mean latency minus L(1), minus HAProxy's CPU (l7), over 2 (l4) or 4 (l7) one-way hops."""
    name = "calibrate-" + mode
    p = exps[name]
    real = run_real(name, os.path.join(out, name), reuse)
    overhead = real["sli"]["latency_ms"]["mean"] - profile_mean_ms(p["model"], 1)
    if mode == "l7":
        overhead -= HAPROXY_CPU_PER_REQUEST_MS
    return max(overhead / (2 if mode == "l4" else 4), 0.0), real["sli"]["latency_ms"]["mean"]


def quantile(v, x):
    """kmval_loadgen's percentile: linear between order statistics."""
    v = sorted(v)
    if not v:
        return float("nan")
    pos = x * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def read_requests(out_dir):
    """The answered calls of a real run: (send_s, latency_ms, pod)."""
    rows = []
    with open(os.path.join(out_dir, "requests.csv")) as f:
        next(f)
        for line in f:
            send_s, lat, pod, status = line.rstrip("\n").split(",")[:4]
            if status == "0":
                rows.append((float(send_s), float(lat), pod))
    return rows


def window_figures(rows, t0, t1):
    """Shares, p50/p99 and throughput of the calls sent in [t0, t1)."""
    lat = [r[1] for r in rows if t0 <= r[0] < t1]
    per_pod = {}
    for r in rows:
        if t0 <= r[0] < t1:
            per_pod[r[2]] = per_pod.get(r[2], 0) + 1
    n = len(lat)
    return {"pods": [{"name": k, "requests": v, "share": v / n} for k, v in sorted(per_pod.items())],
            "sli": {"latency_ms": {"p50": quantile(lat, 0.5), "p90": quantile(lat, 0.9), "p99": quantile(lat, 0.99)},
                    "throughput_rps": n / (t1 - t0)}}


def stall_diagnostic(out_dir, p, split_s=None):
    """Host stalls, from the real run's requests.csv: the measured window cut into 1-second bins; a
    bin whose p99 exceeds 1.5x the median of the bins' p99s is a stall second (on this shared VM:
    every process stalls at once, e.g. 150 ms; CPU pressure 'some' ~90%; the backlog a stall leaves
    drains in the next seconds at (1 - utilisation) of capacity, hence 1.5x, not more). Returns (stall seconds,
    bins, p99 of the requests sent outside stall seconds). A diagnostic, never a gate. `split_s` (scale-out:
    when the last pod was published): bins before and after it are judged against their own phase's
    median (the bin holding the split against the larger of the two)."""
    path = os.path.join(out_dir, "requests.csv")
    if not os.path.exists(path):
        return None
    bins = {}
    with open(path) as f:
        next(f)
        for line in f:
            send_s, lat, _pod, status = line.rstrip("\n").split(",")
            t = float(send_s)
            if status == "0" and p["warmup_s"] <= t < p["duration_s"]:
                bins.setdefault(int(t), []).append(float(lat))
    if not bins:
        return None

    q = quantile
    p99s = {b: q(v, 0.99) for b, v in bins.items()}
    if split_s is None:
        med = {b: q(list(p99s.values()), 0.5) for b in p99s}
    else:
        before = q([x for b, x in p99s.items() if b + 1 <= split_s], 0.5)
        after = q([x for b, x in p99s.items() if b >= split_s], 0.5)
        med = {b: before if b + 1 <= split_s else after if b >= split_s else max(before, after) for b in p99s}
    stalls = sorted(b for b, x in p99s.items() if x > 1.5 * med[b])
    rest = [x for b, v in bins.items() if b not in stalls for x in v]
    return len(stalls), len(bins), q(rest, 0.99), stalls


def ranked_shares(pods, n):
    shares = sorted((pod.get("share", 0.0) for pod in pods), reverse=True)
    return (shares + [0.0] * n)[:n]


def rel(real, sim):
    return (sim - real) / real if real else float("nan")


def share_rows(real_pods, sim_pods, n, prefix=""):
    rows = []
    for i, (a, b) in enumerate(zip(ranked_shares(real_pods, n), ranked_shares(sim_pods, n))):
        rows.append({"metric": "%sshare of pod ranked %d (%%)" % (prefix, i + 1), "real": 100 * a, "sim": 100 * b,
                     "error": 100 * (b - a), "error_kind": "points",
                     "ok": abs(100 * (b - a)) <= SHARE_TOLERANCE_POINTS, "gated": True})
    return rows


def latency_rows(real, sim, prefix="", quantiles=("p50", "p90", "p99")):
    rows = []
    for q in quantiles:
        a, b = real["sli"]["latency_ms"][q], sim["sli"]["latency_ms"][q]
        rows.append({"metric": "%slatency %s (ms)" % (prefix, q), "real": a, "sim": b, "error": rel(a, b),
                     "error_kind": "relative", "ok": abs(rel(a, b)) <= LATENCY_TOLERANCE, "gated": q in ("p50", "p99")})
    a, b = real["sli"]["throughput_rps"], sim["sli"]["throughput_rps"]
    rows.append({"metric": "%sthroughput (rps)" % prefix, "real": a, "sim": b, "error": rel(a, b),
                 "error_kind": "relative", "ok": abs(rel(a, b)) <= LATENCY_TOLERANCE, "gated": False})
    return rows


# Scale-out: the real and simulated instants may differ by the harness's own latency (a probe ~1 ms,
# an iptables-restore or runtime-API command ~5-20 ms; measured 0-18 ms); a wrong probe grid in the
# model moves them by a whole period (1 s), a missing publication delay by 100 ms. Gated: the whole-run
# shares hardly see the instant (~0.14 point per 100 ms in l7-scale-out), this row does.
SCALE_OUT_TIME_TOLERANCE_S = 0.075


def sim_scale_out_times(sim, p):
    """(latest Ready, latest published) of the pods the scale-out created, in the twin."""
    new = [pod for pod in sim["pods"] if pod.get("created_s", 0) > 0]
    if len(new) != p["scale_out_to"] - p["backends"] or any(pod.get("ready_s") is None for pod in new):
        sys.exit("compare.py: the twin did not create and ready %d pods" % (p["scale_out_to"] - p["backends"]))
    ready = max(pod["ready_s"] for pod in new)
    published = max(pod["ready_s"] + pod["cold_start"]["endpoint_publish_s"] for pod in new)
    return ready, published


def real_scale_out_times(out_dir):
    with open(os.path.join(out_dir, "scale-out.json")) as f:
        rec = json.load(f)
    return max(x["ready_s"] for x in rec["pods"]), max(x["published_s"] for x in rec["pods"]), rec


def scale_out_rows(p, out_dir, sim_before, sim_after, real_times, sim_times):
    """Instants of the scale-out, then the before / after windows (each world's own publication)."""
    rows = []
    for label, a, b in (("new pods Ready, latest (s)", real_times[0], sim_times[0]),
                        ("new pods published, latest (s)", real_times[1], sim_times[1])):
        rows.append({"metric": label, "real": a, "sim": b, "error": b - a, "error_kind": "seconds",
                     "ok": abs(b - a) <= SCALE_OUT_TIME_TOLERANCE_S, "gated": True})
    reqs = read_requests(out_dir)
    before = window_figures(reqs, p["warmup_s"], p["scale_out_at_s"])
    after = window_figures(reqs, real_times[1], p["duration_s"])
    rows += latency_rows(before, sim_before, "before: ", ("p50", "p99"))
    rows += share_rows(after["pods"], sim_after["pods"], p["scale_out_to"], "after: ")
    rows += latency_rows(after, sim_after, "after: ", ("p50", "p99"))
    diag = stall_diagnostic(out_dir, p, real_times[1])
    if diag:  # the same diagnostic as the whole run's, on the after window (never a gate)
        stalls = set(diag[3])
        calm = [r[1] for r in reqs if real_times[1] <= r[0] < p["duration_s"] and int(r[0]) not in stalls]
        a, b = quantile(calm, 0.99), sim_after["sli"]["latency_ms"]["p99"]
        rows.append({"metric": "after: p99 outside stalls (ms)", "real": a, "sim": b, "error": rel(a, b),
                     "error_kind": "relative", "ok": abs(rel(a, b)) <= LATENCY_TOLERANCE, "gated": False})
    return rows


def scale_out_footer(p, out_dir, so):
    """What the harness recorded: each new pod's launch, Ready and publication, real and simulated;
    for l4, the pods that 16 new connections opened after the run reached (the rules work: the one
    load connection stays on its pod because of conntrack, not because of the rules)."""
    sim = {x["name"]: x for x in so["sim"]["pods"]}
    lines = ["Scale-out timeline (s after the load's start; real / simulated): " + "; ".join(
        "%s launched %.3f / %.3f, Ready %.3f / %.3f, published %.3f / %.3f" % (
            x["name"], x["launched_s"], sim[x["name"]]["created_s"], x["ready_s"], sim[x["name"]]["ready_s"],
            x["published_s"], sim[x["name"]]["published_s"]) for x in so["real"]["pods"] if x["name"] in sim) + "."]
    path = os.path.join(out_dir, "new-connections.json")
    if p["mode"] == "l4" and os.path.exists(path):
        with open(path) as f:
            d = json.load(f)
        lines.append("16 new connections to the ClusterIP after the run reached %d of %d pods (%s)." % (
            len(d["pods"]), p["scale_out_to"], ", ".join(x["name"] for x in d["pods"])))
    return "\n".join(lines)


def compare_one(name, p, real, sim, out_dir=None, split_s=None):
    n = max(p["backends"], p.get("scale_out_to", 0))
    prefix = "whole run: " if split_s is not None else ""
    rows = share_rows(real["pods"], sim["pods"], n, prefix) + latency_rows(real, sim, prefix)
    diag = stall_diagnostic(out_dir, p, split_s) if out_dir else None
    if diag:
        stalls, bins, p99_rest, _ = diag
        rows.append({"metric": "host-stall seconds (of %d)" % bins, "real": stalls, "sim": 0, "error": 0.0,
                     "error_kind": "count", "ok": None, "gated": False})
        a, b = p99_rest, sim["sli"]["latency_ms"]["p99"]
        rows.append({"metric": "latency p99 outside stalls (ms)", "real": a, "sim": b, "error": rel(a, b),
                     "error_kind": "relative", "ok": abs(rel(a, b)) <= LATENCY_TOLERANCE, "gated": False})
    window = p["duration_s"]  # real CPU is counted over the whole run (warm-up included)
    real_cpu = sum(real.get("backend_cpu_seconds", {}).values()) / window
    sim_cpu = sum(pod.get("cpu_utilization", 0.0) for pod in sim["pods"])  # cores: 1 core requested per pod
    rows.append({"metric": "backend CPU, all pods (cores)", "real": real_cpu, "sim": sim_cpu,
                 "error": rel(real_cpu, sim_cpu), "error_kind": "relative", "ok": None, "gated": False})
    return rows


def fmt_row(r):
    if r["error_kind"] == "points":
        err = "%+.1f pt" % r["error"]
    elif r["error_kind"] == "seconds":
        err = "%+.0f ms" % (1000 * r["error"])
    elif r["error_kind"] == "count":
        err = ""
    else:
        err = "%+.1f %%" % (100 * r["error"]) if r["error"] == r["error"] else "n/a"
    flag = "" if r["ok"] is None else ("ok" if r["ok"] else "OVER")
    if not r["gated"] and flag:
        flag = "(" + flag + ")"
    return "| %-36s | %10.3f | %10.3f | %10s | %-6s |" % (r["metric"], r["real"], r["sim"], err, flag)


def table(name, p, rows, footer=""):
    head = "### %s (%s, %s)\n\n%s\n\n" % (name, p["mode"], p.get("balance", "") if p["mode"] == "l7" else "ClusterIP / iptables", p.get("about", ""))
    lines = ["| metric                               |       real |  simulated |      error | within |",
             "|--------------------------------------|-----------:|-----------:|-----------:|--------|"]
    return head + "\n".join(lines + [fmt_row(r) for r in rows]) + "\n" + (footer and "\n" + footer + "\n")


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s %s" % (cpu, os.cpu_count() or 0, platform.system(), platform.release())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiments", nargs="*")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--json")
    ap.add_argument("--results-md")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--no-calibrate", action="store_true")
    ap.add_argument("--note", help="a line for RESULTS.md's header (e.g. what else ran on the machine)")
    a = ap.parse_args()
    exps = load_experiments()
    names = a.experiments or [n for n, p in exps.items() if not p.get("calibration")]
    for n in names:
        if n not in exps:
            sys.exit("compare.py: unknown experiment %s (have: %s)" % (n, ", ".join(exps)))
    km_built = datetime.datetime.fromtimestamp(os.path.getmtime(KUBEMIND), datetime.timezone.utc)
    report = {"date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "load_average_at_start": os.getloadavg(),
              "kubemind": "%s (built %s)" % (KUBEMIND, km_built.strftime("%Y-%m-%d %H:%M UTC")), "experiments": {}}
    text = []
    failed = []
    loads = []  # 1-min load average at each real run's start and end
    one_way = {}
    report["calibration"] = {}
    for mode in sorted({exps[n]["mode"] for n in names}):
        if a.no_calibrate:
            one_way[mode] = DEFAULT_ONE_WAY_MS
            continue
        one_way[mode], mean_ms = calibrate(mode, exps, a.out, a.reuse)
        report["calibration"][mode] = {"unloaded_mean_latency_ms": mean_ms, "one_way_latency_ms": one_way[mode]}
        line = ("calibration %s: unloaded batch-1 latency %.3f ms -> one_way_latency_ms %.4f"
                % (mode, mean_ms, one_way[mode]))
        text.append(line + "\n")
        print(line, flush=True)
    with tempfile.TemporaryDirectory(prefix="kmval-") as tmp:
        for n in names:
            p = exps[n]
            sim, _ = run_kubemind(n, p, tmp, one_way[p["mode"]])
            real = run_real(n, os.path.join(a.out, n), a.reuse)
            loads += [la[0] for la in real.get("load_average", [])]
            mtime = os.path.getmtime(os.path.join(a.out, n, "summary.json"))
            report["real_runs_utc"] = max(report.get("real_runs_utc", ""), datetime.datetime.fromtimestamp(
                mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
            out_dir = os.path.join(a.out, n)
            entry = {"parameters": p, "scenario": scenario_for(n, p, one_way[p["mode"]])}
            if is_scale_out(p):
                sim_times = sim_scale_out_times(sim, p)
                real_times = real_scale_out_times(out_dir)
                sim_before, _ = run_kubemind(n, p, tmp, one_way[p["mode"]], (p["warmup_s"], p["scale_out_at_s"]))
                sim_after, _ = run_kubemind(n, p, tmp, one_way[p["mode"]], (sim_times[1], p["duration_s"]))
                rows = compare_one(n, p, real, sim, out_dir, real_times[1])
                rows += scale_out_rows(p, out_dir, sim_before, sim_after, real_times, sim_times)
                entry["scale_out"] = {"real": real_times[2], "sim": {
                    "pods": [{"name": x["name"], "created_s": x["created_s"], "ready_s": x["ready_s"],
                              "published_s": x["ready_s"] + x["cold_start"]["endpoint_publish_s"]}
                             for x in sim["pods"] if x.get("created_s", 0) > 0]}}
            else:
                rows = compare_one(n, p, real, sim, out_dir)
            if p.get("random_placement") or p.get("neutral_split"):  # informative only (experiments.json "about")
                for r in rows:
                    r["gated"] = False
            entry["rows"] = rows
            report["experiments"][n] = entry
            footer = ""
            if is_scale_out(p):
                footer = scale_out_footer(p, out_dir, entry["scale_out"])
            t = table(n, p, rows, footer)
            text.append(t)
            print(t, flush=True)
            if any(r["gated"] and not r["ok"] for r in rows):
                failed.append(n)
    report["load_average_at_end"] = os.getloadavg()
    report["load_average_real_runs"] = [min(loads), max(loads)] if loads else None
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)
    if a.results_md:
        with open(a.results_md, "w") as f:
            f.write("# Real testbed vs kubemind\n\n")
            la = report["load_average_real_runs"]
            f.write("Latest run of `validation/compare.py` (real runs finished %s) on %s; 1-minute load average\n"
                    "%s at the real runs' starts and ends (the machine is shared); simulator: %s.\n"
                    % (report["real_runs_utc"], report["machine"], "%.1f-%.1f" % tuple(la) if la else "unknown",
                       report["kubemind"]))
            if a.note:
                f.write(a.note + "\n")
            f.write("Shares: pods ranked by share in each run. Errors: simulated minus real (points for shares,\n"
                    "relative for the rest). `within`: acceptance of issue 8 (shares 5 points, p50 and p99 15%;\n"
                    "scale-out: also the new pods' latest Ready and publication instants, 75 ms);\n"
                    "in parentheses: same 15% bar on a figure the acceptance does not gate; none: informative only.\n"
                    "Experiments marked in their description as random placement or neutral split are shown, never gated.\n\n")
            f.write("\n".join(text))
            f.write(NOTES)
    if a.check:
        if failed:
            print("compare.py: OVER tolerance in: " + ", ".join(failed))
            return 1
        print("compare.py: every gated figure within tolerance (%s)" % ", ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
