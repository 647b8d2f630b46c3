# SPDX-License-Identifier: MIT
from kubemind import plot as plot
from kubemind._kubemind import ScenarioError as ScenarioError
from kubemind.run import SLI_COLUMNS as SLI_COLUMNS
from kubemind.run import Result as Result
from kubemind.run import Scenario as Scenario
from kubemind.run import compare as compare
from kubemind.run import load as load
from kubemind.run import run as run
from kubemind.sweep import sweep as sweep

__version__: str
__all__: list[str]
