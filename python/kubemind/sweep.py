# SPDX-License-Identifier: MIT
"""Parameter sweeps: every point of a grid of JSON-pointer overrides, for every seed, in parallel.

Threads by default (each run releases the GIL, so N threads use N cores); with a Dask distributed
``client`` the points run on its workers (a LocalCluster or a real cluster). Rows come back in grid
order whatever the order of completion, so a sweep's DataFrame does not depend on ``workers``.
"""

import itertools
import math
import os

from kubemind.run import SLI_COLUMNS, ScenarioError, load, run


def _points(grid):
    pointers = list(grid)
    for p in pointers:
        if not isinstance(p, str) or not p.startswith("/"):
            raise ValueError(f"grid keys are JSON pointers starting with '/', got {p!r}")
    values = [list(grid[p]) for p in pointers]
    return pointers, list(itertools.product(*values))


def _run_point(scenario, base_overrides, pointers, point, seed):
    """One row: the point's values, the seed, the key SLIs (NaN on error) and the error (None if ok)."""
    row = dict(zip(pointers, point))
    row["seed"] = seed
    overrides = dict(base_overrides or {})
    overrides.update(zip(pointers, point))
    try:
        result = run(scenario, seed=seed, overrides=overrides)
        row.update(result.sli)
        row["error"] = None
    except ScenarioError as e:
        row.update({c: math.nan for c in SLI_COLUMNS})
        row["error"] = str(e)
    except Exception as e:  # noqa: BLE001  (a failing point is a row, never the end of the sweep)
        row.update({c: math.nan for c in SLI_COLUMNS})
        row["error"] = f"{type(e).__name__}: {e}"
    return row


def _progress_bar(total, enabled, desc):
    if not enabled:
        return None
    import importlib.util
    in_notebook = False
    if importlib.util.find_spec("ipywidgets") is not None:  # tqdm's notebook bar needs it
        try:
            from IPython import get_ipython
            shell = get_ipython()
            in_notebook = shell is not None and "IPKernelApp" in shell.config
        except ImportError:
            pass
    if in_notebook:
        from tqdm.notebook import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="run")


def sweep(scenario, grid, seeds=None, workers=None, client=None, overrides=None, progress=True):
    """Runs ``scenario`` at every point of ``grid`` for every seed; returns one tidy DataFrame.

    ``grid``      {"/json/pointer": [values, ...], ...}: the Cartesian product of the value lists
    ``seeds``     seeds to run each point with (default: the scenario's own seed)
    ``workers``   threads (default: os.cpu_count()); ignored with ``client``
    ``client``    a dask.distributed Client: runs the points on its cluster instead of threads
    ``overrides`` fixed overrides applied to every point before the grid's (e.g. a shorter duration)
    ``progress``  a tqdm progress bar (a widget in Jupyter when ipywidgets is installed)

    One row per (point, seed), in grid order then seed order: a column per swept pointer (named by
    the pointer), ``seed``, the key SLIs (p50_ms, p95_ms, p99_ms, attainment, throughput_rps, failed,
    top_share, max_over_mean, pods_serving, gpu_hours, cost_usd, max_replicas) and ``error`` (None,
    or the message of the point that failed: its SLIs are NaN and the other points still run).

    >>> import kubemind
    >>> df = kubemind.sweep("scenarios/l4-pinning.json",
    ...                     grid={"/clients/0/channel/connections": [1, 4, 16],
    ...                           "/deployments/0/replicas": [2, 4]},
    ...                     seeds=[1, 2], workers=2, overrides={"/duration_s": 20})
    >>> df.groupby("/clients/0/channel/connections").p99_ms.mean()   # doctest: +SKIP
    """
    import pandas as pd

    scenario = load(scenario)
    pointers, points = _points(grid)
    seeds = [scenario.seed] if seeds is None else [int(s) for s in seeds]
    tasks = [(point, seed) for point in points for seed in seeds]
    bar = _progress_bar(len(tasks), progress, scenario.name)
    rows = [None] * len(tasks)
    try:
        if client is not None:
            from distributed import as_completed as dask_as_completed
            futures = [client.submit(_run_point, scenario, overrides, pointers, point, seed, pure=False)
                       for point, seed in tasks]
            index_of = {f.key: i for i, f in enumerate(futures)}
            for future in dask_as_completed(futures):
                rows[index_of[future.key]] = future.result()
                if bar is not None:
                    bar.update(1)
        else:
            from concurrent.futures import ThreadPoolExecutor, as_completed
            with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
                futures = {pool.submit(_run_point, scenario, overrides, pointers, point, seed): i
                           for i, (point, seed) in enumerate(tasks)}
                for future in as_completed(futures):
                    rows[futures[future]] = future.result()
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    columns = pointers + ["seed", *SLI_COLUMNS, "error"]
    return pd.DataFrame(rows, columns=columns)
