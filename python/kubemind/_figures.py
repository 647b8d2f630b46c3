# SPDX-License-Identifier: MIT
"""The before/after figures from kubemind JSON reports: shared by python/figures.py (the command
line) and kubemind.plot (notebooks). Each *_figure(docs, labels) takes parsed reports (dicts) and
their legend labels and returns a matplotlib Figure:

  latency     p99 and mean latency of the requests answered OK in each interval, one colour per
              report (p99 solid, mean dashed), log scale
  replicas    spec.replicas (solid) and Ready replicas (dashed) over time, one panel per Deployment
  pod_share   each pod's share of the requests, one panel per report
  hpa_view    per report, what each autoscaler saw of its metric at its syncs (markers) next to the
              truth at that instant (dashed), with the real queue depth (all pods) on a twin axis
              when the traces use a single unit

Reads only the report's JSON; fields an older report lacks give an empty panel with a note.
Chooses no matplotlib backend (the caller does: Agg for files, inline in Jupyter) and imports
nothing from kubemind's extension, so the command line runs from a source tree.
"""

import json
import math
import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

class BadInput(Exception):
    """One line for stderr; the script exits 2."""


def load_report(path):
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:
        raise BadInput(f"{path}: cannot read ({e.strerror})") from None
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise BadInput(f"{path}: expected a kubemind report (JSON from kubemind run --format json), "
                       "got text that is not JSON") from None
    if not isinstance(doc, dict):
        raise BadInput(f"{path}: expected a kubemind report (a JSON object), got {type(doc).__name__}")
    if not isinstance(doc.get("sli"), dict):
        hint = " (a scenario? run it first)" if "kubemind" in doc else ""
        raise BadInput(f"{path}: expected a kubemind report (missing /sli), got an object without it{hint}")
    return doc


def labels_for(paths, docs):
    """The scenario names; a name used twice gets its file name added so the legends stay apart."""
    names = []
    for path, doc in zip(paths, docs):
        scenario = doc.get("scenario")
        name = scenario.get("name") if isinstance(scenario, dict) else None
        names.append(name if isinstance(name, str) else os.path.basename(path))
    return [f"{n} ({os.path.basename(p)})" if names.count(n) > 1 else n for n, p in zip(names, paths)]


def series(obj, key):
    """A numeric array from obj[key] (null -> NaN), or None when missing or not a list."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, list):
        return None
    return np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan for v in value],
                    dtype=float)


def note(ax, text, empty=True):
    """A grey message in the middle of the panel; an empty panel also loses its meaningless ticks."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    if empty:
        ax.set_xticks([])
        ax.set_yticks([])


def colours(n):
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return [cycle[i % len(cycle)] for i in range(n)]


def latency_figure(docs, labels):
    fig, ax = plt.subplots(figsize=(9, 5))
    drawn = False
    for doc, label, colour in zip(docs, labels, colours(len(docs))):
        ts = doc.get("timeseries")
        t = series(ts, "time_s")
        if t is None or len(t) == 0:
            continue
        for key, style, what in (("latency_p99_ms", "-", "p99"), ("latency_mean_ms", "--", "mean")):
            y = series(ts, key)
            if y is None or len(y) != len(t):
                continue
            y = np.where(y > 0, y, math.nan)  # intervals with no answered request: 0, no point on a log axis
            # Small markers: an interval between two empty ones is an isolated point, not a line.
            ax.plot(t, y, style, marker=".", markersize=3, color=colour, label=f"{label} {what}")
            drawn = True
    if drawn:
        ax.set_yscale("log")
        ax.legend(fontsize="small")
    else:
        note(ax, "no latency time series in these reports")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("latency of requests answered OK (ms)")
    ax.set_title("Latency over time (p99 solid, mean dashed): " + " vs ".join(labels))
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def replicas_figure(docs, labels):
    deployments = []
    for doc in docs:
        replicas = (doc.get("timeseries") or {}).get("replicas")
        if isinstance(replicas, dict):
            deployments += [d for d in replicas if d not in deployments]
    panels = max(1, len(deployments))
    fig, axes = plt.subplots(panels, 1, figsize=(9, 3.2 * panels), squeeze=False)
    if not deployments:
        note(axes[0][0], "no Deployments in these reports (bare pods, or reports older than the replica series)")
        axes[0][0].set_title("Replicas over time: " + " vs ".join(labels))
    for ax, dep in zip(axes[:, 0], deployments):
        for doc, label, colour in zip(docs, labels, colours(len(docs))):
            ts = doc.get("timeseries") or {}
            t = series(ts, "time_s")
            if t is None:
                continue
            for key, style, what in (("replicas", "-", "replicas"), ("ready_replicas", "--", "Ready")):
                y = series(ts.get(key), dep)
                if y is not None and len(y) == len(t):
                    ax.step(t, y, style, where="pre", color=colour, label=f"{label} {what}")
        ax.set_title(f"Deployment {dep}: replicas (solid) and Ready replicas (dashed), " + " vs ".join(labels))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("simulated time (s)")
        ax.set_ylabel("pods")
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def pod_share_figure(docs, labels):
    fig, axes = plt.subplots(len(docs), 1, figsize=(9, 3.2 * len(docs)), squeeze=False)
    for ax, doc, label in zip(axes[:, 0], docs, labels):
        pods = [p for p in doc.get("pods") or [] if isinstance(p, dict)]
        ax.set_title(f"{label}: share of requests per pod")
        if not pods:
            note(ax, "no pods in this report")
            continue
        names = [str(p.get("name", "?")) for p in pods]
        shares = [100.0 * p["share"] if isinstance(p.get("share"), (int, float)) else 0.0 for p in pods]
        x = np.arange(len(pods))
        ax.bar(x, shares)
        ax.axhline(100.0 / len(pods), color="0.3", linestyle=":", label="even share")
        ax.set_xticks(x)
        ax.set_xticklabels(names, rotation=45 if len(pods) > 6 else 0, ha="right" if len(pods) > 6 else "center",
                           fontsize="small")
        ax.set_ylabel("% of requests")
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def hpa_view_figure(docs, labels):
    fig, axes = plt.subplots(len(docs), 1, figsize=(9, 3.6 * len(docs)), squeeze=False)
    for ax, doc, label in zip(axes[:, 0], docs, labels):
        ax.set_title(f"{label}: what the autoscalers saw (markers) vs the truth (dashed)")
        traces = [t for t in (doc.get("autoscaling") or {}).get("traces") or [] if isinstance(t, dict)]
        if not traces:
            note(ax, "no autoscaler traces in this report")
            continue
        units = []
        for t in traces:
            if t.get("unit", "") not in units:
                units.append(t.get("unit", ""))
        twin = ax.twinx()
        # The first unit on the left axis, a second one on the right; a third would be unreadable.
        axis_of = {units[0]: ax}
        if len(units) > 1:
            axis_of[units[1]] = twin
        skipped = 0
        for t, colour in zip(traces, colours(len(traces))):
            target = axis_of.get(t.get("unit", ""))
            time = series(t, "time_s")
            if target is None or time is None:
                skipped += 1
                continue
            name = f"{t.get('controller', '?')} {t.get('metric', '?')}"
            seen, truth = series(t, "seen"), series(t, "truth")
            if seen is not None and len(seen) == len(time):
                target.plot(time, seen, "o-", markersize=3, color=colour, label=f"{name} seen")
            if truth is not None and len(truth) == len(time):
                target.plot(time, truth, "--", color=colour, label=f"{name} truth")
        ax.set_ylabel(units[0] or "value")
        if len(units) > 1:
            twin.set_ylabel(units[1] or "value")
        else:
            ts = doc.get("timeseries") or {}
            t_all, depth = series(ts, "time_s"), series(ts, "queue_depth_total")
            if t_all is not None and depth is not None and len(depth) == len(t_all):
                twin.fill_between(t_all, depth, step="pre", color="0.5", alpha=0.25,
                                  label="real queue depth (all pods)")
                twin.set_ylabel("requests waiting (all pods)")
            else:
                twin.set_axis_off()
        if skipped:
            note(ax, f"{skipped} trace(s) in a third unit not drawn", empty=False)
        ax.set_xlabel("simulated time (s)")
        ax.grid(True, alpha=0.3)
        handles, names = ax.get_legend_handles_labels()
        twin_handles, twin_names = twin.get_legend_handles_labels()
        if handles or twin_handles:
            ax.legend(handles + twin_handles, names + twin_names, fontsize="small", loc="upper left")
    fig.tight_layout()
    return fig


def save(fig, path, fmt):
    # No creation date (svg) and no software version (png): the same reports give the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(path, format=fmt, metadata=metadata, dpi=100)
    plt.close(fig)


FIGURES = (("latency", latency_figure), ("replicas", replicas_figure), ("pod_share", pod_share_figure),
           ("hpa_view", hpa_view_figure))
