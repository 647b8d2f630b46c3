# SPDX-License-Identifier: MIT
"""kubemind.load / kubemind.run: round trips, the summary byte for byte as the CLI prints it,
ScenarioError with its pointers, the DataFrames against the report, and the GIL released during a run.
Needs the built extension on PYTHONPATH (ctest sets <build>/python) and KUBEMIND_CLI for the CLI test."""

import json
import math
import os
import pathlib
import subprocess
import threading

import pytest

if os.environ.get("KUBEMIND_NO_PYTHON_PACKAGE") == "1":
    pytest.skip("this build has no kubemind extension (a sanitizer build)", allow_module_level=True)
kubemind = pytest.importorskip("kubemind")

REPO = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
LOOPHOLE = SCENARIOS / "loophole.json"
SHORT = {"/duration_s": 120}


def test_load_a_path_and_its_dict_give_the_same_report():
    from_path = kubemind.load(LOOPHOLE)
    assert (from_path.name, from_path.seed, from_path.duration_s) == ("loophole", 1, 900.0)
    doc = from_path.to_dict()
    assert doc == json.loads(LOOPHOLE.read_text())
    from_dict = kubemind.load(doc, base_dir=SCENARIOS)
    assert kubemind.run(from_path, overrides=SHORT).json == kubemind.run(from_dict, overrides=SHORT).json
    # A dict with the override written into it is the same scenario as the override.
    doc["duration_s"] = 120
    assert kubemind.run(kubemind.load(doc, base_dir=SCENARIOS)).json == kubemind.run(from_path, overrides=SHORT).json


@pytest.mark.parametrize("scenario,seed,sets", [
    ("loophole.json", None, ["/duration_s=300"]),
    ("fix.json", 7, ["/duration_s=300"]),
    ("mmc.json", 3, []),
    ("l4-pinning.json", None, ["/clients/0/channel/connections=4", "/deployments/0/replicas=3"]),
])
def test_summary_is_byte_identical_to_the_cli_json(scenario, seed, sets):
    cli = os.environ.get("KUBEMIND_CLI")
    if not cli:
        pytest.skip("KUBEMIND_CLI (the kubemind binary) is not set")
    path = str(SCENARIOS / scenario)
    args = [cli, "run", path, "--format", "json"]
    if seed is not None:
        args += ["--seed", str(seed)]
    for s in sets:
        args += ["--set", s]
    expected = subprocess.run(args, check=True, capture_output=True, timeout=120).stdout
    overrides = {}
    for s in sets:
        pointer, value = s.split("=", 1)
        overrides[pointer] = json.loads(value)
    result = kubemind.run(path, seed=seed, overrides=overrides)
    assert result.json.encode() == expected
    assert result.summary == json.loads(expected)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_arrivals():
    a = kubemind.run(LOOPHOLE, seed=5, overrides=SHORT)
    b = kubemind.run(LOOPHOLE, seed=5, overrides=SHORT)
    c = kubemind.run(LOOPHOLE, seed=6, overrides=SHORT)
    assert a.json == b.json
    assert a.seed == 5 and c.seed == 6
    assert a.summary["sli"]["requests"]["sent"] != c.summary["sli"]["requests"]["sent"]


def test_scenario_error_is_a_value_error_carrying_each_pointer():
    with pytest.raises(kubemind.ScenarioError) as caught:
        kubemind.run(LOOPHOLE, overrides={"/deployments/0/replicas": -3, "/duration_s": "soon"})
    e = caught.value
    assert isinstance(e, ValueError)
    pointers = [issue[0] for issue in e.issues]
    assert "/deployments/0/replicas" in pointers and "/duration_s" in pointers
    assert pointers == sorted(pointers)  # the C++ error sorts its issues by pointer
    replicas = next(i for i in e.issues if i[0] == "/deployments/0/replicas")
    assert replicas[2] == "-3" and len(replicas) == 3
    assert e.source == str(LOOPHOLE)
    assert f"{LOOPHOLE}: /deployments/0/replicas: expected " in str(e)

    with pytest.raises(kubemind.ScenarioError) as caught:
        kubemind.load({"kubemind": "v1", "name": "empty"})
    assert caught.value.source == "<dict>" and caught.value.issues

    with pytest.raises(kubemind.ScenarioError):
        kubemind.load(SCENARIOS / "no-such-file.json")


def test_dataframes_hold_the_report_columns():
    r = kubemind.run(LOOPHOLE, overrides={"/duration_s": 300})
    ts, s = r.timeseries, r.summary
    interval = s["timeseries"]["interval_s"]
    # One row per report interval: 300 s / 5 s, stamped at the end of each interval.
    assert len(ts) == 300 // interval == 60
    assert ts["time_s"].tolist() == pytest.approx([interval * (k + 1) for k in range(60)], rel=1e-12)
    assert ts["latency_p99_ms"].tolist() == [float(v) for v in s["timeseries"]["latency_p99_ms"]]
    assert ts["replicas/inference"].tolist() == s["timeseries"]["replicas"]["inference"]
    assert r.pods["name"].tolist() == [p["name"] for p in s["pods"]]
    assert r.pods["requests"].sum() == sum(p["requests"] for p in s["pods"])
    assert len(r.events) == len(s["autoscaling"]["events"])
    assert r.events["to_replicas"].tolist() == [e["to_replicas"] for e in s["autoscaling"]["events"]]
    assert len(r.traces) == sum(len(t["time_s"]) for t in s["autoscaling"]["traces"])
    assert [f["id"] for f in r.findings] == [f["id"] for f in s["findings"]]
    sli = r.sli
    assert list(sli) == list(kubemind.SLI_COLUMNS)
    assert sli["p99_ms"] == s["sli"]["latency_ms"]["p99"]
    assert sli["pods_serving"] == s["sli"]["imbalance"]["pods_serving"]
    assert sli["max_replicas"] == max(s["timeseries"]["replicas"]["inference"])
    assert sli["gpu_hours"] == s["cluster"]["gpu_hours"]


def test_explain_and_compare_are_the_cli_texts(tmp_path):
    cli = os.environ.get("KUBEMIND_CLI")
    if not cli:
        pytest.skip("KUBEMIND_CLI (the kubemind binary) is not set")
    before = kubemind.run(LOOPHOLE, overrides=SHORT)
    after = kubemind.run(SCENARIOS / "fix.json", overrides=SHORT)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(before.json)
    b.write_text(after.json)
    explain = subprocess.run([cli, "explain", str(a)], check=True, capture_output=True, text=True).stdout
    assert before.explain() == explain
    compare = subprocess.run([cli, "compare", str(a), str(b)], check=True, capture_output=True, text=True).stdout
    assert kubemind.compare(before, after) == compare


def test_the_gil_is_released_while_a_run_runs():
    # While one thread runs a simulation, this thread keeps executing Python: it could not if the run
    # held the GIL (it would be blocked until the run returned, then see the thread finished).
    done = threading.Event()
    ticks_during_run = 0

    def work():
        kubemind.run(LOOPHOLE, overrides={"/duration_s": 300})
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    while not done.is_set():
        ticks_during_run += 1
    thread.join()
    assert ticks_during_run > 1000


def test_per_request_columns_match_the_report_counts():
    plain = kubemind.run(SCENARIOS / "l7-least-request.json", overrides={"/duration_s": 20})
    assert plain.requests is None
    r = kubemind.run(SCENARIOS / "l7-least-request.json", overrides={"/duration_s": 20}, requests=True)
    assert r.json == plain.json  # recording requests does not change the run
    df = r.requests
    assert list(df.columns) == ["sent_s", "latency_ms", "wait_ms", "client", "server", "outcome"]
    counts = r.summary["sli"]["requests"]
    measured = df[df["sent_s"] >= r.summary["scenario"]["warmup_s"]]
    assert len(measured) == counts["completed"] + counts["failed"]
    assert (measured["outcome"] == "ok").sum() == counts["completed"]
    ok = measured[measured["outcome"] == "ok"]
    assert ok["latency_ms"].mean() == pytest.approx(r.summary["sli"]["latency_ms"]["mean"], rel=1e-9)
    assert ok["latency_ms"].max() == pytest.approx(r.summary["sli"]["latency_ms"]["max"], rel=1e-9)
    assert (ok["latency_ms"] >= ok["wait_ms"]).all() and (ok["wait_ms"] >= 0).all()
    # Least-request over 4 pods: every pod served some of the requests.
    shares = ok["server"].value_counts(normalize=True).sort_index()
    assert len(shares) == 4


def test_latency_slis_are_nan_when_no_measured_request_completed():
    # l4-pinning over 10 s: 1200 req/s pinned to one pod that serves ~470/s. By the end of the 5 s
    # warm-up ~3650 requests wait ahead of the first measured one, ~7.7 s of work: none completes.
    r = kubemind.run(SCENARIOS / "l4-pinning.json", overrides={"/duration_s": 10})
    assert r.summary["sli"]["requests"]["completed"] == 0
    assert r.summary["sli"]["latency_ms"]["p99"] == 0
    assert math.isnan(r.sli["p99_ms"]) and math.isnan(r.sli["p50_ms"])
    assert r.sli["throughput_rps"] == r.summary["sli"]["throughput_rps"]
