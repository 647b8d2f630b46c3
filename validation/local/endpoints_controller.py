#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The scale-out half of the real testbed (issue 8): what `kubectl scale`, the kubelet's readiness
probe, the EndpointSlice controller and kube-proxy (or an L7 proxy's endpoint discovery) do when a
Deployment goes from 1 to N pods, run by local/run.sh inside the experiment's network namespace.

Timeline (t = 0 is the load generator's start, read from --start-file as CLOCK_MONOTONIC seconds):
- at --at-s: start the new backends (`kmval_backend ... --weight-load-s W`: /ready answers 503 until
  the emulated weight load is over), all at once (scheduling latency 0, no image pull);
- readiness probe, as the kubelet's prober: HTTP GET /ready (timeout 1 s, the API's timeoutSeconds
  default; 200-399 = success) at --at-s + k x --period-s, k = 1, 2, ... (the scale-out instant is
  every new pod's admission: kubemind's model probes at admission + k x periodSeconds,
  sim/cluster/cluster.cc Cluster::app_up); initialDelaySeconds 0, successThreshold 1: the first
  success makes the pod Ready. Pods Ready at the same tick are published together.
- --publish-delay-ms after Ready (the EndpointSlice change reaching its watchers: kubemind's
  cluster.endpoint_publish_delay_ms), the pod is published to the data plane:
  l4: kube-proxy's iptables-mode rules for the ClusterIP are rewritten with every published endpoint
      (kube_proxy_rules.py fed to `iptables-restore --noflush`, as kube-proxy does: the KUBE-SVC /
      KUBE-SEP chains declared in the input are flushed and refilled in one commit). Conntrack keeps
      every existing connection on the endpoint its first packet chose, so the load's one long-lived
      HTTP/2 connection stays on the first pod (the loophole);
  l7: HAProxy's runtime API over its stats socket (level admin), the "server slots" way of the
      Kubernetes ingress controllers built on HAProxy: haproxy.cfg declares one server per future pod,
      `disabled` (maintenance) at a placeholder address (127.0.0.1:1); publishing a pod is
      `set server BACKEND/NAME addr 127.0.0.1 port P` then `set server BACKEND/NAME state ready`
      (HAProxy 2.6 management.txt, section 9.3: "state ready ... is the equivalent of the enable
      server command"). Not `add server` (dynamic servers, also in 2.6): measured here with 2.6.12,
      HAProxy reused no connection to a dynamic server (show stat: connect = requests, reuse 0, even
      with pool-max-conn -1), so every request paid a new TCP + HTTP/2 connection to the new pods
      (throughput after the scale-out 10-15% below l7-static), which no Envoy-like proxy does.
  Pods published at the same instant share one rules write.
Writes --record (JSON): per new pod, launched_s, ready_s (the probe that succeeded), probes,
published_s (when the rules write / runtime command returned: from then on the data plane can use
the pod), all relative to t = 0.
Usage: endpoints_controller.py --mode l4|l7 --start-file F --at-s S --period-s P --publish-delay-ms D
         --record OUT.json --first N --count K --base-port 50051 --metrics-base 9100 --log-dir DIR
         [--cluster-ip IP] [--haproxy-socket PATH] -- BACKEND_COMMAND...
  BACKEND_COMMAND gets --pod inference-I --port PORT --metrics-port MPORT --weight-load-s W appended
  (W from --weight-load-s).
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kube_proxy_rules  # noqa: E402

PROBE_TIMEOUT_S = 1.0  # readinessProbe timeoutSeconds default


def sleep_until(t):
    while True:
        d = t - time.monotonic()
        if d <= 0:
            return
        time.sleep(min(d, 0.5))


def probe(port):
    """One kubelet HTTP probe: GET /ready, success if 200 <= status < 400."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT_S)
        c.request("GET", "/ready")
        ok = 200 <= c.getresponse().status < 400
        c.close()
        return ok
    except OSError:
        return False


def haproxy_command(sock_path, cmd):
    """One runtime API command over the stats socket (non-interactive: one command per connection)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path)
    s.sendall((cmd + "\n").encode())
    out = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        out += b
    s.close()
    return out.decode().strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("l4", "l7"), required=True)
    ap.add_argument("--start-file", required=True)
    ap.add_argument("--at-s", type=float, required=True)
    ap.add_argument("--period-s", type=float, required=True)
    ap.add_argument("--publish-delay-ms", type=float, required=True)
    ap.add_argument("--weight-load-s", type=float, required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--first", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--base-port", type=int, default=50051)
    ap.add_argument("--metrics-base", type=int, default=9100)
    ap.add_argument("--log-dir", required=True)
    ap.add_argument("--cluster-ip", default="10.96.0.10")
    ap.add_argument("--service-port", type=int, default=80)
    ap.add_argument("--haproxy-socket")
    ap.add_argument("--haproxy-backend", default="inference")
    ap.add_argument("--wait-start-s", type=float, default=60.0)
    ap.add_argument("--give-up-s", type=float, default=60.0, help="after --at-s, if a pod is still not published")
    ap.add_argument("backend", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.backend[1:] if a.backend[:1] == ["--"] else a.backend
    if not cmd:
        sys.exit("endpoints_controller.py: no backend command after --")
    if a.mode == "l7" and not a.haproxy_socket:
        sys.exit("endpoints_controller.py: l7 needs --haproxy-socket")

    deadline = time.monotonic() + a.wait_start_s
    while not os.path.exists(a.start_file):
        if time.monotonic() > deadline:
            sys.exit("endpoints_controller.py: %s never appeared" % a.start_file)
        time.sleep(0.002)
    with open(a.start_file) as f:
        t0 = float(f.read())

    def rel(t):
        return round(t - t0, 6)

    published = ["127.0.0.1:%d" % (a.base_port + i) for i in range(a.first)]  # the pods running at t = 0
    pods = []
    admitted = t0 + a.at_s
    sleep_until(admitted)
    for i in range(a.first, a.first + a.count):
        log = open(os.path.join(a.log_dir, "backend-%d.log" % i), "w")
        launched = time.monotonic()
        subprocess.Popen(cmd + ["--pod", "inference-%d" % i, "--port", str(a.base_port + i),
                                "--metrics-port", str(a.metrics_base + i), "--weight-load-s", str(a.weight_load_s)],
                         stdout=log, stderr=subprocess.STDOUT)
        pods.append({"name": "inference-%d" % i, "index": i, "launched": launched, "probes": 0,
                     "ready": None, "published": None})

    # Event loop over the probe ticks and the publications, in time order.
    while any(p["published"] is None for p in pods):
        due = []
        for p in pods:
            if p["ready"] is None:
                due.append((admitted + (p["probes"] + 1) * a.period_s, "probe", p))
            elif p["published"] is None:
                due.append((p["ready"] + a.publish_delay_ms / 1000.0, "publish", p))
        t, kind, _ = min(due, key=lambda e: e[0])
        if t > t0 + a.at_s + a.give_up_s:
            sys.exit("endpoints_controller.py: %s not published %.0f s after the scale-out" % (
                ", ".join(p["name"] for p in pods if p["published"] is None), a.give_up_s))
        sleep_until(t)
        if kind == "probe":
            for tt, k, p in due:
                if k == "probe" and tt <= t + 1e-4:
                    p["probes"] += 1
                    if probe(a.metrics_base + p["index"]):
                        p["ready"] = tt
            continue
        batch = [p for tt, k, p in due if k == "publish" and tt <= t + 1e-4]
        if a.mode == "l4":
            published += ["127.0.0.1:%d" % (a.base_port + p["index"]) for p in batch]
            rules = kube_proxy_rules.rules(a.cluster_ip, a.service_port, published)
            subprocess.run(["iptables-restore", "--noflush"], input=rules, text=True, check=True)
        else:
            for p in batch:
                srv = "%s/%s" % (a.haproxy_backend, p["name"])
                # replies: "IP changed from ..." / "no need to change the addr, port changed from '1' to ..."; then ""
                for c, want in (("set server %s addr 127.0.0.1 port %d" % (srv, a.base_port + p["index"]), "changed"),
                                ("set server %s state ready" % srv, "")):
                    reply = haproxy_command(a.haproxy_socket, c)
                    if not (want in reply if want else reply == ""):
                        sys.exit("endpoints_controller.py: HAProxy refused '%s': %s" % (c, reply))
        done = time.monotonic()
        for p in batch:
            p["published"] = done

    record = {"at_s": a.at_s, "period_s": a.period_s, "publish_delay_ms": a.publish_delay_ms,
              "weight_load_s": a.weight_load_s, "mode": a.mode,
              "pods": [{"name": p["name"], "launched_s": rel(p["launched"]), "probes": p["probes"],
                        "ready_s": rel(p["ready"]), "published_s": rel(p["published"])} for p in pods]}
    with open(a.record, "w") as f:
        json.dump(record, f, indent=2)
    print("endpoints_controller.py: " + ", ".join("%s Ready %.3f s, published %.3f s" % (
        p["name"], rel(p["ready"]), rel(p["published"])) for p in pods), file=sys.stderr)


if __name__ == "__main__":
    main()
