#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes tests/control/vectors/{hpa,keda,kpa}.json: the test tables of Kubernetes'
# replica_calculator_test.go / horizontal_test.go, KEDA's executor and fallback tests and Knative's
# autoscaler_test.go (as transcribed in tests/control/*_test.cpp, each row naming its Go test),
# turned into hpa-eval / keda-eval / kpa-eval input documents with their expected outputs.
# Run: python3 tests/control/vectors/generate_vectors.py (rewrites the three files).
import json, math, os

OUT = os.path.dirname(os.path.abspath(__file__))
os.makedirs(OUT, exist_ok=True)

RC_SRC = 'kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go'
HC_SRC = 'kubernetes/kubernetes pkg/controller/podautoscaler/horizontal_test.go'

NOW = 1e6
HOT = NOW
COOL = NOW - 180
T, F = 'True', 'False'

TEST_CONTROLLER = {"tolerance": 0.1, "cpuInitializationPeriod": "2m", "initialReadinessDelay": "10s",
                   "downscaleStabilization": "5m", "scaleUpLimitFactor": 8}

def q(milli):
    return f"{milli}m"

def cpu_metric(target):
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}
def pods_metric(avg):
    return {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": q(avg)}}}
def object_metric(v):
    return {"type": "Object", "object": {"describedObject": {"kind": "Deployment", "name": "some-deployment"},
            "metric": {"name": "qps"}, "target": {"type": "Value", "value": q(v)}}}
def object_average_metric(v):
    return {"type": "Object", "object": {"describedObject": {"kind": "Deployment", "name": "some-deployment"},
            "metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": q(v)}}}
def external_metric(v):
    return {"type": "External", "external": {"metric": {"name": "qps"}, "target": {"type": "Value", "value": q(v)}}}
def external_average_metric(v):
    return {"type": "External", "external": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": q(v)}}}

hpa_vectors = []

# ------------------------------------------------------------------ replica_calculator_test.go
def rc_pods(tc):
    cur = tc.get('current', 0)
    phases = tc.get('phase', [])
    n = max(cur, len(phases))
    pods = []
    for i in range(n):
        p = {"name": f"test-pod-{i}", "phase": phases[i] if phases else "Running",
             "startTime": tc['start'][i] if tc.get('start') else 0,
             "ready": {"status": tc['ready'][i] if i < len(tc.get('ready', [])) else T, "lastTransitionTime": 0}}
        if tc.get('deletion') and tc['deletion'][i]:
            p["deletionTimestamp"] = NOW
        reqs = tc.get('requests', [])
        if i < len(reqs):
            p["requests"] = {"cpu": q(2 * reqs[i])}  # two containers
        pods.append(p)
    return pods

def rc(name, tc, kind, levels, target, expect):
    cur = tc.get('current', 0)
    pods = rc_pods(tc)
    names = tc.get('names', [])
    if kind == 'resource':
        metric = cpu_metric(target)
        obs = {"pods": [{"pod": names[i] if i < len(names) else f"test-pod-{i}", "value": q(2 * lv),
                         "timestamp": 0, "window": 60} for i, lv in enumerate(levels)]}
    elif kind == 'pods':
        metric = pods_metric(target)
        obs = {"pods": [{"pod": f"test-pod-{i}", "value": q(lv), "timestamp": 0} for i, lv in enumerate(levels)]}
    elif kind == 'object':
        metric = object_metric(target)
        obs = {"values": [q(levels[0])], "timestamp": 0}
    elif kind == 'object_per_pod':
        metric = object_average_metric(target)
        obs = {"values": [q(levels[0])], "timestamp": 0}
        pods = []
    elif kind == 'external':
        metric = external_metric(target)
        obs = {"values": [q(v) for v in levels], "timestamp": 0}
    elif kind == 'external_per_pod':
        metric = external_average_metric(target)
        obs = {"values": [q(v) for v in levels], "timestamp": 0}
        pods = []
    doc = {"hpa": {"spec": {"minReplicas": 1, "maxReplicas": 1000, "metrics": [metric]}},
           "scale": {"spec": {"replicas": cur}, "status": {"replicas": cur}},
           "pods": pods, "metrics": [obs], "history": {"recommendations": []},
           "controller": TEST_CONTROLLER, "now": NOW}
    hpa_vectors.append({"name": name, "source": RC_SRC + ": " + name.split(' ')[0], "input": doc, "expect": expect})

def exp_res(replicas, util, raw):
    return {"proposals": [{"valid": True, "replicas": replicas, "utilization": util, "valueMilli": raw}]}
def exp_use(replicas, usage):
    return {"proposals": [{"valid": True, "replicas": replicas, "valueMilli": usage}]}
def exp_err(text):
    return {"metricDesiredReplicas": -1, "proposals": [{"valid": False, "error": {"$contains": text}}]}

K = 2
rc("TestReplicaCalcDisjointResourcesMetrics", {'current': 1, 'requests': [1000], 'names': ["an-older-pod-name"]},
   'resource', [100], 100, exp_err("no metrics returned matched known pods"))
rc("TestReplicaCalcScaleUp", {'current': 3, 'requests': [1000] * 3}, 'resource', [300, 500, 700], 30, exp_res(5, 50, K * 500))
rc("TestReplicaCalcScaleUpUnreadyLessScale", {'current': 3, 'ready': [F, T, T], 'requests': [1000] * 3},
   'resource', [300, 500, 700], 30, exp_res(4, 60, K * 600))
rc("TestReplicaCalcScaleUpHotCpuLessScale", {'current': 3, 'start': [HOT, COOL, COOL], 'requests': [1000] * 3},
   'resource', [300, 500, 700], 30, exp_res(4, 60, K * 600))
rc("TestReplicaCalcScaleUpUnreadyNoScale", {'current': 3, 'ready': [T, F, F], 'requests': [1000] * 3},
   'resource', [400, 500, 700], 30, exp_res(3, 40, K * 400))
rc("TestReplicaCalcScaleHotCpuNoScale", {'current': 3, 'ready': [T, F, F], 'start': [COOL, HOT, HOT], 'requests': [1000] * 3},
   'resource', [400, 500, 700], 30, exp_res(3, 40, K * 400))
rc("TestReplicaCalcScaleUpIgnoresFailedPods", {'current': 2, 'ready': [T, T, F, F], 'phase': ["Running", "Running", "Failed", "Failed"],
   'requests': [1000] * 4}, 'resource', [500, 700], 30, exp_res(4, 60, K * 600))
rc("TestReplicaCalcScaleUpIgnoresDeletionPods", {'current': 2, 'ready': [T, T, F, F], 'phase': ["Running"] * 4,
   'deletion': [False, False, True, True], 'requests': [1000] * 4}, 'resource', [500, 700], 30, exp_res(4, 60, K * 600))
rc("TestReplicaCalcScaleDown", {'current': 5, 'requests': [1000] * 5}, 'resource', [100, 300, 500, 250, 250], 50, exp_res(3, 28, K * 280))
rc("TestReplicaCalcScaleDownExcludeUnreadyPods", {'current': 5, 'ready': [T, T, T, F, F], 'requests': [1000] * 5},
   'resource', [100, 300, 500, 250, 250], 50, exp_res(2, 30, K * 300))
rc("TestReplicaCalcScaleDownExcludeUnscheduledPods", {'current': 5, 'ready': [T, F, F, F, F],
   'phase': ["Running", "Pending", "Pending", "Pending", "Pending"], 'requests': [1000] * 5}, 'resource', [100], 50, exp_res(1, 10, K * 100))
rc("TestReplicaCalcScaleDownIgnoreHotCpuPods", {'current': 5, 'start': [COOL, COOL, COOL, HOT, HOT], 'requests': [1000] * 5},
   'resource', [100, 300, 500, 250, 250], 50, exp_res(2, 30, K * 300))
rc("TestReplicaCalcScaleDownIgnoresFailedPods", {'current': 5, 'ready': [T] * 5 + [F, F], 'phase': ["Running"] * 5 + ["Failed"] * 2,
   'requests': [1000] * 7}, 'resource', [100, 300, 500, 250, 250], 50, exp_res(3, 28, K * 280))
rc("TestReplicaCalcScaleDownIgnoresDeletionPods", {'current': 5, 'ready': [T] * 5 + [F, F], 'phase': ["Running"] * 7,
   'deletion': [False] * 5 + [True] * 2, 'requests': [1000] * 7}, 'resource', [100, 300, 500, 250, 250], 50, exp_res(3, 28, K * 280))
rc("TestReplicaCalcTolerance", {'current': 3, 'requests': [900, 1000, 1100]}, 'resource', [1010, 1030, 1020], 100, exp_res(3, 102, K * 1020))
rc("TestReplicaCalcSuperfluousMetrics", {'current': 4, 'requests': [1000] * 4}, 'resource', [4000, 9500, 3000, 7000, 3200, 2000], 100,
   exp_res(24, 587, K * 5875))
rc("TestReplicaCalcMissingMetrics", {'current': 4, 'requests': [1000] * 4}, 'resource', [400, 95], 100, exp_res(3, 24, 495))
rc("TestReplicaCalcEmptyMetrics", {'current': 4, 'requests': [1000] * 3}, 'resource', [], 100,
   exp_err("unable to get metrics for resource cpu: no metrics returned from resource metrics API"))
rc("TestReplicaCalcEmptyCPURequest", {'current': 1, 'requests': []}, 'resource', [200], 100, exp_err("missing request for"))
rc("TestReplicaCalcMissingMetricsNoChangeEq", {'current': 2, 'requests': [1000] * 2}, 'resource', [1000], 100, exp_res(2, 100, K * 1000))
rc("TestReplicaCalcMissingMetricsNoChangeGt", {'current': 2, 'requests': [1000] * 2}, 'resource', [1900], 100, exp_res(2, 190, K * 1900))
rc("TestReplicaCalcMissingMetricsNoChangeLt", {'current': 2, 'requests': [1000] * 2}, 'resource', [600], 100, exp_res(2, 60, K * 600))
rc("TestReplicaCalcMissingMetricsUnreadyChange", {'current': 3, 'ready': [F, T, T], 'requests': [1000] * 3}, 'resource', [100, 450], 50,
   exp_res(3, 45, K * 450))
rc("TestReplicaCalcMissingMetricsHotCpuNoChange", {'current': 3, 'start': [HOT, COOL, COOL], 'requests': [1000] * 3}, 'resource',
   [100, 450], 50, exp_res(3, 45, K * 450))
rc("TestReplicaCalcMissingMetricsUnreadyScaleUp", {'current': 3, 'ready': [F, T, T], 'requests': [1000] * 3}, 'resource', [100, 2000], 50,
   exp_res(4, 200, K * 2000))
rc("TestReplicaCalcMissingMetricsHotCpuScaleUp", {'current': 3, 'ready': [F, T, T], 'start': [HOT, COOL, COOL], 'requests': [1000] * 3},
   'resource', [100, 2000], 50, exp_res(4, 200, K * 2000))
rc("TestReplicaCalcMissingMetricsUnreadyScaleDown", {'current': 4, 'ready': [F, T, T, T], 'requests': [1000] * 4}, 'resource',
   [100, 100, 100], 50, exp_res(3, 10, K * 100))
rc("TestReplicaCalcMissingMetricsScaleDownTargetOver100", {'current': 4, 'ready': [F, T, T, T], 'requests': [1000, 1000, 2000, 2000]},
   'resource', [200, 100, 100], 300, exp_res(2, 6, K * 100))
rc("TestReplicaCalcDuringRollingUpdateWithMaxSurge", {'current': 2, 'phase': ["Running"] * 3, 'requests': [1000] * 3}, 'resource',
   [100, 100], 50, exp_res(2, 10, K * 100))
# TestReplicaCalcComputedToleranceAlgImplementation: the Go test's arithmetic.
start_pods = 10
total_used = start_pods * 150
total_requested = 2 * total_used
requested_to_used = float(total_requested // total_used)
per_pod = total_requested // start_pods
target = abs(1 / (requested_to_used * (1 - 0.1))) + .01
final_target = int(target * 100)
final_pods = math.ceil(total_used / (total_requested * target) * start_pods)
assert (final_target, final_pods) == (56, 9)
r = per_pod
tol_tc = {'current': start_pods, 'requests': [r + 100, r - 100, r + 10, r - 10, r + 2, r - 2, r + 1, r - 1, r, r]}
exp_util = (total_used * 100) // total_requested
rc("TestReplicaCalcComputedToleranceAlgImplementation (just outside the tolerance)", tol_tc, 'resource', [total_used // 10] * 10,
   final_target, exp_res(final_pods, exp_util, K * total_used // 10))
target2 = int((abs(1 / (requested_to_used * (1 - 0.1))) + .004) * 100)
rc("TestReplicaCalcComputedToleranceAlgImplementation (just inside the tolerance)", tol_tc, 'resource', [total_used // 10] * 10,
   target2, exp_res(start_pods, exp_util, K * total_used // 10))
# Pods metrics
rc("TestReplicaCalcScaleUpCM", {'current': 3}, 'pods', [20000, 10000, 30000], 15000, exp_use(4, 20000))
rc("TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale", {'current': 3, 'ready': [T, T, F], 'start': [COOL, COOL, HOT]}, 'pods',
   [50000, 10000, 30000], 15000, exp_use(6, 30000))
rc("TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown", {'current': 3, 'ready': [F, T, F], 'start': [HOT, COOL, HOT]}, 'pods',
   [50000, 15000, 30000], 15000, exp_use(7, 31666))
rc("TestReplicaCalcScaleUpCMExternal (a Pods metric in the Go test)", {'current': 1}, 'pods', [8600], 4400, exp_use(2, 8600))
rc("TestReplicaCalcScaleDownCM", {'current': 5}, 'pods', [12000] * 5, 20000, exp_use(3, 12000))
rc("TestReplicaCalcToleranceCM", {'current': 3}, 'pods', [20000, 21000, 21000], 20000, exp_use(3, 20666))
rc("TestPlainMetricReplicaCalcMissingMetricsNoChangeEq", {'current': 5}, 'pods', [20000, 19000, 21000], 20000, exp_use(5, 20000))
rc("TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM", {'current': 2, 'phase': ["Running"] * 3}, 'pods', [10000, 10000], 17000,
   exp_use(2, 10000))
# Object and External
rc("TestReplicaCalcScaleUpCMObject", {'current': 3}, 'object', [20000], 15000, exp_use(4, 20000))
rc("TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods", {'current': 3, 'ready': [F, T, F]}, 'object', [50000], 10000, exp_use(5, 50000))
rc("TestReplicaCalcScaleDownCMObject", {'current': 5}, 'object', [12000], 20000, exp_use(3, 12000))
rc("TestReplicaCalcToleranceCMObject", {'current': 3}, 'object', [20666], 20000, exp_use(3, 20666))
rc("TestReplicaCalcScaleUpCMPerPodObject", {'current': 3}, 'object_per_pod', [20000], 5000, exp_use(4, 6667))
rc("TestReplicaCalcScaleDownPerPodCMObject", {'current': 5}, 'object_per_pod', [6000], 2000, exp_use(3, 1200))
rc("TestReplicaCalcTolerancePerPodCMObject", {'current': 4}, 'object_per_pod', [20166], 5000, exp_use(4, 5042))
rc("TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods", {'current': 3, 'ready': [F, T, F]}, 'external', [8600], 4400, exp_use(2, 8600))
rc("TestReplicaCalcScaleDownCMExternal", {'current': 5}, 'external', [8600], 14334, exp_use(3, 8600))
rc("TestReplicaCalcToleranceCMExternal", {'current': 3}, 'external', [8600], 8888, exp_use(3, 8600))
rc("TestReplicaCalcScaleUpPerPodCMExternal", {'current': 3}, 'external_per_pod', [8600], 2150, exp_use(4, 2867))
rc("TestReplicaCalcScaleDownPerPodCMExternal", {'current': 5}, 'external_per_pod', [8600], 2867, exp_use(3, 1720))
rc("TestReplicaCalcTolerancePerPodCMExternal", {'current': 3}, 'external_per_pod', [8600], 2900, exp_use(3, 2867))

# ------------------------------------------------------------------ horizontal_test.go: full reconciles
def hc_doc(tc):
    metrics = []
    if tc.get('cpu', 0) > 0:
        metrics.append(cpu_metric(tc['cpu']))
    metrics += tc.get('metrics', [])
    spec = {"minReplicas": tc['min'], "maxReplicas": tc['max']}
    if metrics:
        spec["metrics"] = metrics
    else:
        metrics = [cpu_metric(80)]  # API default, added by the reader
    if 'up' in tc or 'down' in tc:
        spec["behavior"] = {}
        if 'up' in tc:
            spec["behavior"]["scaleUp"] = tc['up']
        if 'down' in tc:
            spec["behavior"]["scaleDown"] = tc['down']
    reqs = tc.get('requests')
    n = len(reqs) if reqs is not None else tc['status']
    pods = []
    for i in range(n):
        start = tc['start'][i] if tc.get('start') else 0
        p = {"name": f"test-pod-{i}", "phase": tc['phase'][i] if tc.get('phase') else "Running", "startTime": start,
             "ready": {"status": tc['ready'][i] if tc.get('ready') else T, "lastTransitionTime": start}}
        if tc.get('deletion') and tc['deletion'][i]:
            p["deletionTimestamp"] = NOW
        req = reqs[i] if reqs is not None else 1000
        p["requests"] = {"cpu": q(2 * (req // 2))}
        pods.append(p)
    levels = tc.get('levels', [])
    obs = []
    for k, m in enumerate(metrics):
        o = {}
        if k in tc.get('failing', []):
            o["available"] = False
        if m["type"] == "Resource":
            o["pods"] = [{"pod": f"test-pod-{i}", "value": q(2 * (lv // 2)), "timestamp": NOW, "window": 60}
                         for i, lv in enumerate(levels)]
        elif m["type"] == "Pods":
            o["pods"] = [{"pod": f"test-pod-{i}", "value": q(lv), "timestamp": NOW} for i, lv in enumerate(levels)]
        elif m["type"] == "Object":
            o["values"] = [q(levels[0])] if levels else []
        else:
            o["values"] = [q(v) for v in levels]
        o["timestamp"] = NOW
        obs.append(o)
    doc = {"hpa": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "spec": spec},
           "scale": {"spec": {"replicas": tc['spec']}, "status": {"replicas": tc['status']}},
           "pods": pods, "metrics": obs, "controller": TEST_CONTROLLER, "now": NOW}
    if 'recs' in tc:
        doc["history"] = {"recommendations": tc['recs']}
    return doc

def hc(name, tc, expect, src=HC_SRC):
    hpa_vectors.append({"name": name, "source": src + ": " + name.split(' ')[0], "input": hc_doc(tc), "expect": expect})

def conds(*cs):
    return [{"type": t, "status": s, "reason": r} for (t, s, r) in cs]
def status_ok(able="SucceededRescale", limited=False, limit_reason="DesiredWithinRange"):
    return conds(("AbleToScale", T, able), ("ScalingActive", T, "ValidMetricFound"),
                 ("ScalingLimited", T if limited else F, limit_reason))

base = {'min': 2, 'max': 6, 'spec': 3, 'status': 3}
def B(**kw):
    d = dict(base)
    d.update(kw)
    return d
R3 = [1000] * 3
R5 = [1000] * 5
CPU_UTIL = "cpu resource utilization (percentage of request)"
hc("TestScaleUp", B(cpu=30, levels=[300, 500, 700], requests=R3),
   {"desiredReplicas": 5, "rescale": True, "proposals": [{"utilization": 50}], "rescaleReason": CPU_UTIL + " above target",
    "conditions": status_ok()})
hc("TestScaleUpUnreadyLessScale", B(cpu=30, levels=[300, 500, 700], requests=R3, ready=[F, T, T]),
   {"desiredReplicas": 4, "proposals": [{"utilization": 60}]})
hc("TestScaleUpHotCpuLessScale", B(cpu=30, levels=[300, 500, 700], requests=R3, start=[HOT, COOL, COOL]),
   {"desiredReplicas": 4, "proposals": [{"utilization": 60}]})
hc("TestScaleUpUnreadyNoScale", B(cpu=30, levels=[400, 500, 700], requests=R3, ready=[T, F, F]),
   {"desiredReplicas": 3, "rescale": False, "proposals": [{"utilization": 40}], "conditions": status_ok("ReadyForNewScale")})
hc("TestScaleUpHotCpuNoScale", B(cpu=30, levels=[400, 500, 700], requests=R3, ready=[T, F, F], start=[COOL, HOT, HOT]),
   {"desiredReplicas": 3, "proposals": [{"utilization": 40}], "conditions": status_ok("ReadyForNewScale")})
hc("TestScaleUpIgnoresFailedPods", B(spec=2, status=2, cpu=30, levels=[500, 700], requests=[1000] * 4, ready=[T, T, F, F],
   phase=["Running", "Running", "Failed", "Failed"]), {"desiredReplicas": 4, "proposals": [{"utilization": 60}]})
hc("TestScaleUpIgnoresDeletionPods", B(spec=2, status=2, cpu=30, levels=[500, 700], requests=[1000] * 4, ready=[T, T, F, F],
   phase=["Running"] * 4, deletion=[False, False, True, True]), {"desiredReplicas": 4, "proposals": [{"utilization": 60}]})
hc("TestScaleUpCM", B(metrics=[pods_metric(15000)], levels=[20000, 10000, 30000], requests=R3),
   {"desiredReplicas": 4, "metricName": "pods metric qps"})
hc("TestScaleUpCMUnreadyAndHotCpuNoLessScale", B(metrics=[pods_metric(15000)], levels=[50000, 10000, 30000], requests=R3,
   ready=[T, T, F], start=[COOL, COOL, HOT]), {"desiredReplicas": 6})
hc("TestScaleUpCMUnreadyandCpuHot", B(metrics=[pods_metric(15000)], levels=[50000, 15000, 30000], requests=R3,
   ready=[F, T, F], start=[HOT, COOL, HOT]), {"desiredReplicas": 6, "conditions": status_ok("SucceededRescale", True, "TooManyReplicas")})
hc("TestScaleUpHotCpuNoScaleWouldScaleDown", B(metrics=[pods_metric(15000)], levels=[50000, 15000, 30000], requests=R3,
   start=[HOT, COOL, HOT]), {"desiredReplicas": 6, "conditions": status_ok("SucceededRescale", True, "TooManyReplicas")})
hc("TestScaleUpCMObject", B(metrics=[object_metric(15000)], levels=[20000]), {"desiredReplicas": 4, "metricName": "Deployment metric qps"})
hc("TestScaleUpCMExternal", B(metrics=[external_metric(6666)], levels=[8600]), {"desiredReplicas": 4})
hc("TestScaleUpPerPodCMExternal", B(metrics=[external_average_metric(2222)], levels=[8600]), {"desiredReplicas": 4})
D = dict(min=2, max=6, spec=5, status=5)
def Dn(**kw):
    d = dict(D)
    d.update(kw)
    return d
hc("TestScaleDown", Dn(cpu=50, levels=[100, 300, 500, 250, 250], requests=R5, recs=[]),
   {"desiredReplicas": 3, "proposals": [{"utilization": 28}], "rescaleReason": "All metrics below target", "conditions": status_ok()})
hc("TestScaleDownWithScalingRules", Dn(cpu=50, levels=[100, 300, 500, 250, 250], requests=R5, recs=[],
   up={"stabilizationWindowSeconds": 30, "selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}),
   {"desiredReplicas": 3, "history": {"scaleDownEvents": [{"replicaChange": 2}]}})
hc("TestScaleDownStabilizeInitialSize", Dn(cpu=50, levels=[100, 300, 500, 250, 250], requests=R5),
   {"desiredReplicas": 5, "metricDesiredReplicas": 3, "rescale": False, "conditions": status_ok("ScaleDownStabilized")})
hc("TestScaleDownCM", Dn(metrics=[pods_metric(20000)], levels=[12000] * 5, requests=R5, recs=[]), {"desiredReplicas": 3})
hc("TestScaleDownCMObject", Dn(metrics=[object_metric(20000)], levels=[12000], requests=R5, recs=[]), {"desiredReplicas": 3})
hc("TestScaleDownToZeroCMObject", Dn(min=0, metrics=[object_metric(20000)], levels=[0], requests=R5, recs=[]), {"desiredReplicas": 0})
hc("TestScaleDownPerPodCMObject", Dn(metrics=[object_average_metric(20000)], levels=[60000], requests=R5, recs=[]), {"desiredReplicas": 3})
hc("TestScaleDownCMExternal", Dn(metrics=[external_metric(14400)], levels=[8600], recs=[]), {"desiredReplicas": 3})
hc("TestScaleDownToZeroCMExternal", Dn(min=0, metrics=[external_metric(14400)], levels=[0], recs=[]), {"desiredReplicas": 0})
hc("TestScaleDownPerPodCMExternal", Dn(metrics=[external_average_metric(3000)], levels=[8600], recs=[]), {"desiredReplicas": 3})
hc("TestScaleDownIncludeUnreadyPods", Dn(cpu=50, levels=[100, 300, 500, 250, 250], requests=R5, ready=[T, T, T, F, F], recs=[]),
   {"desiredReplicas": 2, "proposals": [{"utilization": 30}]})
hc("TestScaleDownIgnoreHotCpuPods", Dn(cpu=50, levels=[100, 300, 500, 250, 250], requests=R5, start=[COOL, COOL, COOL, HOT, HOT], recs=[]),
   {"desiredReplicas": 2, "proposals": [{"utilization": 30}]})
hc("TestScaleDownIgnoresFailedPods", Dn(cpu=50, levels=[100, 300, 500, 250, 250], requests=[1000] * 7, ready=[T] * 5 + [F, F],
   phase=["Running"] * 5 + ["Failed"] * 2, recs=[]), {"desiredReplicas": 3, "proposals": [{"utilization": 28}]})
hc("TestScaleDownIgnoresDeletionPods", Dn(cpu=50, levels=[100, 300, 500, 250, 250], requests=[1000] * 7, ready=[T] * 5 + [F, F],
   phase=["Running"] * 7, deletion=[False] * 5 + [True] * 2, recs=[]), {"desiredReplicas": 3, "proposals": [{"utilization": 28}]})
hc("TestScaleUpOneMetricInvalid", B(cpu=30, metrics=[external_metric(100)], levels=[300, 400, 500], requests=R3, failing=[1]),
   {"desiredReplicas": 4, "proposals": [{"utilization": 40}, {"valid": False}], "error": {"$nonEmpty": True}})
hc("TestScaleUpOneMetricEmpty", B(cpu=30, metrics=[external_metric(100)], levels=[300, 400, 500], requests=R3, failing=[1]),
   {"desiredReplicas": 4})
hc("TestScaleUpFromZeroOneMetricInvalid", B(min=0, spec=0, status=0, cpu=30, metrics=[external_metric(100)], levels=[300, 400, 500],
   requests=R3, recs=[], failing=[1]), {"desiredReplicas": 4})
hc("TestNoScaleDownOneMetricEmpty", Dn(cpu=50, metrics=[external_metric(1000)], levels=[100, 300, 500, 250, 250], requests=R5,
   recs=[], failing=[1]), {"desiredReplicas": 5, "metricDesiredReplicas": -1,
   "conditions": conds(("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetExternalMetric"))})
hc("TestScaleUpBothMetricsEmpty", B(metrics=[external_metric(100)], requests=R3, failing=[0]),
   {"desiredReplicas": 3, "rescale": False, "conditions": [{}, {"type": "ScalingActive", "status": F}]})
hc("TestTolerance", dict(min=1, max=5, spec=3, status=3, cpu=100, levels=[1010, 1030, 1020], requests=[900, 1000, 1100]),
   {"desiredReplicas": 3, "proposals": [{"rule": "within tolerance"}], "conditions": status_ok("ReadyForNewScale")})
hc("TestToleranceCM", dict(min=1, max=5, spec=3, status=3, metrics=[pods_metric(20000)], levels=[20000, 20001, 21000],
   requests=[900, 1000, 1100]), {"desiredReplicas": 3, "conditions": status_ok("ReadyForNewScale")})
hc("TestToleranceCMObject", dict(min=1, max=5, spec=3, status=3, metrics=[object_metric(20000)], levels=[20050],
   requests=[900, 1000, 1100]), {"desiredReplicas": 3, "conditions": status_ok("ReadyForNewScale")})
hc("TestToleranceCMExternal", dict(min=2, max=6, spec=4, status=4, metrics=[external_metric(8666)], levels=[8600]),
   {"desiredReplicas": 4, "conditions": status_ok("ReadyForNewScale")})
hc("TestTolerancePerPodCMExternal", dict(min=2, max=6, spec=4, status=4, metrics=[external_average_metric(2200)], levels=[8600]),
   {"desiredReplicas": 4, "conditions": status_ok("ReadyForNewScale")})
hc("TestMinReplicas", dict(min=2, max=5, spec=3, status=3, cpu=90, levels=[10, 95, 10], requests=[900, 1000, 1100], recs=[]),
   {"desiredReplicas": 2, "conditions": status_ok("SucceededRescale", True, "TooFewReplicas")})
hc("TestMinReplicasDesiredZero", dict(min=2, max=5, spec=3, status=3, cpu=90, levels=[0, 0, 0], requests=[900, 1000, 1100], recs=[]),
   {"desiredReplicas": 2, "conditions": status_ok("SucceededRescale", True, "TooFewReplicas")})
hc("TestZeroReplicas", dict(min=3, max=5, spec=0, status=0, cpu=90, requests=[]),
   {"desiredReplicas": 0, "rescale": False,
    "conditions": conds(("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "ScalingDisabled"))})
hc("TestTooFewReplicas", dict(min=3, max=5, spec=2, status=2, cpu=90, requests=[]),
   {"desiredReplicas": 3, "conditions": conds(("AbleToScale", T, "SucceededRescale"))})
hc("TestTooManyReplicas", dict(min=3, max=5, spec=10, status=10, cpu=90, requests=[]),
   {"desiredReplicas": 5, "conditions": conds(("AbleToScale", T, "SucceededRescale"))})
hc("TestMaxReplicas", dict(min=2, max=5, spec=3, status=3, cpu=90, levels=[8000, 9500, 1000], requests=[900, 1000, 1100]),
   {"desiredReplicas": 5, "conditions": status_ok("SucceededRescale", True, "TooManyReplicas")})
hc("TestSuperfluousMetrics", dict(min=2, max=6, spec=4, status=4, cpu=100, levels=[4000, 9500, 3000, 7000, 3200, 2000],
   requests=[1000] * 4), {"desiredReplicas": 6, "conditions": status_ok("SucceededRescale", True, "TooManyReplicas")})
hc("TestMissingMetrics", dict(min=2, max=6, spec=4, status=4, cpu=100, levels=[400, 95], requests=[1000] * 4, recs=[]),
   {"desiredReplicas": 3})
hc("TestEmptyMetrics", dict(min=2, max=6, spec=4, status=4, cpu=100, levels=[], requests=[1000] * 4),
   {"desiredReplicas": 4, "conditions": conds(("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetResourceMetric"))})
hc("TestEmptyCPURequest", dict(min=1, max=5, spec=1, status=1, cpu=100, levels=[200], requests=[]),
   {"desiredReplicas": 1, "conditions": conds(("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetResourceMetric"))})
hc("TestEventCreated", dict(min=1, max=5, spec=1, status=1, cpu=50, levels=[200], requests=[200]), {"desiredReplicas": 2})
hc("TestEventNotCreated", dict(min=1, max=5, spec=2, status=2, cpu=50, levels=[200, 200], requests=[400, 400]),
   {"desiredReplicas": 2, "conditions": status_ok("ReadyForNewScale")})
hc("TestMissingReports", dict(min=1, max=5, spec=4, status=4, cpu=50, levels=[200], requests=[200], recs=[]), {"desiredReplicas": 2})
hc("TestUpscaleCap", dict(min=1, max=100, spec=3, status=3, cpu=10, levels=[100, 200, 300], requests=[100] * 3),
   {"desiredReplicas": 24, "conditions": status_ok("SucceededRescale", True, "ScaleUpLimit")})
hc("TestUpscaleCapGreaterThanMaxReplicas", dict(min=1, max=20, spec=3, status=3, cpu=10, levels=[100, 200, 300], requests=[100] * 3),
   {"desiredReplicas": 20, "conditions": status_ok("SucceededRescale", True, "TooManyReplicas")})
for reason, specs in [("FailedGetResourceMetric", []), ("FailedGetPodsMetric", [pods_metric(15000)]),
                      ("FailedGetObjectMetric", [object_metric(15000)]), ("FailedGetExternalMetric", [external_metric(300)])]:
    hc(f"TestConditionFailedGetMetrics ({reason})", dict(min=1, max=100, spec=3, status=3, cpu=0 if specs else 10, metrics=specs,
       levels=[100, 200, 300], requests=[100] * 3, failing=[0]),
       {"desiredReplicas": 3, "conditions": conds(("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, reason))})
hc("TestNoBackoffUpscaleCM", dict(min=1, max=5, spec=3, status=3, metrics=[pods_metric(15000)], levels=[20000, 10000, 30000], requests=R3),
   {"desiredReplicas": 4, "conditions": status_ok("SucceededRescale", False, "DesiredWithinRange")})
hc("TestNoBackoffUpscaleCMNoBackoffCpu", dict(min=1, max=5, spec=3, status=3, cpu=10, metrics=[pods_metric(15000)],
   levels=[20000, 10000, 30000], requests=R3), {"desiredReplicas": 5, "conditions": status_ok("SucceededRescale", True, "TooManyReplicas")})
hc("TestStabilizeDownscale", dict(min=1, max=5, spec=4, status=4, cpu=100, levels=[50, 50, 50], requests=[100] * 3,
   recs=[{"replicas": 10, "timestamp": NOW - 600}, {"replicas": 4, "timestamp": NOW - 60}]),
   {"desiredReplicas": 4, "conditions": status_ok("ScaleDownStabilized")})
cpu_target1 = int((abs(1 / (requested_to_used * (1 - 0.1))) + .01) * 100)
hc_tol = dict(min=0, max=1000, spec=start_pods, status=start_pods, cpu=cpu_target1, levels=[total_used // 10] * 10,
              requests=tol_tc['requests'], recs=[])
hc("TestComputedToleranceAlgImplementation (just outside the tolerance)", hc_tol, {"desiredReplicas": final_pods})
hc_tol2 = dict(hc_tol)
hc_tol2['cpu'] = target2
hc("TestComputedToleranceAlgImplementation (just inside the tolerance)", hc_tol2,
   {"desiredReplicas": start_pods, "conditions": status_ok("ReadyForNewScale")})
hc("TestScaleUpRCImmediately", dict(min=2, max=6, spec=1, status=1, levels=[0, 0, 0, 0], requests=[1000] * 4),
   {"desiredReplicas": 2, "conditions": conds(("AbleToScale", T, "SucceededRescale"))})
hc("TestScaleDownRCImmediately", dict(min=2, max=5, spec=6, status=6, cpu=50, levels=[8000, 9500, 1000], requests=[900, 1000, 1100]),
   {"desiredReplicas": 5, "conditions": conds(("AbleToScale", T, "SucceededRescale"))})

# ------------------------------------------------------------------ normalization tables through a full sync
# The Go tables call the normalization functions with a prenormalized count; here one External
# AverageValue metric (target 1, value = the count) proposes exactly that count (never within the
# 10 % tolerance of the current count in these rows), so the whole reconcile runs.
def norm_doc(current, prenormalized, min_r, max_r, behavior=None, recs=None, up_events=None, down_events=None):
    spec = {"minReplicas": min_r, "maxReplicas": max_r, "metrics": [external_average_metric(1000)]}
    if behavior is not None:
        spec["behavior"] = behavior
    doc = {"hpa": {"spec": spec}, "scale": {"spec": {"replicas": current}, "status": {"replicas": current}},
           "metrics": [{"values": [q(prenormalized * 1000)], "timestamp": NOW}],
           "history": {"recommendations": recs if recs is not None else []},
           "controller": TEST_CONTROLLER, "now": NOW}
    if up_events:
        doc["history"]["scaleUpEvents"] = up_events
    if down_events:
        doc["history"]["scaleDownEvents"] = down_events
    return doc

for cur, desired, mn, mx, expected, cond in [(5, 7, 3, 8, 7, "DesiredWithinRange"), (3, 1, 2, 8, 2, "TooFewReplicas"),
                                              (1, 0, 0, 10, 0, "DesiredWithinRange"), (3, 1000, 1, 2000, 24, "ScaleUpLimit")]:
    name = f"TestConvertDesiredReplicasWithRules (current {cur}, desired {desired}, min {mn}, max {mx})"
    hpa_vectors.append({"name": name, "source": HC_SRC + ": TestConvertDesiredReplicasWithRules", "input": norm_doc(cur, desired, mn, mx),
                        "expect": {"desiredReplicas": expected, "limitReason": cond}})

def recs(pairs):
    return [{"replicas": r, "timestamp": NOW - m * 60} for r, m in pairs]

for label, rs, pre, expected, length in [
        ("empty log", [], 5, 5, 1),
        ("stabilize", [(4, 2), (5, 1)], 3, 5, 3),
        ("no stabilize", [(1, 2), (2, 1)], 3, 3, 3),
        ("no stabilize - old recommendations", [(10, 10), (9, 9)], 3, 3, 2),
        ("stabilize - old recommendations", [(10, 10), (4, 1), (5, 2), (9, 9)], 3, 5, 4)]:
    # current = prenormalized: the metric is exactly at target (ratio 1, within tolerance).
    doc = norm_doc(pre, pre, 1, 1000, recs=recs(rs))
    hpa_vectors.append({"name": f"TestNormalizeDesiredReplicas ({label})", "source": HC_SRC + ": TestNormalizeDesiredReplicas",
                        "input": doc, "expect": {"stabilizedReplicas": expected,
                                                 "history": {"recommendations": [{}] * length}}})

for label, rs, cur, pre, expected, exp_recs, upw, downw in [
        ("empty recommendations for scaling down", [], 100, 5, 5, [5], 0, 0),
        ("simple scale down stabilization", [(4, 2), (5, 1)], 100, 3, 5, [4, 5, 3], 0, 180),
        ("simple scale up stabilization", [(4, 2), (5, 1)], 1, 7, 4, [4, 5, 7], 300, 0),
        ("no scale down stabilization", [(1, 2), (2, 1)], 100, 3, 3, [1, 2, 3], 300, 0),
        ("no scale up stabilization", [(4, 2), (5, 1)], 1, 3, 3, [4, 5, 3], 0, 300),
        ("no scale down stabilization, reuse recommendation element", [(10, 10), (9, 9)], 100, 3, 3, [10, 3], 0, 0),
        ("no scale up stabilization, reuse recommendation element", [(10, 10), (9, 9)], 1, 100, 100, [10, 100], 0, 0),
        ("scale down stabilization, reuse one of obsolete recommendation element", [(10, 10), (4, 1), (5, 2), (9, 9)], 100, 3, 5,
         [10, 4, 5, 3], 0, 180),
        ("scale up stabilization, reuse one of obsolete recommendation element", [(10, 100), (6, 1), (5, 2), (9, 3)], 1, 100, 5,
         [100, 6, 5, 9], 300, 0),
        ("scale up and down stabilization, do not scale up when prenormalized rec goes down", [(2, 100), (3, 3)], 2, 1, 2, None, 300, 300),
        ("scale up and down stabilization, do not scale down when prenormalized rec goes up", [(2, 100), (1, 3)], 2, 3, 2, None, 300, 300)]:
    behavior = {"scaleUp": {"stabilizationWindowSeconds": upw}, "scaleDown": {"stabilizationWindowSeconds": downw}}
    expect = {"stabilizedReplicas": expected}
    if exp_recs:
        expect["history"] = {"recommendations": [{"replicas": v} for v in exp_recs]}
    hpa_vectors.append({"name": f"TestNormalizeDesiredReplicasWithBehavior ({label})",
                        "source": HC_SRC + ": TestNormalizeDesiredReplicasWithBehavior",
                        "input": norm_doc(cur, pre, 1, 1000, behavior=behavior, recs=recs(rs)), "expect": expect})

def g(pods, pods_period, percent, percent_period, window):
    r = {"stabilizationWindowSeconds": window, "selectPolicy": "Max"}
    pol = []
    if pods:
        pol.append({"type": "Pods", "value": pods, "periodSeconds": pods_period})
    if percent:
        pol.append({"type": "Percent", "value": percent, "periodSeconds": percent_period})
    if pol:
        r["policies"] = pol
    return r

def ev(raw, period):
    seg = period / len(raw)
    return [{"replicaChange": v, "timestamp": NOW - int(period - seg * (i + 1) + seg / 2)} for i, v in enumerate(raw)]

rows = [
    ("prenormalized desired replicas within range", None, None, 3, 8, None, None, 5, 7, 7, "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", None, None, 2, 8, None, None, 3, 1, 2, "TooFewReplicas"),
    ("prenormalized desired replicas within range when minReplicas is 0", None, None, 0, 10, None, None, 1, 0, 0, "DesiredWithinRange"),
    ("desired replica count is more than the maximum replica count", None, None, 100, 150, None, None, 100, 1000, 150, "TooManyReplicas"),
    ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", None, None, 1, 2000, g(0, 0, 1, 60, 0), None,
     3, 1000, 4, "ScaleUpLimit"),
    ("scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies", None, None, 3, 2000, None,
     g(20, 60, 0, 0, 0), 1000, 3, 980, "ScaleDownLimit"),
    ("scaleUp with default behavior", None, None, 1, 1000, None, None, 10, 50, 20, "ScaleUpLimit"),
    ("scaleUp with pods policy larger than percent policy", None, None, 1, 1000, g(100, 60, 100, 60, 0), None, 10, 500, 110, "ScaleUpLimit"),
    ("scaleUp with percent policy larger than pods policy", None, None, 1, 1000, g(2, 60, 100, 60, 0), None, 10, 500, 20, "ScaleUpLimit"),
    ("scaleUp with spec MaxReplicas limitation with large pod policy", None, None, 1, 1000, g(100, 60, 0, 0, 0), None, 10, 50, 50,
     "DesiredWithinRange"),
    ("scaleUp with spec MaxReplicas limitation with large percent policy", None, None, 1, 1000, g(10000, 60, 0, 0, 0), None, 10, 50, 50,
     "DesiredWithinRange"),
    ("scaleUp with pod policy limitation", None, None, 1, 1000, g(30, 60, 0, 0, 0), None, 10, 50, 40, "ScaleUpLimit"),
    ("scaleUp with percent policy limitation", None, None, 1, 1000, g(0, 0, 200, 60, 0), None, 10, 50, 30, "ScaleUpLimit"),
    ("scaleDown with percent policy larger than pod policy", None, None, 1, 1000, None, g(20, 60, 1, 60, 300), 100, 2, 80, "ScaleDownLimit"),
    ("scaleDown with pod policy larger than percent policy", None, None, 1, 1000, None, g(2, 60, 1, 60, 300), 100, 2, 98, "ScaleDownLimit"),
    ("scaleDown with spec MinReplicas=nil limitation with large pod policy", None, None, 1, 1000, None, g(100, 60, 0, 0, 300), 10, 0, 1,
     "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large percent policy", None, None, 5, 1000, None, g(0, 0, 100, 60, 300), 10, 2, 5,
     "TooFewReplicas"),
    ("scaleDown with pod policy limitation", None, None, 1, 1000, None, g(5, 60, 0, 0, 300), 10, 2, 5, "ScaleDownLimit"),
    ("scaleDown with percent policy limitation", None, None, 1, 1000, None, g(0, 0, 50, 60, 300), 10, 5, 5, "DesiredWithinRange"),
    ("scaleUp with spec MaxReplicas limitation with large pod policy and events", ev([1, 5, 9], 120), None, 1, 200, g(300, 60, 0, 0, 0),
     None, 100, 500, 200, "TooManyReplicas"),
    ("scaleUp with spec MaxReplicas limitation with large percent policy and events", ev([1, 5, 9], 120), None, 1, 200,
     g(0, 0, 10000, 60, 0), None, 100, 500, 200, "TooManyReplicas"),
    ("scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", ev([1, 5, 9], 120), None,
     1, 1000, g(5, 120, 0, 0, 0), None, 100, 500, 100, "ScaleUpLimit"),
    ("scaleUp with pod policy and previous scale up events", ev([1, 5, 9], 120), None, 1, 1000, g(150, 120, 0, 0, 0), None, 100, 500,
     235, "ScaleUpLimit"),
    ("scaleUp with percent policy and previous scale up events", ev([1, 5, 9], 120), None, 1, 1000, g(0, 0, 200, 120, 0), None, 100,
     500, 255, "ScaleUpLimit"),
    ("scaleUp with percent policy and previous scale up and down events", ev([4], 120), ev([2], 120), 1, 1000, g(0, 0, 300, 300, 0),
     None, 6, 24, 16, "ScaleUpLimit"),
    ("scaleDown with default policy and previous events", None, ev([1, 5, 9], 120), 1, 1000, None, None, 10, 5, 5, "DesiredWithinRange"),
    ("scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", None, ev([1, 5, 9], 120), 1, 1000,
     None, g(115, 120, 0, 0, 300), 100, 0, 1, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large pod policy and previous events", None, ev([1, 5, 9], 120), 5, 1000, None,
     g(130, 120, 0, 0, 300), 100, 0, 5, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large percent policy and previous events", None, ev([1, 5, 9], 120), 5, 1000,
     None, g(0, 0, 100, 120, 300), 100, 2, 5, "TooFewReplicas"),
    ("scaleDown with pod policy limitation and previous events", None, ev([1, 5, 9], 120), 1, 1000, None, g(5, 120, 0, 0, 300), 100,
     2, 100, "ScaleDownLimit"),
    ("scaleDown with percent policy limitation and previous events", None, ev([2, 4, 6], 120), 1, 1000, None, g(0, 0, 50, 120, 300),
     100, 0, 56, "ScaleDownLimit"),
    ("scaleDown with percent policy and previous scale up and down events", ev([2], 120), ev([4], 120), 1, 1000, None,
     g(0, 0, 50, 180, 0), 10, 1, 6, "ScaleDownLimit"),
    ("scaleDown with previous events preventing further scale down", None, ev([10, 10, 10], 120), 1, 1000, None, g(0, 0, 10, 120, 300),
     100, 0, 100, "ScaleDownLimit"),
    ("scaleDown with with previous events still allowing more scale down", None, ev([10, 10, 10], 120), 1, 1000, None,
     g(0, 0, 1000, 120, 300), 10, 5, 5, "DesiredWithinRange"),
    ("check 'outdated' flag for events for one behavior for up", ev([8, 12, 9, 11], 120), None, 1, 1000, g(1000, 60, 0, 0, 0), None,
     100, 200, 200, "DesiredWithinRange"),
    ("check that events were not marked 'outdated' for two different policies in the behavior for up", ev([8, 12, 9, 11], 120), None,
     1, 1000, g(1000, 120, 100, 60, 0), None, 100, 200, 200, "DesiredWithinRange"),
    ("check that events were marked 'outdated' for two different policies in the behavior for up", ev([8, 12, 9, 11], 120), None, 1,
     1000, g(1000, 30, 100, 60, 0), None, 100, 200, 200, "DesiredWithinRange"),
    ("check 'outdated' flag for events for one behavior for down", None, ev([8, 12, 9, 11], 120), 1, 1000, None, g(1000, 60, 0, 0, 300),
     100, 5, 5, "DesiredWithinRange"),
    ("check that events were not marked 'outdated' for two different policies in the behavior for down", None, ev([8, 12, 9, 11], 120),
     1, 1000, None, g(1000, 120, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"),
    ("check that events were marked 'outdated' for two different policies in the behavior for down", None, ev([8, 12, 9, 11], 120), 1,
     1000, None, g(1000, 30, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"),
]
for (label, up_ev, down_ev, mn, mx, up_rules, down_rules, cur, pre, expected, cond) in rows:
    behavior = {}
    if up_rules:
        behavior["scaleUp"] = up_rules
    if down_rules:
        behavior["scaleDown"] = down_rules
    doc = norm_doc(cur, pre, mn, mx, behavior=behavior, up_events=up_ev, down_events=down_ev)
    hpa_vectors.append({"name": f"TestScalingWithRules ({label})", "source": HC_SRC + ": TestScalingWithRules", "input": doc,
                        "expect": {"desiredReplicas": expected, "limitReason": cond}})

# ------------------------------------------------------------------ KEDA
KEDA_EXEC = 'kedacore/keda pkg/scaling/executor/scale_scaledobjects_test.go'
KEDA_FB = 'kedacore/keda pkg/fallback/fallback_test.go'
keda_vectors = []
KNOW = 3600

def exec_doc(current, active, min_r=0, idle=None, max_r=None, annotations=None, trigger_name=None):
    spec = {"minReplicaCount": min_r, "triggers": [{"type": "prometheus", "metadata": {
        "serverAddress": "http://prometheus:9090", "query": "sum(queue)", "threshold": "1"}}]}
    if trigger_name:
        spec["triggers"][0]["name"] = trigger_name
    if idle is not None:
        spec["idleReplicaCount"] = idle
    if max_r is not None:
        spec["maxReplicaCount"] = max_r
    so = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "name", "creationTimestamp": 0}, "spec": spec}
    if annotations:
        so["metadata"]["annotations"] = annotations
    return {"scaledObject": so, "currentReplicas": current, "observations": [{"value": 1 if active else 0}], "now": KNOW}

def kx(name, doc, poll):
    keda_vectors.append({"name": name, "source": KEDA_EXEC + ": " + name, "input": doc, "expect": {"poll": poll}})

def cond(ready=None, active=None, active_reason=None):
    c = {"type": "Active"}
    if active:
        c["status"] = active
    if active_reason:
        c["reason"] = active_reason
    return [{}, c]

kx("TestScaleToMinReplicasWhenNotActive", exec_doc(10, False, 0),
   {"action": "scale_to_zero_or_idle", "targetReplicas": 0, "conditions": cond(active="False")})
kx("TestScaleToMinReplicasFromLowerInitialReplicaCount", exec_doc(1, False, 5),
   {"action": "scale_to_min_replicas", "targetReplicas": 5, "conditions": cond(active="False")})
kx("TestScaleFromMinReplicasWhenActive", exec_doc(0, True, 0),
   {"action": "scale_from_zero_or_idle", "targetReplicas": 1, "conditions": cond(active="True", active_reason="ScalerActive"),
    "lastActiveTime": KNOW})
kx("TestScaleToIdleReplicasWhenNotActive", exec_doc(10, False, 5, idle=0),
   {"action": "scale_to_zero_or_idle", "targetReplicas": 0, "conditions": cond(active="False")})
kx("TestScaleFromIdleToMinReplicasWhenActive", exec_doc(0, True, 5, idle=0),
   {"action": "scale_from_zero_or_idle", "targetReplicas": 5, "conditions": cond(active="True", active_reason="ScalerActive")})
kx("TestScaleToPausedReplicasCount", exec_doc(2, True, 0, annotations={"autoscaling.keda.sh/paused-replicas": "0"}),
   {"action": "set_paused_replicas", "targetReplicas": 0})
kx("TestEventWitTriggerInfo", exec_doc(2, True, 5, idle=0, trigger_name="testTrigger"),
   {"targetReplicas": 5, "reason": "Scaled from 2 to 5, triggered by testTrigger"})
kx("TestNoScaleToMinReplicasWhenNotActiveAndPauseScaleInAnnotationSet",
   exec_doc(10, False, 0, annotations={"autoscaling.keda.sh/paused-scale-in": "true"}),
   {"action": "no_change", "targetReplicas": 10, "conditions": cond(active="False")})
kx("TestNoScaleToIdleReplicasWhenNotActiveAndPauseScaleInAnnotationSet",
   exec_doc(10, False, 5, idle=0, annotations={"autoscaling.keda.sh/paused-scale-in": "true"}),
   {"targetReplicas": 10, "conditions": cond(active="False")})
kx("TestScaleFromMinReplicasWhenActivationForced",
   exec_doc(0, False, 0, annotations={"autoscaling.keda.sh/force-activation": "true"}),
   {"targetReplicas": 1, "conditions": cond(active="True", active_reason="ScalerActive"),
    "reason": {"$contains": "caused by forced activation annotation"}})
kx("TestNoScaleFromMinReplicasWhenActiveAndPausedScaleOutAnnotationSet",
   exec_doc(0, True, 0, annotations={"autoscaling.keda.sh/paused-scale-out": "true"}),
   {"targetReplicas": 0, "conditions": cond(active="True")})
kx("TestNoScaleFromIdleReplicasToMinReplicasWhenActiveAndPausedScaleOutAnnotationSet",
   exec_doc(0, True, 5, idle=0, max_r=10, annotations={"autoscaling.keda.sh/paused-scale-out": "true"}),
   {"targetReplicas": 0, "conditions": cond(active="True")})

def fb_doc(fb, target, obs, health=None, metric_type=None):
    trig = {"type": "prometheus", "metadata": {"serverAddress": "http://prometheus:9090", "query": "some_metric_name",
                                               "threshold": str(target)}}
    if metric_type:
        trig["metricType"] = metric_type
    spec = {"triggers": [trig]}
    if fb:
        spec["fallback"] = {"failureThreshold": fb[0], "replicas": fb[1], "behavior": "static"}
    so = {"metadata": {"creationTimestamp": 0}, "spec": spec}
    if health is not None:
        so["status"] = {"health": {k: {"numberOfFailures": n, "status": s} for k, n, s in health}}
    return {"scaledObject": so, "currentReplicas": 1, "observations": [obs], "now": KNOW}

ERR = {"error": True}
def ok(v):
    return {"value": v}
def kf(name, doc, expect):
    keda_vectors.append({"name": "fallback_test: " + name, "source": KEDA_FB + ": It(\"" + name + "\")", "input": doc, "expect": expect})

S0 = "s0-prometheus"
kf("should return the expected metric when fallback is disabled", fb_doc(None, 3, ok(5)),
   {"hpa": {"metrics": [{"hasValue": True, "valueMilli": 5000}], "anyError": False}})
kf("should reset the health status when scaler metrics are available", fb_doc((3, 10), 3, ok(6), [(S0, 5, "Failing")]),
   {"hpa": {"metrics": [{"valueMilli": 6000}]}, "status": {"health": {S0: {"numberOfFailures": 0, "status": "Happy"}}}})
kf("should propagate the error when fallback is disabled", fb_doc(None, 3, ERR),
   {"hpa": {"metrics": [{"hasValue": False}], "anyError": True}})
kf("should bump the number of failures when metrics call fails", fb_doc((3, 10), 10, ERR, [(S0, 0, "Happy")]),
   {"hpa": {"anyError": True}, "status": {"health": {S0: {"numberOfFailures": 1, "status": "Failing"}}}})
kf("should return a normalised metric when number of failures are beyond threshold", fb_doc((3, 10), 10, ERR, [(S0, 3, "Happy")]),
   {"hpa": {"anyError": False, "metrics": [{"fallbackApplied": True, "valueMilli": 100000}]},
    "status": {"health": {S0: {"numberOfFailures": 4, "status": "Failing"}}}})
kf("should behave as if fallback is disabled when the target type is not average value",
   fb_doc((3, 10), 3, ERR, [(S0, 5, "Failing")], metric_type="Utilization"),
   {"hpa": {"anyError": True, "metrics": [{"fallbackApplied": False}]}, "status": {"health": {S0: {"numberOfFailures": 5}}}})
kf("should ignore error if we fail to update kubernetes status", fb_doc((3, 10), 10, ERR, [(S0, 3, "Happy")]),
   {"hpa": {"metrics": [{"valueMilli": 100000}]}, "status": {"health": {S0: {"numberOfFailures": 4}}}})
kf("should return error when fallback is enabled but scaledobject has invalid parameter", fb_doc((-3, 10), 10, ERR, [(S0, 3, "Happy")]),
   {"hpa": {"metrics": [{"hasValue": False}], "anyError": True}})
kf("should set the fallback condition when a fallback exists in the scaled object",
   fb_doc((3, 10), 10, ERR, [("another metric name", 6, "Failing"), (S0, 3, "Happy")]),
   {"hpa": {"anyError": False, "fallbackCondition": "True"}})
kf("should set the fallback condition to false if the config is invalid",
   fb_doc((-3, 10), 10, ERR, [("another metric name", 6, "Failing"), (S0, 3, "Happy")]),
   {"hpa": {"anyError": True, "fallbackCondition": {"$not": "True"}}})

# ------------------------------------------------------------------ KPA
KPA_SRC = 'knative/serving pkg/autoscaler/scaling/autoscaler_test.go'
kpa_vectors = []
TU = 0.75
AC = 150
T0 = 1000

def test_spec(target, tbc, **kw):
    s = {"targetValue": target, "totalValue": target / TU, "targetBurstCapacity": tbc, "panicThreshold": 2,
         "maxScaleUpRate": 10, "maxScaleDownRate": 10, "activatorCapacity": AC, "stableWindow": 60}
    s.update(kw)
    return s

def ebc(tot_cap, target_bc, recorded, num_pods):
    return math.floor(tot_cap / TU * num_pods - target_bc - recorded)

def na(spec, num_pods):
    return int(max(2.0, math.ceil((spec["totalValue"] * num_pods + spec["targetBurstCapacity"]) / spec["activatorCapacity"])))

def step(spec, ready, stable, panic, now, expect, state=None, reachable=True, carry=False):
    doc = {"deciderSpec": spec, "reachable": reachable, "readyPods": ready, "metrics": {"stable": stable, "panic": panic}, "now": now}
    if not carry:
        doc["state"] = state if state is not None else {}
    return {"input": doc, "expect": expect}

def kexp(desired, e, n, **kw):
    d = {"scaleValid": True, "desiredPodCount": desired, "excessBurstCapacity": e, "numActivators": n}
    d.update(kw)
    return d

def kv(name, steps, src_name=None):
    kpa_vectors.append({"name": name, "source": KPA_SRC + ": " + (src_name or name.split(' ')[0]), "within": {"excessBurstCapacity": 1},
                        "steps": steps})

s = test_spec(10, 100)
kv("TestAutoscalerMetrics", [step(s, 1, 50, 50, T0, kexp(5, ebc(10, 100, 50, 1), na(s, 1), inPanic=True))])
s = test_spec(10, 100, scalingMetric="rps")
e = ebc(10, 100, 99, 1)
kv("TestAutoscalerMetricsWithRPS", [step(s, 1, 100, 99, T0, kexp(10, e, na(s, 1))),
                                    step(s, 1, 100, 99, T0 + 61, kexp(10, e, na(s, 1), inPanic=True), carry=True)])
s = test_spec(10, 101)
kv("TestAutoscalerStableModeIncreaseWithConcurrencyDefault",
   [step(s, 1, 50, 10, T0, kexp(5, ebc(10, 101, 10, 1), na(s, 1))),
    step(s, 1, 100, 10, T0, kexp(10, ebc(10, 101, 10, 1), na(s, 1)), carry=True)])
s = test_spec(10, 101, scalingMetric="rps")
kv("TestAutoscalerStableModeIncreaseWithRPS",
   [step(s, 1, 50, 50, T0, kexp(5, ebc(10, 101, 50, 1), na(s, 1))),
    step(s, 1, 100, 99, T0, kexp(10, ebc(10, 101, 99, 1), na(s, 1)), carry=True)])
s = test_spec(1, 98)
kv("TestAutoscalerUnpanicAfterSlowIncrease",
   [step(s, 10, 11, 25, T0, kexp(25, ebc(1, 98, 25, 10), na(s, 10), state={"panicTime": T0})),
    step(s, 40, 30, 41, T0 + 30, kexp(41, ebc(1, 98, 41, 40), na(s, 40), state={"panicTime": T0}), carry=True),
    step(s, 55, 50, 56, T0 + 62, kexp(50, ebc(1, 98, 56, 55), na(s, 55), inPanic=False, state={"panicTime": None}), carry=True)])
kv("TestAutoscalerExtendPanicWindow",
   [step(s, 10, 11, 25, T0, kexp(25, ebc(1, 98, 25, 10), na(s, 10))),
    step(s, 40, 30, 80, T0 + 30, kexp(80, ebc(1, 98, 80, 40), na(s, 40), state={"panicTime": T0 + 30}), carry=True)])
s = test_spec(10, 98)
kv("TestAutoscalerStableModeDecrease",
   [step(s, 8, 100, 100, T0, kexp(10, ebc(10, 98, 100, 8), na(s, 8))),
    step(s, 8, 50, 50, T0, kexp(5, ebc(10, 98, 50, 8), na(s, 8)), carry=True)])
s = test_spec(10, 75)
kv("TestAutoscalerStableModeNoTrafficScaleToZero",
   [step(s, 1, 1, 0, T0, kexp(1, ebc(10, 75, 0, 1), na(s, 1))),
    step(s, 1, 0, 0, T0, kexp(0, ebc(10, 75, 0, 1), na(s, 1)), carry=True)])
s = test_spec(1, 101)
kv("TestAutoscalerPanicModeExponentialTrackAndStabilize",
   [step(s, 1, 6, 6, T0, kexp(6, ebc(1, 101, 6, 1), na(s, 1))),
    step(s, 6, 36, 36, T0, kexp(36, ebc(1, 101, 36, 6), na(s, 6), state={"panicTime": T0}), carry=True),
    step(s, 36, 216, 216, T0 + 1, kexp(216, ebc(1, 101, 216, 36), na(s, 36), state={"panicTime": T0 + 1}), carry=True),
    step(s, 216, 1296, 1296, T0 + 1, kexp(1296, ebc(1, 101, 1296, 216), na(s, 216), state={"panicTime": T0 + 1}), carry=True),
    step(s, 1296, 1296, 1296, T0 + 2, kexp(1296, ebc(1, 101, 1296, 1296), na(s, 1296)), carry=True)])
for (label, target, tbc, stable, panic, base, want, want_ebc, prep, msur, msdr, reach) in [
        ("AutoscalerNoDataAtZeroNoAutoscale", 10, 100, 0, 0, 1, 0, ebc(10, 100, 0, 1), False, 10, 10, True),
        ("AutoscalerNoDataAtZeroNoAutoscaleWithExplicitEPs", 10, 100, 0, 0, 1, 0, ebc(10, 100, 0, 1), False, 10, 10, True),
        ("AutoscalerStableModeUnlimitedTBC", 181, -1, 21, 26, 1, 1, -1, False, 10, 10, True),
        ("Autoscaler0TBC", 10, 0, 50, 49, 1, 5, 0, False, 10, 10, True),
        ("AutoscalerStableModeNoChange", 10, 100, 50, 50, 1, 5, ebc(10, 100, 50, 1), False, 10, 10, True),
        ("AutoscalerPanicStableLargerThanPanic", 1, 100, 50, 30, 5, 50, ebc(1, 100, 30, 5), True, 10, 10, True),
        ("AutoscalerPanicStableLessThanPanic", 1, 100, 20, 30, 5, 30, ebc(1, 100, 30, 5), True, 10, 10, True),
        ("AutoscalerStableModeNoChangeAlreadyScaled", 10, 100, 50, 50, 5, 5, ebc(10, 100, 50, 5), False, 10, 10, True),
        ("AutoscalerStableModeIncreaseWithSmallScaleUpRate", 1, 1982, 3, 3.1, 2, 3, ebc(1, 1982, 3.1, 2), False, 1.1, 10, True),
        ("AutoscalerStableModeDecreaseWithSmallScaleDownRate", 10, 1982, 1, 1, 100, 90, ebc(10, 1982, 1, 100), False, 10, 1.1, True),
        ("AutoscalerStableModeDecreaseNonReachable", 10, 1982, 1, 1, 100, 1, ebc(10, 1982, 1, 100), False, 10, 1.1, False),
        ("AutoscalerPanicModeDoublePodCount", 10, 84, 50, 100, 1, 10, ebc(10, 84, 100, 1), False, 10, 10, True)]:
    s = test_spec(target, tbc, maxScaleUpRate=msur, maxScaleDownRate=msdr)
    state = {"panicTime": T0 - 5, "maxPanicPods": 5} if prep else {}
    kv(f"TestAutoscalerScale ({label})", [step(s, base, stable, panic, T0, kexp(want, want_ebc, na(s, base)), state=state,
                                               reachable=reach)], "TestAutoscalerScale")
s = test_spec(10, 93)
kv("TestAutoscalerPanicThenUnPanicScaleDown",
   [step(s, 1, 100, 100, T0, kexp(10, ebc(10, 93, 100, 1), na(s, 1))),
    step(s, 10, 100, 1000, T0 + 1, kexp(100, ebc(10, 93, 1000, 10), na(s, 10)), carry=True),
    step(s, 10, 1, 1, T0 + 31, kexp(100, ebc(10, 93, 1, 10), na(s, 10)), carry=True),
    step(s, 10, 1, 1, T0 + 62, kexp(1, ebc(10, 93, 1, 10), na(s, 10)), carry=True)])
s = test_spec(10, 61)
kv("TestAutoscalerRateLimitScaleUp",
   [step(s, 1, 1000, 1001, T0, kexp(10, ebc(10, 61, 1001, 1), na(s, 1))),
    step(s, 10, 1000, 1001, T0, kexp(100, ebc(10, 61, 1001, 10), na(s, 10)), carry=True)])
kv("TestAutoscalerRateLimitScaleDown",
   [step(s, 100, 1, 1, T0, kexp(10, ebc(10, 61, 1, 100), na(s, 100))),
    step(s, 10, 1, 1, T0, kexp(1, ebc(10, 61, 1, 10), na(s, 10)), carry=True)])
s = test_spec(10, 81)
kv("TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound", [step(s, 0, 1000, 888, T0, kexp(10, ebc(10, 81, 888, 0), 2))])
s = test_spec(10, 77)
s2 = {"targetValue": 1, "totalValue": 1 / TU, "activatorCapacity": 21, "targetBurstCapacity": 71, "panicThreshold": 2,
      "maxScaleDownRate": 10, "maxScaleUpRate": 10, "stableWindow": 60}
kv("TestAutoscalerUpdateTarget",
   [step(s, 1, 100, 101, T0, kexp(10, ebc(10, 77, 101, 1), na(s, 1))),
    step(s2, 10, 100, 101, T0, kexp(100, ebc(1, 71, 101, 10), na(s2, 10)), reachable=False, carry=True)])
sd = {"targetValue": 10, "totalValue": 0, "maxScaleDownRate": 10, "maxScaleUpRate": 10, "panicThreshold": 100,
      "scaleDownDelay": "5m", "targetBurstCapacity": 0}
kv("TestAutoscalerScaleDownDelay (simple)",
   [step(sd, 0, 40, 40, 2, kexp(4, 0, 2), reachable=False),
    step(sd, 0, 0, 0, 300, kexp(4, 0, 2), reachable=False, carry=True),
    step(sd, 0, 0, 0, 302, kexp(0, 0, 2), reachable=False, carry=True)], "TestAutoscalerScaleDownDelay")
kv("TestAutoscalerScaleDownDelay (gradual)",
   [step(sd, 0, 40, 40, 2, kexp(4, 0, 2), reachable=False)] +
   [step(sd, 0, st, st, t, kexp(want, 0, 2), reachable=False, carry=True) for st, t, want in
    [(0, 300, 4), (0, 302, 0), (40, 540, 4), (30, 600, 4), (0, 660, 4), (0, 840, 3), (0, 900, 0)]], "TestAutoscalerScaleDownDelay")
kv("TestAutoscalerScaleDownDelayZero",
   [step(dict(sd, scaleDownDelay=0), 0, 40, 40, 0, kexp(4, 0, 2), reachable=False),
    step(dict(sd, scaleDownDelay=0), 0, 20, 20, 0.5, kexp(2, 0, 2), reachable=False, carry=True)])
kpa_vectors.append({"name": "TestAutoscalerNoDataNoAutoscale", "source": KPA_SRC + ": TestAutoscalerNoDataNoAutoscale",
                    "steps": [{"input": {"deciderSpec": test_spec(10, 100), "readyPods": 1, "metrics": {"noData": True}, "state": {},
                                         "now": T0},
                               "expect": {"scaleValid": False, "desiredPodCount": 0, "excessBurstCapacity": 0, "numActivators": 2}}]})
kpa_vectors.append({"name": "TestCantCountPods", "source": KPA_SRC + ": TestCantCountPods",
                    "steps": [{"input": {"deciderSpec": test_spec(10, 81), "readyPods": 1, "readyCountError": True,
                                         "metrics": {"stable": 1, "panic": 1}, "state": {}, "now": T0},
                               "expect": {"scaleValid": False}}]})

for fname, vecs in [("hpa.json", hpa_vectors), ("keda.json", keda_vectors), ("kpa.json", kpa_vectors)]:
    with open(os.path.join(OUT, fname), "w") as f:
        # One vector per line: greppable by test name, diffs stay per vector.
        f.write('{"vectors": [\n')
        f.write(",\n".join(json.dumps(v, separators=(",", ":")) for v in vecs))
        f.write("\n]}\n")
    print(fname, len(vecs))
