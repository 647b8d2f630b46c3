# SPDX-License-Identifier: MIT
"""The notebooks in notebooks/ run headless (nbclient, the python3 kernel from ipykernel) without an
error, each in under 2 minutes, and draw their figures (PNG outputs).
Run by the python_notebooks test (KUBEMIND_NOTEBOOKS=1, the built extension on PYTHONPATH); skipped
in the quick python_figures run."""

import os
import pathlib
import time

import pytest

if os.environ.get("KUBEMIND_NOTEBOOKS") != "1":
    pytest.skip("notebooks run in the python_notebooks test (set KUBEMIND_NOTEBOOKS=1)", allow_module_level=True)
pytest.importorskip("kubemind")
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
# notebook -> the least number of PNG figures it must draw
EXPECTED_FIGURES = {
    "01_loophole_and_fix.ipynb": 5,               # 4 before/after figures + queue depth
    "02_sweep_connections_and_replicas.ipynb": 2,  # the heatmap grid + p99 vs connections
    "03_autoscaler_tuning.ipynb": 6,               # SLIs vs threshold, cost vs quality, 4 before/after
}
LIMIT_S = 120


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED_FIGURES)


@pytest.mark.parametrize("name", sorted(EXPECTED_FIGURES))
def test_notebook_runs_headless_and_draws_its_figures(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=LIMIT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.monotonic()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.monotonic() - start
    assert elapsed < LIMIT_S, f"{name} took {elapsed:.0f} s"
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= EXPECTED_FIGURES[name], f"{name}: {len(pngs)} figures"
