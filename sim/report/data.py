"""What the report reads from a results folder, prepared once: summary, paired comparison,
per-replication details (distributions, payouts, people pay, monthly series) in long form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml
from pydantic import ValidationError

from sim.experiment.results import CONFIG_FILE, RunResults
from sim.report.decide import Decision
from sim.vocabulary.metrics import KEY_METRICS

__all__ = ["KEY_METRICS"]


REQUIRED_FILES: tuple[str, ...] = (CONFIG_FILE, "replications.parquet")


class NotAResultsFolder(ValueError):
    """The folder is not a results folder written by ``incentsim run``."""


class MissingData(Exception):
    """A figure or table cannot be drawn from this folder (the message says why)."""


def lookup(df: pd.DataFrame, *keys: str) -> dict[tuple[str, ...], dict[str, Any]]:
    """Rows of a table as dicts keyed by the string values of ``keys`` (e.g. plan, metric)."""
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for rec in df.to_dict("records"):
        row = {str(k): v for k, v in rec.items()}
        out[tuple(str(row[k]) for k in keys)] = row
    return out


def check_folder(folder: Path) -> None:
    """Raise :class:`NotAResultsFolder` unless ``folder`` holds a results folder's core files."""
    if not folder.exists():
        raise NotAResultsFolder("no such folder")
    if not folder.is_dir():
        raise NotAResultsFolder("not a folder")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise NotAResultsFolder(
            f"not a results folder (missing {', '.join(missing)}); expected a folder written by "
            "`incentsim run`"
        )


@dataclass
class ReportData:
    """A run's :class:`~sim.experiment.results.RunResults` with the derived tables the report needs."""

    results: RunResults
    notes: list[str] = field(default_factory=list)
    """Things the report could not show (missing optional data), in order found."""

    @cached_property
    def decision(self) -> Decision:
        """The decision view of the results (computed once for every section that shows it)."""
        return Decision(self.results)

    @property
    def plans(self) -> list[str]:
        """Plans in scenario order."""
        return self.results.plans

    @property
    def baseline(self) -> str:
        """The baseline plan."""
        return self.results.baseline

    @property
    def others(self) -> list[str]:
        """The non-baseline plans present in the replications."""
        present = set(self.replications["plan"])
        return [p for p in self.plans if p != self.baseline and p in present]

    @property
    def replications(self) -> pd.DataFrame:
        """One row per plan x replication."""
        return self.results.replications

    @property
    def years(self) -> float:
        """Measured horizon in years (flows are per year; raw payouts are horizon totals)."""
        return float(self.results.scenario.company.horizon_years)

    @property
    def confidence(self) -> float:
        """Confidence level of the intervals."""
        return float(self.results.confidence)

    def has(self, *columns: str) -> bool:
        """True when every column is in the replications table with at least one finite value."""
        reps = self.replications
        return all(c in reps.columns and np.isfinite(reps[c].to_numpy(dtype=float)).any() for c in columns)

    def metrics_present(self, metrics: tuple[str, ...] | list[str]) -> list[str]:
        """The metrics of ``metrics`` available in this folder (others are noted)."""
        out = []
        for m in metrics:
            if m in self.replications.columns:
                out.append(m)
            else:
                self.note(f"metric {m} is not in replications.parquet; left out")
        return out

    def note(self, text: str) -> None:
        """Record something the report could not show (once)."""
        if text not in self.notes:
            self.notes.append(text)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Per plan and metric: mean, CI, P10/P50/P90, n."""
        return self.results.summary()

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """Paired differences of every plan against the baseline."""
        if not self.others:
            return pd.DataFrame(columns=["plan", "metric", "diff", "ci_low", "ci_high", "significant"])
        return self.results.comparison()

    def detail(self, kind: str) -> pd.DataFrame:
        """Rows of one kind of the details table: plan, replication, key, values (list)."""
        det = self.results.details
        if det is None or len(det) == 0 or "kind" not in det.columns:
            raise MissingData("the folder has no details.parquet (per-replication distributions)")
        sub = det[det["kind"] == kind]
        if sub.empty:
            raise MissingData(f"details.parquet has no {kind}")
        return sub[["plan", "replication", "key", "values"]]

    def samples(self, key: str) -> dict[str, np.ndarray]:
        """A distribution's samples pooled over replications, per plan (plans without any omitted)."""
        sub = self.detail("distributions")
        sub = sub[sub["key"] == key]
        out: dict[str, np.ndarray] = {}
        for plan in self.plans:
            vals = [np.asarray(v, dtype=float) for v in sub.loc[sub["plan"] == plan, "values"]]
            arr = np.concatenate(vals) if vals else np.empty(0)
            arr = arr[np.isfinite(arr)]
            if arr.size:
                out[plan] = arr
        if not out:
            raise MissingData(f"no samples of the distribution {key!r}")
        return out

    def scalars(self, kind: str) -> pd.DataFrame:
        """A scalar detail kind (payouts, people_pay) as plan, replication, key, value."""
        sub = self.detail(kind)
        return pd.DataFrame(
            {
                "plan": sub["plan"].to_numpy(),
                "replication": sub["replication"].to_numpy(dtype=np.int64),
                "key": sub["key"].astype(str).to_numpy(),
                "value": np.asarray([float(v[0]) if len(v) else np.nan for v in sub["values"]], dtype=float),
            }
        )

    def series(self, name: str) -> dict[str, np.ndarray]:
        """A monthly series per plan as a (replications x months) array, rows sorted by replication."""
        sub = self.detail("timeseries")
        sub = sub[sub["key"] == name]
        out: dict[str, np.ndarray] = {}
        for plan in self.plans:
            mine = sub[sub["plan"] == plan].sort_values("replication")
            if mine.empty:
                continue
            rows = [np.asarray(v, dtype=float) for v in mine["values"]]
            width = max(len(r) for r in rows)
            arr = np.full((len(rows), width), np.nan)
            for i, r in enumerate(rows):
                arr[i, : len(r)] = r
            out[plan] = arr
        if not out:
            raise MissingData(f"details.parquet has no monthly series {name!r}")
        return out

    @cached_property
    def people_diffs(self) -> pd.DataFrame:
        """Per non-baseline plan, replication and person: variable pay per year under the plan and
        under the baseline and their difference, for the same people under both.

        The people compared are those on staff at the start of the simulation (hired on day 0):
        common random numbers give them the same ids in replication k of every plan, whereas later
        hires differ between plans. Someone paid nothing under a plan (gone, or no variable pay)
        counts as $0 there. Folders without the ``people`` roster (older versions) fall back to
        everyone paid under either plan (noted)."""
        pay = self.scalars("people_pay")
        pay["value"] = pay["value"] / self.years
        try:
            staff = self.detail("people")
        except MissingData:
            staff = None
            self.note("winners and losers: no staff roster in this folder; later hires are included")
        frames = []
        for plan in self.others:
            for rep in sorted(set(pay.loc[pay["plan"] == self.baseline, "replication"])):
                mine = pay[(pay["plan"] == plan) & (pay["replication"] == rep)]
                base = pay[(pay["plan"] == self.baseline) & (pay["replication"] == rep)]
                if staff is not None:
                    roster = staff[(staff["plan"] == self.baseline) & (staff["replication"] == rep)]
                    if roster.empty or staff[(staff["plan"] == plan) & (staff["replication"] == rep)].empty:
                        continue
                    pairs = zip(roster["key"], roster["values"], strict=True)
                    keys = sorted(k for k, v in pairs if v[0] <= 0)
                elif mine.empty:
                    continue
                else:
                    keys = sorted(set(mine["key"]) | set(base["key"]))
                b = dict(zip(base["key"], base["value"], strict=True))
                m = dict(zip(mine["key"], mine["value"], strict=True))
                frames.append(
                    pd.DataFrame(
                        {
                            "plan": plan,
                            "replication": rep,
                            "person": keys,
                            "value_base": [float(b.get(k, 0.0)) for k in keys],
                            "value_plan": [float(m.get(k, 0.0)) for k in keys],
                        }
                    )
                )
        if not frames:
            raise MissingData("no replication has people pay under both a plan and the baseline")
        out = pd.concat(frames, ignore_index=True)
        out["diff"] = out["value_plan"] - out["value_base"]
        out["role"] = out["person"].str.split(":").str[0]
        return out


def load(folder: Path, results: RunResults | None = None) -> ReportData:
    """Read a results folder (or use ``results`` already in memory) for the report."""
    check_folder(folder)
    if results is not None:
        return ReportData(results)
    try:
        res = RunResults.load(folder)
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotAResultsFolder(f"{CONFIG_FILE} is not a valid scenario ({first})") from exc
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotAResultsFolder(f"cannot read the results tables ({first})") from exc
    return ReportData(res)
