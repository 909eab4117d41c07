"""What a calibration found: the exports as read, both stages' estimates, the fit and the
calibrated scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibrate.crm import Crm
from sim.calibrate.estimates import Estimate
from sim.calibrate.fit import Fit
from sim.calibrate.fit_table import fit_table
from sim.calibrate.moments import MomentSpec
from sim.calibrate.stage1 import StageOne
from sim.scenario.schema import Scenario


@dataclass
class Calibration:
    """What a calibration found (see :mod:`sim.calibrate`)."""

    crm: Crm
    stage1: StageOne
    spec: MomentSpec
    observed: dict[str, float]
    fit: Fit
    scenario: Scenario
    """The calibrated scenario."""
    data: dict[str, Any]
    """The calibrated scenario as written to ``calibrated.yaml``."""
    uncertainties: dict[str, dict[str, Any]]
    estimates: list[Estimate]
    """Every estimate: stage 1's (bridged ones replaced by stage 2's) and stage 2's."""
    folder: Path | None = None
    log: list[str] = field(default_factory=list)

    def estimates_table(self) -> pd.DataFrame:
        """One row per estimate: path, value, 95% interval, stage, method, n, identified, note."""
        return pd.DataFrame([e.row() for e in self.estimates])

    def fit_table(self) -> pd.DataFrame:
        """One row per moment (see :func:`sim.calibrate.fit_table.fit_table`)."""
        return fit_table(self.fit)
