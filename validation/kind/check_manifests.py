#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Parses validation/kind/ (manifests, kind config) and checks the fields the experiments rely on,
against validation/experiments.json where both say the same thing. Runs without a cluster (Debian's
python3 + python3-yaml); validation/test.sh runs it. Exit 1 with the list of problems."""
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


def docs(name):
    with open(os.path.join(HERE, "manifests", name)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(ds, kind, name):
    for d in ds:
        if d.get("kind") == kind and d.get("metadata", {}).get("name") == name:
            return d
    problems.append("%s/%s missing" % (kind, name))
    return {}


def arg(args, flag):
    return args[args.index(flag) + 1] if flag in args else None


def main():
    with open(os.path.join(HERE, "..", "experiments.json")) as f:
        exps = json.load(f)
    dflt = exps["defaults"]
    with open(os.path.join(HERE, "kind-config.yaml")) as f:
        kc = yaml.safe_load(f)
    check(kc.get("kind") == "Cluster" and kc.get("apiVersion") == "kind.x-k8s.io/v1alpha4", "kind-config: kind Cluster v1alpha4")
    check(kc.get("networking", {}).get("kubeProxyMode") == "iptables", "kind-config: kube-proxy in iptables mode")

    common = docs("common.yaml")
    dep = find(common, "Deployment", "inference")
    check(dep.get("spec", {}).get("replicas") == dflt["backends"], "Deployment replicas = experiments backends")
    pod = dep.get("spec", {}).get("template", {})
    check(pod.get("metadata", {}).get("labels", {}).get("app") == "inference", "pod label app=inference")
    c = (pod.get("spec", {}).get("containers") or [{}])[0]
    a = c.get("args", [])
    check(arg(a, "--model") == "/models/%s.json" % dflt["model"], "backend --model = experiments model")
    check(arg(a, "--max-batch") == str(dflt["max_batch"]), "backend --max-batch")
    check(arg(a, "--preferred") == ",".join(map(str, dflt["preferred"])), "backend --preferred")
    check(arg(a, "--max-queue-delay-us") == str(dflt["max_queue_delay_us"]), "backend --max-queue-delay-us")
    check(arg(a, "--cpu-ms") == str(dflt["cpu_ms"]), "backend --cpu-ms")
    check(arg(a, "--pod") == "$(POD_NAME)", "backend --pod from the downward API")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    check(ports.get("grpc") == int(arg(a, "--port") or 0) and ports.get("metrics") == int(arg(a, "--metrics-port") or 0),
          "container ports match --port / --metrics-port")
    rp = c.get("readinessProbe", {}).get("httpGet", {})
    check(rp.get("path") == "/ready" and rp.get("port") == "metrics", "readinessProbe httpGet /ready on metrics")

    def job_ok(ds, name, exp, target_host):
        job = find(ds, "Job", "loadgen-" + exp)
        ja = ((job.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or [{}])[0]).get("args", [])
        p = dict(dflt)
        p.update(exps["experiments"][exp])
        for flag, key in (("--channels", "channels"), ("--streams", "streams"), ("--duration-s", "duration_s"),
                          ("--warmup-s", "warmup_s"), ("--seed", "seed")):
            check(arg(ja, flag) == str(p[key]), "%s: Job %s = experiments %s" % (name, flag, key))
        check((arg(ja, "--target") or "").startswith(target_host), "%s: Job target %s" % (name, target_host))
        check(arg(ja, "--summary") == "/dev/stdout", "%s: summary on stdout (kind/run.sh reads the Job's log)" % name)

    loop = docs("loophole.yaml")
    svc = find(loop, "Service", "inference")
    spec = svc.get("spec", {})
    check(spec.get("type", "ClusterIP") == "ClusterIP" and spec.get("clusterIP") != "None", "loophole: a ClusterIP Service")
    check(spec.get("selector") == {"app": "inference"}, "loophole: Service selects app=inference")
    check(spec.get("ports", [{}])[0].get("targetPort") == "grpc", "loophole: Service targets the grpc port")
    hpa = find(loop, "HorizontalPodAutoscaler", "inference")
    hs = hpa.get("spec", {})
    check(hpa.get("apiVersion") == "autoscaling/v2", "loophole: HPA autoscaling/v2")
    check(hs.get("scaleTargetRef", {}).get("name") == "inference", "loophole: HPA scales the Deployment")
    check(hs.get("minReplicas") == dflt["backends"], "loophole: HPA min = the experiment's backends")
    m = (hs.get("metrics") or [{}])[0].get("resource", {})
    check(m.get("name") == "cpu" and m.get("target", {}).get("averageUtilization") == 60, "loophole: HPA on CPU 60%")
    job_ok(loop, "loophole", "loophole-l4", "inference.kmval.svc")

    fix = docs("fix.yaml")
    hl = find(fix, "Service", "inference-headless")
    check(hl.get("spec", {}).get("clusterIP") == "None", "fix: headless Service (clusterIP None)")
    cm = find(fix, "ConfigMap", "envoy")
    envoy = yaml.safe_load(cm.get("data", {}).get("envoy.yaml", "{}"))
    cl = (envoy.get("static_resources", {}).get("clusters") or [{}])[0]
    check(cl.get("lb_policy") == "LEAST_REQUEST", "fix: Envoy cluster LEAST_REQUEST")
    check(cl.get("type") == "STRICT_DNS", "fix: Envoy resolves every pod IP (STRICT_DNS)")
    h2 = cl.get("typed_extension_protocol_options", {}).get("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", {})
    check("http2_protocol_options" in h2.get("explicit_http_config", {}), "fix: Envoy speaks HTTP/2 upstream")
    sa = cl.get("load_assignment", {}).get("endpoints", [{}])[0].get("lb_endpoints", [{}])[0]
    addr = sa.get("endpoint", {}).get("address", {}).get("socket_address", {}).get("address", "")
    check(addr.startswith("inference-headless."), "fix: Envoy upstream is the headless Service")
    so = find(fix, "ScaledObject", "inference")
    check(so.get("apiVersion") == "keda.sh/v1alpha1", "fix: ScaledObject keda.sh/v1alpha1")
    ss = so.get("spec", {})
    check(ss.get("scaleTargetRef", {}).get("name") == "inference", "fix: ScaledObject scales the Deployment")
    check(ss.get("minReplicaCount") == dflt["backends"], "fix: ScaledObject min = the experiment's backends")
    t = (ss.get("triggers") or [{}])[0]
    check(t.get("type") == "prometheus" and "queue_depth" in t.get("metadata", {}).get("query", ""),
          "fix: prometheus trigger on queue_depth")
    job_ok(fix, "fix", "l7-static", "envoy.kmval.svc")

    if problems:
        print("check_manifests.py: %d problem(s):\n  " % len(problems) + "\n  ".join(problems))
        return 1
    print("check_manifests.py: kind/ manifests parse and carry the experiments' fields")
    return 0


if __name__ == "__main__":
    sys.exit(main())
