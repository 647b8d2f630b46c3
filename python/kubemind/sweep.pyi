# SPDX-License-Identifier: MIT
from typing import Any, Iterable, Mapping, Optional, Sequence

import pandas as pd

from kubemind.run import Overrides, ScenarioLike

def sweep(scenario: ScenarioLike, grid: Mapping[str, Sequence[Any]], seeds: Optional[Iterable[int]] = ...,
          workers: Optional[int] = ..., client: Optional[Any] = ..., overrides: Overrides = ...,
          progress: bool = ...) -> pd.DataFrame: ...
