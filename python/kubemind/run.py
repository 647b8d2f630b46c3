# SPDX-License-Identifier: MIT
"""Loading and running one scenario: kubemind.load, kubemind.run, Scenario and Result.

A run happens entirely in C++ with the GIL released; its result crosses into Python once, at the
end, as the JSON report (the bytes ``kubemind run --format json`` prints for the same scenario,
overrides and seed), parsed once into ``Result.summary`` and turned into DataFrames on demand.
"""

import json
import math
import os

from kubemind import _kubemind

ScenarioError = _kubemind.ScenarioError

# The key SLIs of a run, in column order: name -> JSON pointer into the report (see sli()).
SLI_POINTERS = {
    "p50_ms": "/sli/latency_ms/p50",
    "p95_ms": "/sli/latency_ms/p95",
    "p99_ms": "/sli/latency_ms/p99",
    "attainment": "/sli/slo/attainment",
    "throughput_rps": "/sli/throughput_rps",
    "failed": "/sli/requests/failed",
    "top_share": "/sli/imbalance/top_share",
    "max_over_mean": "/sli/imbalance/max_over_mean",
    "pods_serving": "/sli/imbalance/pods_serving",
    "gpu_hours": "/cluster/gpu_hours",
    "cost_usd": "/cluster/cost_usd",
}
SLI_COLUMNS = tuple(SLI_POINTERS) + ("max_replicas",)


class Scenario:
    """A validated scenario, ready to run (many times, from many threads or Dask workers).

    Made by :func:`load`. ``name``, ``seed``, ``duration_s`` and ``warmup_s`` are the loaded values;
    ``to_dict()`` gives the scenario document. Picklable (it holds the path or the JSON text only).
    """

    def __init__(self, path=None, text="", source="<dict>", base_dir=".", models_dir=""):
        self.path = None if path is None else os.fspath(path)
        self.text = text
        self.source = self.path if self.path is not None else source
        self.base_dir = base_dir
        self.models_dir = models_dir
        info = _kubemind.check(self.path, self.text, self.source, self.base_dir, [], None, self.models_dir)
        self.name = info["name"]
        self.seed = info["seed"]
        self.duration_s = info["duration_s"]
        self.warmup_s = info["warmup_s"]

    def to_dict(self):
        """The scenario document as written (before overrides and defaults)."""
        if self.path is not None:
            with open(self.path, encoding="utf-8") as f:
                return json.load(f)
        return json.loads(self.text)

    def _call(self, function, seed, overrides, **options):
        return function(self.path, self.text, self.source, self.base_dir, _override_pairs(overrides),
                        None if seed is None else int(seed), self.models_dir, **options)

    def check(self, seed=None, overrides=None):
        """Validates the scenario with these overrides without running it (raises ScenarioError)."""
        return self._call(_kubemind.check, seed, overrides)

    def __repr__(self):
        return f"<kubemind.Scenario {self.name!r} from {self.source} (seed {self.seed}, {self.duration_s:g} s)>"


def load(path_or_dict, *, base_dir=".", models_dir=""):
    """Loads and validates a scenario: a file path (str or os.PathLike), a dict, or a Scenario.

    ``base_dir`` stands for a dict's folder when looking for ``models/`` (``base_dir/../models``, ``base_dir/../../models``,
    ``base_dir/models``, then the installed data folder); ``models_dir`` names that folder outright.
    Raises :class:`ScenarioError` (a ValueError) listing every problem as (pointer, expected, got).

    >>> import kubemind
    >>> s = kubemind.load("scenarios/loophole.json")
    >>> s.name, s.seed
    ('loophole', 1)
    >>> doc = s.to_dict(); doc["duration_s"] = 120
    >>> kubemind.load(doc, base_dir="scenarios").duration_s
    120.0
    """
    if isinstance(path_or_dict, Scenario):
        return path_or_dict
    if isinstance(path_or_dict, dict):
        return Scenario(text=json.dumps(path_or_dict), source="<dict>", base_dir=os.fspath(base_dir),
                        models_dir=os.fspath(models_dir))
    if isinstance(path_or_dict, (str, os.PathLike)):
        return Scenario(path=path_or_dict, models_dir=os.fspath(models_dir))
    raise TypeError(f"kubemind.load expects a path, a dict or a Scenario, got {type(path_or_dict).__name__}")


def _override_pairs(overrides):
    """{"/json/pointer": value} -> [(pointer, JSON text)], in the dict's order (applied in order)."""
    if not overrides:
        return []
    pairs = []
    for pointer, value in overrides.items():
        if not isinstance(pointer, str):
            raise TypeError(f"override keys are JSON pointers (str), got {type(pointer).__name__}")
        pairs.append((pointer, json.dumps(value)))
    return pairs


def run(scenario, seed=None, overrides=None, requests=False):
    """Runs a scenario once and returns its :class:`Result`.

    ``scenario``: a path, dict or Scenario (see :func:`load`). ``seed`` replaces the scenario's seed
    (the CLI's ``--seed``). ``overrides`` maps JSON pointers to values (the CLI's ``--set``), applied
    in order before validation. ``requests=True`` also records every answered request
    (``Result.requests``). The GIL is released during the run. Raises :class:`ScenarioError`.

    >>> r = kubemind.run("scenarios/loophole.json", overrides={"/duration_s": 300})
    >>> r.summary["sli"]["imbalance"]["pods_serving"]
    1
    >>> r.timeseries[["time_s", "latency_p99_ms"]].tail(3)   # doctest: +SKIP
    """
    scenario = load(scenario)
    report_json, columns = scenario._call(_kubemind.run, seed, overrides, requests=requests)
    return Result(report_json, columns)


def _at(doc, pointer):
    """The value at a JSON pointer (no ~ escapes needed for the report's keys), None when absent."""
    node = doc
    for part in pointer.strip("/").split("/"):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def sli(summary):
    """The key SLIs of a report (dict) as a flat dict in SLI_COLUMNS order; NaN when absent.

    max_replicas is the largest spec.replicas any Deployment reached (NaN with no Deployments). The
    latency percentiles are NaN when no measured request completed (the report writes 0 there).
    """
    row = {}
    for name, pointer in SLI_POINTERS.items():
        value = _at(summary, pointer)
        row[name] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    if _at(summary, "/sli/requests/completed") == 0:
        row.update(p50_ms=math.nan, p95_ms=math.nan, p99_ms=math.nan)
    replicas = _at(summary, "/timeseries/replicas")
    peaks = [max(v) for v in replicas.values() if v] if isinstance(replicas, dict) else []
    row["max_replicas"] = float(max(peaks)) if peaks else math.nan
    return row


class Result:
    """The outcome of one run.

    ``json``        the report's JSON text, byte for byte what ``kubemind run --format json`` prints
    ``summary``     that report as a dict
    ``timeseries``  one row per report interval (pandas DataFrame); per-pod and per-Deployment series
                    become columns named ``pod_rps/<pod>``, ``replicas/<deployment>``, ...
    ``pods``        one row per pod (lifecycle, share, utilisation; cold-start stages as ``cold_start.*``)
    ``events``      one row per autoscaling decision (time_s, controller, from/to replicas, rule, metrics)
    ``traces``      what each autoscaler saw next to the truth, one row per (trace, sync)
    ``findings``    the automatic findings (list of dicts: id, severity, text, numbers)
    ``sli``         the key SLIs as a flat dict (the columns kubemind.sweep reports)
    ``requests``    with ``run(..., requests=True)``: one row per answered request, warm-up included
                    (sent_s, latency_ms, wait_ms (0 unless served), client and server indices (-1: no
                    server), outcome), from NumPy arrays filled in C++; None otherwise
    """

    def __init__(self, report_json, request_columns=None):
        self.json = report_json
        self.summary = json.loads(report_json)
        self._request_columns = request_columns
        self._frames = {}

    @property
    def name(self):
        return self.summary["scenario"]["name"]

    @property
    def seed(self):
        return self.summary["scenario"]["seed"]

    @property
    def sli(self):
        return sli(self.summary)

    @property
    def findings(self):
        return list(self.summary.get("findings") or [])

    def _frame(self, key, build):
        if key not in self._frames:
            self._frames[key] = build()
        return self._frames[key]

    @property
    def timeseries(self):
        def build():
            import numpy as np
            import pandas as pd
            ts = self.summary.get("timeseries") or {}
            columns = {}
            for key, value in ts.items():
                if isinstance(value, list):
                    columns[key] = value
                elif isinstance(value, dict):
                    for sub, values in value.items():
                        columns[f"{key}/{sub}"] = values
            frame = pd.DataFrame({k: np.array([np.nan if x is None else x for x in v], dtype=float)
                                  for k, v in columns.items()})
            return frame
        return self._frame("timeseries", build)

    @property
    def pods(self):
        def build():
            import pandas as pd
            frame = pd.json_normalize(self.summary.get("pods") or [], max_level=1)
            if "cold_start" in frame.columns and any(c.startswith("cold_start.") for c in frame.columns):
                frame = frame.drop(columns="cold_start")  # null for pods present at t = 0; stages as columns
            return frame
        return self._frame("pods", build)

    @property
    def events(self):
        def build():
            import pandas as pd
            columns = ["time_s", "controller", "from_replicas", "to_replicas", "rule", "metrics"]
            events = (self.summary.get("autoscaling") or {}).get("events") or []
            return pd.DataFrame(events, columns=columns if not events else None)
        return self._frame("events", build)

    @property
    def traces(self):
        def build():
            import pandas as pd
            rows = []
            for t in (self.summary.get("autoscaling") or {}).get("traces") or []:
                for i, time_s in enumerate(t.get("time_s") or []):
                    rows.append({"controller": t.get("controller"), "metric": t.get("metric"), "unit": t.get("unit"),
                                 "time_s": time_s, "seen": (t.get("seen") or [None] * (i + 1))[i],
                                 "truth": (t.get("truth") or [None] * (i + 1))[i]})
            return pd.DataFrame(rows, columns=["controller", "metric", "unit", "time_s", "seen", "truth"])
        return self._frame("traces", build)

    @property
    def requests(self):
        if self._request_columns is None:
            return None

        def build():
            import pandas as pd
            columns = dict(self._request_columns)
            columns["outcome"] = pd.Categorical.from_codes(columns["outcome"].astype("int64"),
                                                           categories=_kubemind.outcome_names())
            return pd.DataFrame(columns)
        return self._frame("requests", build)

    def explain(self):
        """The findings as ``kubemind explain`` prints them."""
        return _kubemind.explain(self.json, self.name, False)

    def compare(self, *others):
        """``kubemind compare`` of this run with others (Results): the table as text."""
        return compare(self, *others)

    def __repr__(self):
        s = self.sli
        return (f"<kubemind.Result {self.name!r} seed {self.seed}: p99 {s['p99_ms']:.4g} ms, "
                f"attainment {s['attainment']:.3g}, top_share {s['top_share']:.3g}>")


def compare(*results, as_json=False):
    """``kubemind compare`` over Results (or report dicts): the side-by-side table (text or JSON).

    >>> print(kubemind.compare(before, after))   # doctest: +SKIP
    """
    inputs = []
    for i, r in enumerate(results):
        text = r.json if isinstance(r, Result) else json.dumps(r)
        name = r.name if isinstance(r, Result) else f"report{i}"
        inputs.append((name, text))
    return _kubemind.compare(inputs, as_json)
