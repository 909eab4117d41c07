"""What a notebook holds after ``sim.run(...)`` or ``sim.Results.load(folder)``: a run's results
with their views — the decision, the forest / ARR / frontier plots, and HTML in Jupyter.

The data and the folder belong to the experiment (:class:`sim.experiment.results.RunResults`);
the views belong to the report (:mod:`sim.report`). This module joins the two at the top, so
neither layer imports the other upward::

    results = sim.Results.load("runs/seed-plans-20261123T120000Z")
    results.decision().table()
    results.plot_metric("nrr")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.experiment.results import RunResults
from sim.report import decide, notebook

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Decision", "Results"]


class Decision(decide.Decision):
    """:class:`sim.report.decide.Decision` that shows itself as a table in Jupyter."""

    def _repr_html_(self) -> str:
        return notebook.decision_html(self)

    def __str__(self) -> str:
        """The decision table and verdicts as ``incentsim run`` prints them."""
        from sim.report.terminal import decision_text

        return decision_text(self)


class Results(RunResults):
    """A run's results (:class:`~sim.experiment.results.RunResults`) with the notebook views."""

    @classmethod
    def of(cls, results: RunResults) -> Results:
        """The same results, with the notebook views."""
        if isinstance(results, cls):
            return results
        r = results
        return cls(r.scenario, r.replications, r.timeseries, r.details, r.failures, r.metadata, r.folder)

    def decision(self, objective: str | None = None) -> Decision:
        """Trade-offs, frontier, probability best and verdicts (:mod:`sim.report.decide`)."""
        return Decision(self, objective)

    def _repr_html_(self) -> str:
        return notebook.results_html(self)

    def plot_metric(self, metric: str = "nrr") -> Figure:
        """Forest plot: each plan's mean with its interval, and the paired difference vs baseline,
        in the metric's units (:func:`sim.report.notebook.plot_metric`)."""
        return notebook.plot_metric(self, metric)

    def plot_arr(self, series: str = "arr") -> Figure:
        """ARR (or another monthly series) per plan with a P10-P90 band, in $, and the paired
        difference from the baseline with its confidence band (:func:`sim.report.notebook.plot_arr`)."""
        return notebook.plot_arr(self, series)

    def plot_frontier(self) -> Figure:
        """Payout cost vs NRR and ending ARR, paired intervals, dominated plans marked."""
        return notebook.plot_frontier(self)
