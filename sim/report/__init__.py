"""The report of a results folder: ``report.html`` (self-contained) and ``plots/*.png``.

``write_report(folder)`` builds both from the files ``incentsim run`` writes; ``incentsim report
DIR`` calls it. See ``docs/report.md``.
"""

from __future__ import annotations

from sim.report.data import MissingData, NotAResultsFolder
from sim.report.html import PLOTS_DIR, REPORT_FILE, write_report
from sim.report.page import SECTIONS

__all__ = ["PLOTS_DIR", "REPORT_FILE", "SECTIONS", "MissingData", "NotAResultsFolder", "write_report"]
