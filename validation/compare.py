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
  25 each), throughput within 1%, p50 within 4%; p99 within 2% in a quiet run, -13.8% in this one,
  where two seconds of host stalls (below) hit l7-static (-3.3% outside them). The loophole's p50
  error (-4%) is kubemind's latency being discrete here: 100 callers over batches of 8 wait 12 or 13
  batch times (108 or 117 ms), so its median sits on the step; the real one, with jitter, lies between.
- **Backend CPU is not comparable** (informative row): kubemind charges only `cpu.preprocess_ms`
  (0.05 ms) per request; the real process also pays gRPC's own work (~0.1-0.15 ms per call here).
  Not a model error for the HPA question as long as scenarios put the real per-request CPU in
  `preprocess_ms`; the testbed says what that number is for a gRPC C++ server.
- **Host stalls.** This VM's 2 vCPUs were shared with two other developers' builds (load average
  2.6-8 during these runs, /proc/pressure/cpu "some" ~90% at the busiest). Every few tens of seconds
  all processes stall together for up to ~150 ms (visible in requests.csv as one 100-ms bin in which
  every pod's latency jumps at once). kubemind models no other tenants, so the table adds, as a
  diagnostic (never a gate), the number of "stall seconds" (1-second bins whose p99 exceeds 1.5x the
  median bin's) and the p99 of the requests outside them.
- **Open loop.** An open-loop arrival keeps arriving during a stall, and at 90% utilisation the
  backlog drains at 10% of capacity, so one stall costs seconds of tail: open-loop-l7-90 p99 -30.5%
  raw, -12.4% outside the stall seconds, p50 -7.8%. open-loop-l7-50: p50 -4.2%, p99 -14.4% here;
  in a busier run it was -84% raw and -43% outside the detected stalls (shorter stalls than the
  1.5x rule detects). kubemind's answer sits at the quiet end of the real runs; judge open-loop tails
  on an idle machine before changing the model.
- **l7-roundrobin (shown, not gated):** closed loop + round robin at saturation has a neutrally
  stable split of callers over pods (every pod gets the same rate whatever it holds); the real split
  is set by the start-up transient and was far from even in about 1 run in 6 (p50 20 ms / p99 60 ms
  instead of 27 / 36). kubemind starts evenly and matches the runs whose split is even (p50 -2.6%
  here; p99 -35.8% here is stalls plus an uneven split: -18.8% outside the stall seconds). No model
  fix: both are equilibria of the same system; leastconn / LEAST_REQUEST (l7-static) has a restoring
  force.
- **l4-many-conns, max-connection-age-l4 (shown, not gated):** where each connection lands is an
  independent random draw in each world; per-run shares differ by chance (this run: 31/30/20/19 real vs
  50/21/19/10 simulated with a 2 s max connection age), and so do latencies where they depend on
  the placement (l4-many-conns: real 8 connections landed on 4 pods, simulated on 3; p50 -45%,
  p99 +78%, throughput -28%). With max connection age the latency does not depend on the placement
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
    return s


def run_kubemind(name, p, tmp, one_way_ms):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(scenario_for(name, p, one_way_ms), f, indent=2)
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


def stall_diagnostic(out_dir, p):
    """Host stalls, from the real run's requests.csv: the measured window cut into 1-second bins; a
    bin whose p99 exceeds 1.5x the median of the bins' p99s is a stall second (on this shared VM:
    every process stalls at once, e.g. 150 ms; CPU pressure 'some' ~90%; the backlog a stall leaves
    drains in the next seconds at (1 - utilisation) of capacity, hence 1.5x, not more). Returns (stall seconds,
    bins, p99 of the requests sent outside stall seconds). A diagnostic, never a gate."""
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

    def q(v, x):
        v = sorted(v)
        pos = x * (len(v) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (pos - lo) * (v[hi] - v[lo])

    p99s = {b: q(v, 0.99) for b, v in bins.items()}
    med = q(list(p99s.values()), 0.5)
    stalls = sorted(b for b, x in p99s.items() if x > 1.5 * med)
    rest = [x for b, v in bins.items() if b not in stalls for x in v]
    return len(stalls), len(bins), q(rest, 0.99)


def ranked_shares(pods, n):
    shares = sorted((pod.get("share", 0.0) for pod in pods), reverse=True)
    return (shares + [0.0] * n)[:n]


def rel(real, sim):
    return (sim - real) / real if real else float("nan")


def compare_one(name, p, real, sim, out_dir=None):
    n = p["backends"]
    rows = []
    for i, (a, b) in enumerate(zip(ranked_shares(real["pods"], n), ranked_shares(sim["pods"], n))):
        rows.append({"metric": "share of pod ranked %d (%%)" % (i + 1), "real": 100 * a, "sim": 100 * b,
                     "error": 100 * (b - a), "error_kind": "points",
                     "ok": abs(100 * (b - a)) <= SHARE_TOLERANCE_POINTS, "gated": True})
    for q in ("p50", "p90", "p99"):
        a, b = real["sli"]["latency_ms"][q], sim["sli"]["latency_ms"][q]
        rows.append({"metric": "latency %s (ms)" % q, "real": a, "sim": b, "error": rel(a, b), "error_kind": "relative",
                     "ok": abs(rel(a, b)) <= LATENCY_TOLERANCE, "gated": q in ("p50", "p99")})
    a, b = real["sli"]["throughput_rps"], sim["sli"]["throughput_rps"]
    rows.append({"metric": "throughput (rps)", "real": a, "sim": b, "error": rel(a, b), "error_kind": "relative",
                 "ok": abs(rel(a, b)) <= LATENCY_TOLERANCE, "gated": False})
    diag = stall_diagnostic(out_dir, p) if out_dir else None
    if diag:
        stalls, bins, p99_rest = diag
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
    elif r["error_kind"] == "count":
        err = ""
    else:
        err = "%+.1f %%" % (100 * r["error"]) if r["error"] == r["error"] else "n/a"
    flag = "" if r["ok"] is None else ("ok" if r["ok"] else "OVER")
    if not r["gated"] and flag:
        flag = "(" + flag + ")"
    return "| %-32s | %10.3f | %10.3f | %10s | %-6s |" % (r["metric"], r["real"], r["sim"], err, flag)


def table(name, p, rows):
    head = "### %s (%s, %s)\n\n%s\n\n" % (name, p["mode"], p.get("balance", "") if p["mode"] == "l7" else "ClusterIP / iptables", p.get("about", ""))
    lines = ["| metric                           |       real |  simulated |      error | within |",
             "|----------------------------------|-----------:|-----------:|-----------:|--------|"]
    return head + "\n".join(lines + [fmt_row(r) for r in rows]) + "\n"


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
            mtime = os.path.getmtime(os.path.join(a.out, n, "summary.json"))
            report["real_runs_utc"] = max(report.get("real_runs_utc", ""), datetime.datetime.fromtimestamp(
                mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
            rows = compare_one(n, p, real, sim, os.path.join(a.out, n))
            if p.get("random_placement") or p.get("neutral_split"):  # informative only (experiments.json "about")
                for r in rows:
                    r["gated"] = False
            report["experiments"][n] = {"parameters": p, "scenario": scenario_for(n, p, one_way[p["mode"]]), "rows": rows}
            t = table(n, p, rows)
            text.append(t)
            print(t, flush=True)
            if any(r["gated"] and not r["ok"] for r in rows):
                failed.append(n)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)
    if a.results_md:
        with open(a.results_md, "w") as f:
            f.write("# Real testbed vs kubemind\n\n")
            f.write("Latest run of `validation/compare.py` (real runs finished %s) on %s; load average %.1f at\n"
                    "the start (the machine is shared); simulator: %s.\n"
                    % (report["real_runs_utc"], report["machine"], report["load_average_at_start"][0], report["kubemind"]))
            f.write("Shares: pods ranked by share in each run. Errors: simulated minus real (points for shares,\n"
                    "relative for the rest). `within`: acceptance of issue 8 (shares 5 points, p50 and p99 15%);\n"
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
