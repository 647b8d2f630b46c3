# SPDX-License-Identifier: MIT
"""python/figures.py on two hand-built reports: four PNG (and SVG) files, identical bytes on a
second run, and exit status 2 with one line for a file that is not a report."""

import json
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "python" / "figures.py"
FIGURES = ("latency", "replicas", "pod_share", "hpa_view")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def report(name, replicas, seen, truth, with_autoscaling=True):
    doc = {
        "scenario": {"name": name, "seed": 1, "duration_s": 60, "warmup_s": 0},
        "sli": {"requests": {"sent": 100, "completed": 100, "failed": 0}, "latency_ms": {"p99": 40}},
        "pods": [{"name": "web-0", "share": 0.75}, {"name": "web-1", "share": 0.25}],
        "timeseries": {
            "interval_s": 15,
            "time_s": [15, 30, 45, 60],
            "latency_mean_ms": [10, 0, 12, 11],  # 0: nothing answered in that interval
            "latency_p99_ms": [30, 0, 50, None],
            "queue_depth_total": [0, 4, 9, 2],
            "replicas": {"web": replicas},
            "ready_replicas": {"web": [1] + replicas[:-1]},
        },
    }
    if with_autoscaling:
        doc["autoscaling"] = {"events": [], "traces": [
            {"controller": "hpa/web", "metric": "cpu", "unit": "percent", "time_s": [15, 30, 45, 60],
             "seen": seen, "truth": truth}]}
    return doc


def write_reports(tmp_path):
    before = tmp_path / "before.json"
    after = tmp_path / "after.json"
    before.write_text(json.dumps(report("before", [1, 1, 2, 2], [20, None, 90, 60], [25, 70, 95, 50])))
    # An older report: no autoscaling section at all.
    after.write_text(json.dumps(report("after", [2, 3, 3, 3], [], [], with_autoscaling=False)))
    return before, after


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_four_png_files_deterministic(tmp_path):
    before, after = write_reports(tmp_path)
    out = tmp_path / "figs"
    result = run(before, after, "--out", out)
    assert result.returncode == 0, result.stderr
    first = {}
    for name in FIGURES:
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(PNG_MAGIC), name
        assert len(data) > 1000, name
        first[name] = data
    again = tmp_path / "again"
    assert run(before, after, "--out", again).returncode == 0
    for name in FIGURES:
        assert (again / f"{name}.png").read_bytes() == first[name], name


def test_svg_has_no_date_and_is_deterministic(tmp_path):
    before, after = write_reports(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(before, after, "--out", a, "--format", "svg").returncode == 0
    assert run(before, after, "--out", b, "--format", "svg").returncode == 0
    for name in FIGURES:
        text = (a / f"{name}.svg").read_text()
        assert text.lstrip().startswith("<?xml") and "<svg" in text, name
        assert "<dc:date>" not in text, name
        assert text == (b / f"{name}.svg").read_text(), name


def test_not_a_report_exits_2_with_one_line(tmp_path):
    before, _ = write_reports(tmp_path)
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"kubemind": "v1", "clients": []}))
    result = run(before, scenario, "--out", tmp_path / "figs")
    assert result.returncode == 2
    assert result.stderr == (f"{scenario}: expected a kubemind report (missing /sli), got an object without it "
                             "(a scenario? run it first)\n")
    assert not (tmp_path / "figs").exists()

    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json {")
    result = run(garbage, before, "--out", tmp_path / "figs")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"{garbage}: expected a kubemind report")

    missing = tmp_path / "missing.json"
    result = run(before, missing, "--out", tmp_path / "figs")
    assert result.returncode == 2
    assert result.stderr == f"{missing}: cannot read (No such file or directory)\n"
