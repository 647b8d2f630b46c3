# SPDX-License-Identifier: MIT
"""kubemind.sweep: round trip against single runs, workers=2 == workers=1, a grid with an invalid
point, a Dask LocalCluster equal to the threads; and kubemind.plot (before/after figures with the same
bytes as python/figures.py, the sweep plots). Needs the built extension on PYTHONPATH."""

import math
import os
import pathlib
import subprocess
import sys

import pytest

if os.environ.get("KUBEMIND_NO_PYTHON_PACKAGE") == "1":
    pytest.skip("this build has no kubemind extension (a sanitizer build)", allow_module_level=True)
kubemind = pytest.importorskip("kubemind")
pd = pytest.importorskip("pandas")

REPO = pathlib.Path(__file__).resolve().parents[2]
L4 = REPO / "scenarios" / "l4-pinning.json"
CONNECTIONS = "/clients/0/channel/connections"
REPLICAS = "/deployments/0/replicas"
GRID = {CONNECTIONS: [1, 4, 16], REPLICAS: [2, 4]}
SHORT = {"/duration_s": 15}


def test_sweep_rows_are_the_single_runs_in_grid_order():
    df = kubemind.sweep(L4, grid=GRID, seeds=[1, 2], workers=2, overrides=SHORT, progress=False)
    assert list(df.columns) == [CONNECTIONS, REPLICAS, "seed", *kubemind.SLI_COLUMNS, "error"]
    expected_keys = [(c, r, s) for c in GRID[CONNECTIONS] for r in GRID[REPLICAS] for s in (1, 2)]
    assert list(zip(df[CONNECTIONS], df[REPLICAS], df["seed"])) == expected_keys
    assert df["error"].isna().all()
    for _, row in df.iloc[[0, 5, 11]].iterrows():
        single = kubemind.run(L4, seed=row["seed"],
                              overrides={**SHORT, CONNECTIONS: row[CONNECTIONS], REPLICAS: row[REPLICAS]}).sli
        for column, value in single.items():
            assert row[column] == value or (math.isnan(value) and math.isnan(row[column])), column
    # The physics the sweep is for: 4 pods and 16 connections spread the load; 1 connection pins it.
    pinned = df[(df[CONNECTIONS] == 1) & (df[REPLICAS] == 4)]
    spread = df[(df[CONNECTIONS] == 16) & (df[REPLICAS] == 4)]
    assert (pinned["pods_serving"] == 1).all()
    assert (spread["pods_serving"] == 4).all()


def test_two_workers_give_the_same_dataframe_as_one():
    one = kubemind.sweep(L4, grid=GRID, seeds=[1, 2, 3], workers=1, overrides=SHORT, progress=False)
    two = kubemind.sweep(L4, grid=GRID, seeds=[1, 2, 3], workers=2, overrides=SHORT, progress=False)
    pd.testing.assert_frame_equal(one, two)


def test_an_invalid_point_is_a_row_with_its_error_and_the_others_run():
    df = kubemind.sweep(L4, grid={REPLICAS: [2, -1, 4]}, seeds=[1], workers=2, overrides=SHORT, progress=False)
    assert df[REPLICAS].tolist() == [2, -1, 4]
    bad = df.iloc[1]
    assert f"{REPLICAS}: expected integer in [0, 10000], got -1" in bad["error"]
    assert all(math.isnan(bad[c]) for c in kubemind.SLI_COLUMNS)
    good = df.iloc[[0, 2]]
    assert good["error"].isna().all()
    assert good["throughput_rps"].gt(0).all()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # tornado, inside distributed
def test_a_dask_local_cluster_gives_the_thread_sweep():
    distributed = pytest.importorskip("distributed")
    threads = kubemind.sweep(L4, grid=GRID, seeds=[1, 2], workers=2, overrides=SHORT, progress=False)
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    except Exception:  # noqa: BLE001  (a sandbox without worker processes: threads in one process)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        on_dask = kubemind.sweep(L4, grid=GRID, seeds=[1, 2], client=client, overrides=SHORT, progress=False)
    pd.testing.assert_frame_equal(threads, on_dask)


def test_before_after_figures_are_the_bytes_figures_py_writes(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    before = kubemind.run(REPO / "scenarios" / "loophole.json", overrides={"/duration_s": 120})
    after = kubemind.run(REPO / "scenarios" / "fix.json", overrides={"/duration_s": 120})
    reports = []
    for r in (before, after):
        path = tmp_path / f"{r.name}.json"
        path.write_text(r.json)
        reports.append(path)
    subprocess.run([sys.executable, str(REPO / "python" / "figures.py"), *map(str, reports), "--out",
                    str(tmp_path / "cli")], check=True, capture_output=True, timeout=120)
    figures = kubemind.plot.before_after(before, after, out=tmp_path / "py")
    assert sorted(figures) == ["hpa_view", "latency", "pod_share", "replicas"]
    for name in figures:
        assert (tmp_path / "py" / f"{name}.png").read_bytes() == (tmp_path / "cli" / f"{name}.png").read_bytes(), name


def test_sweep_plots_draw_the_aggregated_values():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    df = kubemind.sweep(L4, grid=GRID, seeds=[1, 2], workers=2, overrides=SHORT, progress=False)
    fig = kubemind.plot.heatmap(df, CONNECTIONS, REPLICAS, "top_share")
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (2, 3)  # replicas (rows) x connections (columns)
    expected = df.groupby([REPLICAS, CONNECTIONS])["top_share"].mean()
    assert image[1, 0] == pytest.approx(expected[(4, 1)])
    assert image[0, 2] == pytest.approx(expected[(2, 16)])
    plt.close(fig)
    fig = kubemind.plot.sli_vs_param(df, CONNECTIONS, "pods_serving", hue=REPLICAS, slo=2)
    lines = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("replicas")]
    assert len(lines) == 2
    assert lines[1].get_xdata().tolist() == [1.0, 4.0, 16.0]
    assert lines[1].get_ydata().tolist() == [
        df[(df[REPLICAS] == 4) & (df[CONNECTIONS] == c)]["pods_serving"].mean() for c in (1, 4, 16)]
    plt.close(fig)
