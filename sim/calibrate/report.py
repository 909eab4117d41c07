"""A calibration's outputs: ``calibrated.yaml``, ``fit.csv`` (:mod:`sim.calibrate.fit_table`),
``estimates.csv``, ``uncertainties.yaml`` and ``report.html``, each written atomically."""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.calibrate.result import Calibration


def scenario_yaml(cal: Calibration) -> str:
    """``calibrated.yaml``: a header saying where it came from, then the scenario."""
    lines = [
        f"# {cal.scenario.name}: calibrated by incentsim calibrate ({cal.crm.start} to {cal.crm.end}).",
        "# Estimates and their 95% intervals: estimates.csv; observed vs simulated moments: fit.csv,",
        "# report.html. Fields the exports do not identify are listed in uncertainties.yaml"
        + (" and below." if "uncertainties" in cal.data else "."),
    ]
    return "\n".join(lines) + "\n" + yaml.safe_dump(cal.data, sort_keys=False, allow_unicode=True)


def write_outputs(cal: Calibration, folder: Path) -> None:
    """Write every output of a calibration into ``folder`` (atomically, one file at a time)."""
    from sim.calibrate.report_html import report_html
    from sim.files import atomic_write_text
    from sim.formats import csv_text

    atomic_write_text(folder / "fit.csv", csv_text(cal.fit_table()))
    atomic_write_text(folder / "estimates.csv", csv_text(cal.estimates_table()))
    block = yaml.safe_dump({"uncertainties": cal.uncertainties}, sort_keys=False, allow_unicode=True)
    atomic_write_text(folder / "uncertainties.yaml", block)
    atomic_write_text(folder / "report.html", report_html(cal))
    atomic_write_text(folder / "calibrated.yaml", scenario_yaml(cal))  # last: its presence means done
