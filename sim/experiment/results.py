"""Results of an experiment: tables built from replications, the atomic folder writer and reader.

Folder layout (every file is written to a hidden temporary file in the same folder, fsynced,
then renamed over its final name, so a crash never leaves a half-written file under a final
name; names ending in ``.tmp`` are in-progress writes and are never read)::

    config.resolved.yaml   the fully resolved scenario (a resume must match it)
    metadata.json          version, git commit, seed, command, times, packages, backend, precision
    checkpoints/chunk-NNNNNN.parquet   completed replications, one file per finished task
    replications.parquet   one row per plan x replication: plan, replication, every metric
    summary.csv            plan, metric, mean, ci_low, ci_high, p10, p50, p90, n
    comparison.csv         plan, metric, baseline, diff, ci_low, ci_high, significant, half_width,
                           variance_reduction, n, confidence
    timeseries.parquet     plan, month, series, mean, p10, p90 (across replications)
    details.parquet        plan, replication, kind, key, values: raw distributions, payouts,
                           people_pay and timeseries of every replication (for reports)
    failures.json          replications that raised (plan, replication, error, traceback)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self

import pandas as pd
import yaml

from sim.experiment import stats
from sim.experiment.tables import details_table, replications_table, timeseries_table
from sim.files import atomic_write_text
from sim.formats import atomic_write_parquet, csv_text, to_strict_json
from sim.result import ReplicationResult
from sim.scenario.load import dump_scenario
from sim.scenario.schema import Scenario

CONFIG_FILE = "config.resolved.yaml"
METADATA_FILE = "metadata.json"


class RunResults:
    """The outcome of an experiment, in memory; ``RunResults.load(folder)`` reads a results folder.

    The experiment's data and its folder; the notebook views (decision, plots, HTML) are added by
    :class:`sim.results.Results`, the class ``sim.run`` returns.

    Attributes: ``scenario`` (the resolved Scenario), ``replications`` (DataFrame, one row per
    plan x replication), ``timeseries`` (DataFrame), ``details`` (raw payloads), ``failures``
    (list of dicts), ``metadata`` (dict), ``folder`` (Path or None).
    """

    def __init__(
        self,
        scenario: Scenario,
        replications: pd.DataFrame,
        timeseries: pd.DataFrame | None = None,
        details: pd.DataFrame | None = None,
        failures: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        folder: Path | None = None,
    ) -> None:
        self.scenario = scenario
        self.replications = replications
        self.timeseries = timeseries if timeseries is not None else pd.DataFrame()
        self.details = details if details is not None else pd.DataFrame()
        self.failures = list(failures or [])
        self.metadata = dict(metadata or {})
        self.folder = folder

    @classmethod
    def from_results(
        cls,
        scenario: Scenario,
        results: Iterable[ReplicationResult],
        failures: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        folder: Path | None = None,
    ) -> Self:
        """Build the tables from ReplicationResults."""
        items = list(results)
        plans = [p.name for p in scenario.plans]
        return cls(
            scenario,
            replications_table(items, plans),
            timeseries_table(items, plans) if scenario.output.timeseries else None,
            details_table(items, plans),
            failures,
            metadata,
            folder,
        )

    @property
    def plans(self) -> list[str]:
        """Plan names in scenario order."""
        return [p.name for p in self.scenario.plans]

    @property
    def baseline(self) -> str:
        """The baseline plan."""
        return self.scenario.baseline

    @property
    def confidence(self) -> float:
        """The confidence level of the intervals."""
        return self.scenario.experiment.confidence

    def summary(self, metrics: Sequence[str] | None = None, confidence: float | None = None) -> pd.DataFrame:
        """Per plan and metric: mean, t-interval, P10/P50/P90 and n."""
        return stats.summarize(self.replications, self.plans, metrics, confidence or self.confidence)

    def comparison(
        self, metrics: Sequence[str] | None = None, confidence: float | None = None
    ) -> pd.DataFrame:
        """Paired differences against the baseline (Bonferroni-adjusted for several plans)."""
        return stats.compare(
            self.replications, self.plans, self.baseline, metrics, confidence or self.confidence
        )

    def __repr__(self) -> str:
        n = self.replications.groupby("plan").size().to_dict() if len(self.replications) else {}
        return f"{type(self).__name__}({self.scenario.name!r}, plans={self.plans}, replications={n})"

    # --- folder ---------------------------------------------------------------------------

    def write(self, folder: Path) -> None:
        """Write the result tables into ``folder`` (config and metadata are written by the runner)."""
        folder = Path(folder)
        atomic_write_parquet(folder / "replications.parquet", self.replications)
        atomic_write_text(folder / "summary.csv", csv_text(self.summary()))
        atomic_write_text(folder / "comparison.csv", csv_text(self.comparison()))
        if self.scenario.output.timeseries:
            atomic_write_parquet(folder / "timeseries.parquet", self.timeseries)
        atomic_write_parquet(folder / "details.parquet", self.details)
        failures = folder / "failures.json"
        if self.failures:
            atomic_write_text(failures, to_strict_json(self.failures, indent=2))
        elif failures.exists():
            failures.unlink()
        self.folder = folder

    @classmethod
    def load(cls, folder: str | Path) -> Self:
        """Read a results folder written by ``incentsim run``."""
        folder = Path(folder)
        scenario = Scenario.model_validate(yaml.safe_load((folder / CONFIG_FILE).read_text("utf-8")))
        reps = pd.read_parquet(folder / "replications.parquet")
        ts_path = folder / "timeseries.parquet"
        det_path = folder / "details.parquet"
        fail_path = folder / "failures.json"
        meta_path = folder / METADATA_FILE
        return cls(
            scenario,
            reps,
            pd.read_parquet(ts_path) if ts_path.exists() else None,
            pd.read_parquet(det_path) if det_path.exists() else None,
            json.loads(fail_path.read_text("utf-8")) if fail_path.exists() else None,
            json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else None,
            folder,
        )


def read_config(folder: Path) -> str | None:
    """The text of a folder's ``config.resolved.yaml`` (None when absent)."""
    path = Path(folder) / CONFIG_FILE
    return path.read_text("utf-8") if path.exists() else None


def config_text(scenario: Scenario) -> str:
    """What ``config.resolved.yaml`` holds for a scenario."""
    return dump_scenario(scenario)
