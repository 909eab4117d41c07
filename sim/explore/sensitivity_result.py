"""What a sensitivity run found, as data: its settings (``sensitivity.yaml``), the design, every
point's outcomes and the indices, probability best and flip regions computed from them; written
to and read from a results folder. :class:`sim.explore.sensitivity.Sensitivity` adds the plots."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import yaml

from sim.experiment.results import CONFIG_FILE, METADATA_FILE
from sim.explore import design as dsg
from sim.explore.indices import indices_table, outcomes
from sim.explore.robustness import best_per_point, flip_regions, probability_best
from sim.files import atomic_write_text
from sim.formats import atomic_write_parquet, csv_text
from sim.scenario.schema import Scenario

SETTINGS_FILE = "sensitivity.yaml"


@dataclass(frozen=True)
class Settings:
    """What a sensitivity run does (``sensitivity.yaml``)."""

    method: str = "morris"
    samples: int = 10
    """Morris: trajectories; Sobol: base samples N (a power of two)."""
    reps: int = 2
    """Replications of every plan at every point."""
    parameters: tuple[str, ...] = ()
    """The uncertainties varied (empty: all of them); the others stay at the scenario's values."""

    def text(self) -> str:
        """The YAML recorded in the folder."""
        data = asdict(self)
        data["parameters"] = list(self.parameters)
        return yaml.safe_dump(data, sort_keys=False)


class SensitivityResult:
    """Results of a sensitivity run; :func:`run_sensitivity` makes one, :meth:`load` reads a folder.

    Attributes: ``scenario``, ``settings``, ``params``, ``design`` (point, block, u:*, values),
    ``rows`` (point x plan x replication outcomes), ``samples`` (the rows with the point's
    parameter values), ``indices``, ``best``, ``robustness``, ``regions`` (flip regions),
    ``metadata``, ``folder``.
    """

    def __init__(
        self,
        scenario: Scenario,
        settings: Settings,
        design: pd.DataFrame,
        rows: pd.DataFrame,
        metadata: dict[str, Any] | None = None,
        folder: Path | None = None,
    ) -> None:
        self.scenario = scenario
        self.settings = settings
        self.params = dsg.parameters(scenario, settings.parameters or None)
        self.design = design
        order = {p.name: i for i, p in enumerate(scenario.plans)}
        rows = rows.assign(_o=rows["plan"].map(order)).sort_values(
            ["point", "replication", "_o"], kind="stable"
        )
        self.rows = rows.drop(columns="_o").reset_index(drop=True)
        samples = self.rows
        self.metadata = dict(metadata or {})
        self.folder = folder
        exp = scenario.experiment
        self.plans = [p.name for p in scenario.plans]
        self.baseline = scenario.baseline
        self.objective = exp.objective
        self.confidence = exp.confidence
        points, reps = len(design), settings.reps
        self.unit = design[[f"u:{p.path}" for p in self.params]].to_numpy(dtype=float)
        self.values = design[[p.path for p in self.params]].to_numpy(dtype=float)
        self.outcomes = outcomes(samples, points, reps, self.plans, self.baseline)
        self.indices = indices_table(
            settings.method, self.params, self.unit, self.outcomes, self.confidence, exp.seed
        )
        self.best = best_per_point(samples, points, reps, self.plans, self.objective, self.confidence)
        blocks = design["block"].to_numpy()
        self.robustness = probability_best(self.best, self.plans, blocks, self.confidence, exp.seed)
        self.regions = (
            flip_regions(self.values, self.params, self.best, self.plans) if len(self.plans) > 1 else []
        )

    @property
    def samples(self) -> pd.DataFrame:
        """Every point x plan x replication with the point's parameter values (``samples.parquet``)."""
        return self.rows.merge(self.design, on="point", how="left")

    def outcome(self, metric: str, plan: str, kind: str = "difference") -> np.ndarray:
        """One outcome's value at every point."""
        for o in self.outcomes:
            if (o.metric, o.plan, o.kind) == (metric, plan, kind):
                return o.y
        raise KeyError(f"no {kind} outcome {metric!r} for plan {plan!r}")

    def write(self, folder: Path) -> None:
        """Write the tables (config, settings and metadata are written by the run)."""
        from sim.formats import to_strict_json

        atomic_write_text(folder / "design.csv", csv_text(self.design))
        atomic_write_parquet(folder / "samples.parquet", self.samples)
        atomic_write_text(folder / "indices.csv", csv_text(self.indices))
        atomic_write_text(folder / "best.csv", csv_text(self.best))
        atomic_write_text(folder / "robustness.csv", csv_text(self.robustness))
        atomic_write_text(
            folder / "flips.json", to_strict_json([r.as_dict() for r in self.regions], indent=2)
        )
        self.folder = folder

    @classmethod
    def load(cls, folder: str | Path) -> Self:
        """Read a folder written by ``incentsim sensitivity`` (indices are recomputed, identically)."""
        import json

        folder = Path(folder)
        scenario = Scenario.model_validate(yaml.safe_load((folder / CONFIG_FILE).read_text("utf-8")))
        raw = yaml.safe_load((folder / SETTINGS_FILE).read_text("utf-8"))
        settings = Settings(**{**raw, "parameters": tuple(raw.get("parameters") or ())})
        meta_path = folder / METADATA_FILE
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        design = pd.read_csv(folder / "design.csv")
        samples = pd.read_parquet(folder / "samples.parquet")
        keys = ["point", "plan", "replication"]
        keep = [*keys, *[c for c in samples.columns if c not in design.columns and c not in keys]]
        return cls(scenario, settings, design, samples[keep], meta, folder)

    def table(self, metric: str | None = None, kind: str = "difference") -> pd.DataFrame:
        """The indices of one metric (default: the objective) and kind, one row per plan x parameter."""
        m = metric or self.objective
        sel = self.indices[(self.indices["metric"] == m) & (self.indices["kind"] == kind)]
        return sel.reset_index(drop=True)

    def first_other(self) -> str:
        others = [p for p in self.plans if p != self.baseline]
        return others[0] if others else self.baseline
