# SPDX-License-Identifier: MIT
"""kubemind from Python: run scenarios of Kubernetes inference traffic, sweep their parameters,
plot the results.

    >>> import kubemind
    >>> r = kubemind.run("scenarios/loophole.json", overrides={"/duration_s": 300})
    >>> r.summary["sli"]["latency_ms"]["p99"]          # the JSON report as a dict
    >>> r.timeseries.plot(x="time_s", y="latency_p99_ms")  # pandas DataFrames
    >>> df = kubemind.sweep("scenarios/fix.json",
    ...                     grid={"/autoscalers/0/spec/triggers/0/metadata/threshold": ["5", "10", "20"]},
    ...                     seeds=[1, 2, 3], overrides={"/duration_s": 300})
    >>> kubemind.plot.sli_vs_param(df, "/autoscalers/0/spec/triggers/0/metadata/threshold", "p99_ms")

A run is deterministic (same scenario, overrides and seed: the same report, byte for byte, as
``kubemind run --format json``) and runs in C++ with the GIL released.
"""

from kubemind._kubemind import ScenarioError
from kubemind.run import SLI_COLUMNS, Result, Scenario, compare, load, run
from kubemind.sweep import sweep
from kubemind import plot

ScenarioError.__module__ = "kubemind"
ScenarioError.__doc__ = """An invalid scenario or override (a ValueError).

    .issues  list of (json_pointer, expected, got), sorted by pointer ("/" is the document)
    .source  the scenario's file name, or "<dict>"
    str(e)   one "<source>: <pointer>: expected <what>, got <what>" line per issue
"""

__version__ = "0.1.0"
__all__ = ["ScenarioError", "Scenario", "Result", "SLI_COLUMNS", "load", "run", "sweep", "compare", "plot"]
