#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Figures from kubemind JSON reports (kubemind run --format json, or --out DIR -> DIR/report.json).

    /usr/bin/python3 python/figures.py BEFORE.json AFTER.json [more.json ...] --out DIR [--format png|svg]

Writes into DIR:
  latency     p99 and mean latency of the requests answered OK in each interval, one colour per
              report (p99 solid, mean dashed), log scale
  replicas    spec.replicas (solid) and Ready replicas (dashed) over time, one panel per Deployment
  pod_share   each pod's share of the requests, one panel per report
  hpa_view    per report, what each autoscaler saw of its metric at its syncs (markers) next to the
              truth at that instant (dashed), with the real queue depth (all pods) on a twin axis
              when the traces use a single unit

Reads only the report's JSON; fields an older report lacks give an empty panel with a note.
Output is deterministic: fixed SVG hash salt and no dates or software versions in the metadata.
Exit status: 0 figures written, 2 bad usage or a file that is not a kubemind report.
Needs matplotlib and numpy (Debian: python3-matplotlib, python3-numpy); nothing from PyPI.
The figures themselves live in kubemind/_figures.py (kubemind.plot draws the same ones in notebooks);
this command loads that file directly, so it runs from a source tree without the compiled extension.
"""

import argparse
import importlib.util
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

EXIT_BAD_INPUT = 2


def _load_figures():
    """kubemind/_figures.py next to this file (source tree), else the installed kubemind package's."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kubemind", "_figures.py")
    if os.path.exists(here):
        spec = importlib.util.spec_from_file_location("kubemind_figures", here)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    from kubemind import _figures  # the installed package
    return _figures


figures = _load_figures()


def main(argv):
    parser = argparse.ArgumentParser(description="Figures from kubemind JSON reports.")
    parser.add_argument("reports", nargs="+", metavar="REPORT.json")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--format", choices=("png", "svg"), default="png")
    args = parser.parse_args(argv)  # bad usage: argparse prints it and exits 2

    try:
        docs = [figures.load_report(p) for p in args.reports]
    except figures.BadInput as e:
        print(e, file=sys.stderr)
        return EXIT_BAD_INPUT
    labels = figures.labels_for(args.reports, docs)

    plt.rcParams["svg.hashsalt"] = "kubemind"
    plt.rcParams["path.simplify"] = False
    os.makedirs(args.out, exist_ok=True)
    for name, build in figures.FIGURES:
        figures.save(build(docs, labels), os.path.join(args.out, f"{name}.{args.format}"), args.format)
    print(f"wrote {', '.join(f'{n}.{args.format}' for n, _ in figures.FIGURES)} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
