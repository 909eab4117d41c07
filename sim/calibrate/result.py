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


@dataclass(repr=False)
class Calibration:
    """What a calibration found (see :mod:`sim.calibrate`). ``print(calibration)`` shows what
    ``incentsim calibrate`` prints (:meth:`print_summary`)."""

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

    def headline(self) -> str:
        """The fit in one line: the exports' dates and how many moments are within their interval."""
        fit = self.fit_table()
        main = fit[fit["role"] != "distribution"]
        return (
            f"Calibrated to {self.crm.start} - {self.crm.end}: {int(main['within_ci'].sum())} of "
            f"{len(main)} moments within their 95% interval"
        )

    def print_summary(self, console: Any) -> None:
        """Print what ``incentsim calibrate`` prints on the rich ``console``: the headline and the
        estimates the calibration sets (bridged, behaviour and identified direct ones) with their
        intervals, then the log."""
        from rich.table import Table

        from sim.safetext import rich_text

        table = Table(title=rich_text(self.headline()))
        for col in ("field", "estimate", "95% interval", "stage", "identified"):
            table.add_column(col, justify="left" if col in ("field", "stage") else "right")
        for e in self.estimates:
            if e.stage in ("bridged", "behaviour") or (e.stage == "direct" and e.identified):
                ci = f"{e.low:.4g} - {e.high:.4g}" if e.has_interval else ""
                known = "yes" if e.identified else "no"
                table.add_row(rich_text(e.path), f"{e.value:.4g}", ci, e.stage, known)
        console.print(table)
        for line in self.log:
            console.print(line, markup=False, highlight=False)

    def __str__(self) -> str:
        """:meth:`print_summary` as plain text at the table's natural width."""
        from sim.safetext import plain_text

        return plain_text(self.print_summary, 150)

    def __repr__(self) -> str:
        where = f", {self.folder}" if self.folder is not None else ""
        return f"<Calibration of {self.scenario.name}: {self.headline()}{where}>"
