# SPDX-License-Identifier: MIT
"""Figures: the before/after figures of ``python/figures.py`` (the same code, kubemind/_figures.py)
and sweep plots (an SLI as a heatmap over two swept parameters; an SLI against one parameter with a
band over seeds). Every function returns a matplotlib Figure (shown inline in Jupyter).
"""

import json
import os

from kubemind import _figures


def _report(item):
    """A report dict from a Result, a dict, or a report file path."""
    if isinstance(item, dict):
        return item
    if hasattr(item, "summary"):
        return item.summary
    if isinstance(item, (str, os.PathLike)):
        return _figures.load_report(os.fspath(item))
    raise TypeError(f"expected a kubemind Result, a report dict or a report path, got {type(item).__name__}")


def _before_after_inputs(results, labels):
    docs = [_report(r) for r in results]
    if labels is None:
        labels = _figures.labels_for([getattr(r, "name", f"report{i}") if not isinstance(r, (str, os.PathLike))
                                      else os.fspath(r) for i, r in enumerate(results)], docs)
    return docs, list(labels)


def latency(*results, labels=None):
    """p99 (solid) and mean (dashed) latency per interval, one colour per run, log scale."""
    return _figures.latency_figure(*_before_after_inputs(results, labels))


def replicas(*results, labels=None):
    """spec.replicas (solid) and Ready replicas (dashed) over time, one panel per Deployment."""
    return _figures.replicas_figure(*_before_after_inputs(results, labels))


def pod_share(*results, labels=None):
    """Each pod's share of the requests, one panel per run."""
    return _figures.pod_share_figure(*_before_after_inputs(results, labels))


def hpa_view(*results, labels=None):
    """What each autoscaler saw (markers) next to the truth (dashed), with the real queue depth."""
    return _figures.hpa_view_figure(*_before_after_inputs(results, labels))


def before_after(*results, labels=None, out=None, fmt="png"):
    """The four figures of ``python/figures.py`` for these runs: {"latency", "replicas", "pod_share",
    "hpa_view"} -> Figure. With ``out``, also writes them as ``out/<name>.<fmt>`` (the same bytes as
    figures.py for the same reports) and closes them.

    >>> figs = kubemind.plot.before_after(loophole, fix)     # two Results
    >>> figs["latency"]                                      # doctest: +SKIP
    """
    docs, labels = _before_after_inputs(results, labels)
    figures = {name: build(docs, labels) for name, build in _figures.FIGURES}
    if out is not None:
        import matplotlib.pyplot as plt
        with plt.rc_context({"svg.hashsalt": "kubemind", "path.simplify": False}):
            os.makedirs(out, exist_ok=True)
            for name, fig in figures.items():
                _figures.save(fig, os.path.join(out, f"{name}.{fmt}"), fmt)
    return figures


def _label(column, labels=None):
    """A display name: labels[column] if given; a JSON pointer's last named part (".../replicas")."""
    if labels and column in labels:
        return labels[column]
    if not isinstance(column, str) or not column.startswith("/"):
        return str(column)
    parts = [p for p in column.split("/") if p]
    named = [p for p in parts if not p.isdigit()]
    return named[-1] if named else column


def _ok(df):
    return df[df["error"].isna()] if "error" in df.columns else df


def heatmap(df, x, y, value, agg="mean", ax=None, log=False, annotate=True, fmt="{:.3g}", cmap="viridis",
            labels=None):
    """``value`` (aggregated over seeds with ``agg``) as a heatmap over swept columns ``x`` and ``y``.

    Rows with an error are left out (an all-error cell is blank). ``labels`` maps columns to display
    names (default: a pointer's last named part).

    >>> df = kubemind.sweep(s, grid={"/clients/0/channel/connections": [1, 2, 4],
    ...                              "/deployments/0/replicas": [2, 4]})
    >>> kubemind.plot.heatmap(df, "/clients/0/channel/connections", "/deployments/0/replicas", "p99_ms")
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LogNorm

    table = _ok(df).pivot_table(index=y, columns=x, values=value, aggfunc=agg)
    xs = sorted(df[x].dropna().unique(), key=_sort_key)
    ys = sorted(df[y].dropna().unique(), key=_sort_key)
    table = table.reindex(index=ys, columns=xs)
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.2 * len(xs) + 3, 0.7 * len(ys) + 2.2))
    else:
        fig = ax.figure
    data = table.to_numpy(dtype=float)
    positive = data[np.isfinite(data) & (data > 0)]
    norm = LogNorm(vmin=positive.min(), vmax=positive.max()) if log and positive.size else None
    image = ax.imshow(data, origin="lower", aspect="auto", cmap=cmap, norm=norm)
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.set_xlabel(_label(x, labels))
    ax.set_ylabel(_label(y, labels))
    ax.set_title(f"{_label(value, labels)} ({agg} over seeds)")
    fig.colorbar(image, ax=ax, label=_label(value, labels))
    if annotate:
        for i in range(len(ys)):
            for j in range(len(xs)):
                if np.isfinite(data[i, j]):
                    ax.text(j, i, fmt.format(data[i, j]), ha="center", va="center", color="w", fontsize="small")
    fig.tight_layout()
    return fig


def _sort_key(v):
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, json.dumps(v, sort_keys=True, default=str))


def sli_vs_param(df, x, value, hue=None, ax=None, band="minmax", log=False, slo=None, labels=None):
    """``value`` against swept column ``x``: the mean over seeds (line and markers) and a band over
    seeds (``band="minmax"``: min..max; ``"std"``: mean +- one standard deviation), one line per
    value of ``hue`` (another swept column, or any column such as a scenario label). ``slo`` draws a
    horizontal reference line. Rows with an error are left out. ``labels`` maps columns to display
    names (default: a pointer's last named part).

    >>> kubemind.plot.sli_vs_param(df, "/autoscalers/0/spec/triggers/0/metadata/threshold", "p99_ms",
    ...                            slo=300)
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    ok = _ok(df)
    groups = [(None, ok)] if hue is None else [(h, ok[ok[hue] == h]) for h in sorted(ok[hue].unique(), key=_sort_key)]
    for h, part in groups:
        xs = sorted(part[x].unique(), key=_sort_key)
        stats = [part[part[x] == v][value].astype(float) for v in xs]
        mean = np.array([s.mean() for s in stats])
        if band == "std":
            lo = mean - np.array([s.std(ddof=0) for s in stats])
            hi = mean + np.array([s.std(ddof=0) for s in stats])
        else:
            lo = np.array([s.min() for s in stats])
            hi = np.array([s.max() for s in stats])
        numeric = all(_sort_key(v)[0] == 0 for v in xs)
        positions = [float(v) for v in xs] if numeric else list(range(len(xs)))
        label = None if h is None else f"{_label(hue, labels)} = {h}"
        line, = ax.plot(positions, mean, "o-", label=label)
        ax.fill_between(positions, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        if not numeric:
            ax.set_xticks(positions, [str(v) for v in xs])
    if slo is not None:
        ax.axhline(slo, color="0.3", linestyle=":", label=f"SLO {slo:g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(_label(x, labels))
    ax.set_ylabel(_label(value, labels))
    ax.set_title(f"{_label(value, labels)} vs {_label(x, labels)}\n"
                 f"(mean; band: {'min..max' if band == 'minmax' else '+-1 sd'} over seeds)")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
