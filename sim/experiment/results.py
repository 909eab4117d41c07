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

import dataclasses
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim.experiment import stats
from sim.files import TMP_SUFFIX, atomic_write_bytes, atomic_write_text
from sim.scenario.experiment import METRICS
from sim.scenario.load import dump_scenario
from sim.scenario.schema import Scenario
from sim.world.result import ReplicationResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.experiment.decide import Decision

CONFIG_FILE = "config.resolved.yaml"
METADATA_FILE = "metadata.json"
CHECKPOINT_DIR = "checkpoints"
_CHUNK = re.compile(r"^chunk-(\d{6,})\.parquet$")


# --- atomic files (the one helper lives in sim.files) -----------------------------------------


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """A DataFrame as Parquet bytes (zstd, no pandas index)."""
    buf = io.BytesIO()
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def atomic_write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet, atomically."""
    atomic_write_bytes(path, parquet_bytes(df))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_json(data: Any, indent: int | None = None) -> str:
    """JSON text; floats keep their exact value (NaN and infinities as JavaScript literals).

    For checkpoints only (an exact round trip); files people read use :func:`to_strict_json`.
    """
    return json.dumps(data, default=_json_default, indent=indent, allow_nan=True)


def _finite(data: Any) -> Any:
    """``data`` with every NaN or infinite float (numpy too) replaced by None."""
    if isinstance(data, float | np.floating):
        return float(data) if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    if isinstance(data, np.ndarray):
        return [_finite(v) for v in data.tolist()]
    return data


def to_strict_json(data: Any, indent: int | None = None) -> str:
    """Standard JSON: an undefined number (NaN, infinity) is ``null`` (see docs/metrics.md)."""
    return json.dumps(_finite(data), default=_json_default, indent=indent, allow_nan=False)


def csv_text(df: pd.DataFrame) -> str:
    """A table as CSV text; an undefined number (NaN, infinity) is an empty cell."""
    numeric = df.select_dtypes(include="number").columns
    clean = df.copy()
    if len(numeric):
        clean[numeric] = clean[numeric].replace([np.inf, -np.inf], np.nan)
    return clean.to_csv(index=False, na_rep="")


# --- checkpoints ----------------------------------------------------------------------------


def result_to_json(result: ReplicationResult) -> str:
    """A ReplicationResult as JSON text (exact float round trip)."""
    return to_json(dataclasses.asdict(result))


def result_from_json(text: str) -> ReplicationResult:
    """Inverse of :func:`result_to_json`."""
    data = json.loads(text)
    return ReplicationResult(**data)


class CheckpointStore:
    """Completed replications, one Parquet file per finished task, written atomically.

    A file is only ever seen complete (rename), so everything found is trusted; stale
    temporary files of a killed run are removed when the store is opened for a resume.
    """

    def __init__(self, folder: Path) -> None:
        self.dir = Path(folder) / CHECKPOINT_DIR
        self._next = 1

    def open(self) -> None:
        """Create the folder, drop stale temp files, continue numbering after existing chunks."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.dir.glob(f".*{TMP_SUFFIX}"):
            tmp.unlink()
        numbers = [int(m.group(1)) for p in self.dir.iterdir() if (m := _CHUNK.match(p.name))]
        self._next = max(numbers, default=0) + 1

    def files(self) -> list[Path]:
        """Complete chunk files in order."""
        if not self.dir.is_dir():
            return []
        return sorted(p for p in self.dir.iterdir() if _CHUNK.match(p.name))

    def load(self) -> dict[tuple[str, int], ReplicationResult]:
        """Every checkpointed result by (plan, replication)."""
        out: dict[tuple[str, int], ReplicationResult] = {}
        for path in self.files():
            table = pq.read_table(path).to_pydict()
            for plan, rep, text in zip(table["plan"], table["replication"], table["result"], strict=True):
                out[(str(plan), int(rep))] = result_from_json(str(text))
        return out

    def write(self, results: Sequence[ReplicationResult], seconds: Sequence[float]) -> Path | None:
        """Checkpoint successful results of one task (nothing when empty)."""
        if not results:
            return None
        df = pd.DataFrame(
            {
                "plan": [r.plan for r in results],
                "replication": np.asarray([r.replication for r in results], dtype=np.int64),
                "seconds": np.asarray(seconds, dtype=float),
                "result": [result_to_json(r) for r in results],
            }
        )
        return self.write_frame(df)

    def write_frame(self, df: pd.DataFrame) -> Path:
        """Write one chunk holding any table (atomically, under the next free number)."""
        path = self.dir / f"chunk-{self._next:06d}.parquet"
        while path.exists():  # never replace a chunk (the folder lock keeps writers apart)
            self._next += 1
            path = self.dir / f"chunk-{self._next:06d}.parquet"
        self._next += 1
        atomic_write_parquet(path, df)
        return path

    def frames(self) -> list[pd.DataFrame]:
        """Every chunk as a table, in order (for stores written with :meth:`write_frame`)."""
        return [pd.read_parquet(path) for path in self.files()]


# --- tables ---------------------------------------------------------------------------------


def _sorted(results: Iterable[ReplicationResult], plans: Sequence[str]) -> list[ReplicationResult]:
    order = {p: i for i, p in enumerate(plans)}
    return sorted(results, key=lambda r: (order.get(r.plan, len(order)), r.plan, r.replication))


def replications_table(results: Iterable[ReplicationResult], plans: Sequence[str]) -> pd.DataFrame:
    """One row per plan x replication (plan order of the scenario, then replication), columns
    ``plan``, ``replication``, every name in METRICS, then extra metrics in sorted order."""
    rows = _sorted(results, plans)
    extra = sorted({k for r in rows for k in r.metrics} - set(METRICS))
    columns: dict[str, Any] = {
        "plan": pd.Series([r.plan for r in rows], dtype="str"),
        "replication": np.asarray([r.replication for r in rows], dtype=np.int64),
    }
    for name in (*METRICS, *extra):
        columns[name] = np.asarray([_num(r.metrics.get(name)) for r in rows], dtype=float)
    return pd.DataFrame(columns)


def _num(value: Any) -> float:
    """A metric value as float; missing or None is NaN."""
    return math.nan if value is None else float(value)


def _padded(series: Sequence[Sequence[float]]) -> np.ndarray:
    width = max((len(s) for s in series), default=0)
    out = np.full((len(series), width), np.nan)
    for i, s in enumerate(series):
        out[i, : len(s)] = np.asarray(s, dtype=float)
    return out


def timeseries_table(results: Iterable[ReplicationResult], plans: Sequence[str]) -> pd.DataFrame:
    """Per plan, series and month: mean, P10 and P90 across replications (NaN-safe)."""
    rows = _sorted(results, plans)
    frames = []
    for plan in plans:
        mine = [r for r in rows if r.plan == plan]
        names = sorted({k for r in mine for k in r.timeseries})
        for name in names:
            data = _padded([r.timeseries.get(name, []) for r in mine])
            if data.shape[1] == 0:
                continue
            finite = np.isfinite(data)
            count = finite.sum(axis=0)
            safe = np.where(finite, data, 0.0)
            mean = np.where(count > 0, safe.sum(axis=0) / np.maximum(count, 1), np.nan)
            p10 = np.full(data.shape[1], np.nan)
            p90 = np.full(data.shape[1], np.nan)
            for m in np.flatnonzero(count > 0):
                col = data[finite[:, m], m]
                p10[m], p90[m] = np.percentile(col, [10, 90])
            frames.append(
                pd.DataFrame(
                    {
                        "plan": plan,
                        "month": np.arange(data.shape[1], dtype=np.int64),
                        "series": name,
                        "mean": mean,
                        "p10": p10,
                        "p90": p90,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(
            {
                "plan": pd.Series(dtype=object),
                "month": pd.Series(dtype=np.int64),
                "series": pd.Series(dtype=object),
                "mean": pd.Series(dtype=float),
                "p10": pd.Series(dtype=float),
                "p90": pd.Series(dtype=float),
            }
        )
    return pd.concat(frames, ignore_index=True)


DETAIL_KINDS: tuple[str, ...] = ("distributions", "payouts", "people_pay", "people", "timeseries")


def details_table(results: Iterable[ReplicationResult], plans: Sequence[str]) -> pd.DataFrame:
    """Raw per-replication payloads in long form: plan, replication, kind, key, values (a list;
    one element for ``payouts`` and ``people_pay``)."""
    plan_col: list[str] = []
    rep_col: list[int] = []
    kind_col: list[str] = []
    key_col: list[str] = []
    values: list[list[float]] = []
    for r in _sorted(results, plans):
        for kind in DETAIL_KINDS:
            payload: Mapping[str, Any] = getattr(r, kind)
            for key in sorted(payload):
                v = payload[key]
                plan_col.append(r.plan)
                rep_col.append(r.replication)
                kind_col.append(kind)
                key_col.append(str(key))
                seq = isinstance(v, list | tuple | np.ndarray)
                values.append([float(x) for x in v] if seq else [float(v)])
    table = pa.table(
        {
            "plan": pa.array(plan_col, pa.string()),
            "replication": pa.array(rep_col, pa.int64()),
            "kind": pa.array(kind_col, pa.string()),
            "key": pa.array(key_col, pa.string()),
            "values": pa.array(values, pa.list_(pa.float64())),
        }
    )
    return table.to_pandas()


# --- Results --------------------------------------------------------------------------------


class Results:
    """The outcome of an experiment, in memory; ``Results.load(folder)`` reads a results folder.

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
    ) -> Results:
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

    def decision(self, objective: str | None = None) -> Decision:
        """Trade-offs, frontier, probability best and verdicts (:mod:`sim.experiment.decide`)."""
        from sim.experiment.decide import Decision

        return Decision(self, objective)

    def _repr_html_(self) -> str:
        from sim.report.notebook import results_html

        return results_html(self)

    def __repr__(self) -> str:
        n = self.replications.groupby("plan").size().to_dict() if len(self.replications) else {}
        return f"Results({self.scenario.name!r}, plans={self.plans}, replications={n})"

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
    def load(cls, folder: str | Path) -> Results:
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

    # --- plots ----------------------------------------------------------------------------

    def plot_metric(self, metric: str = "nrr") -> Figure:
        """Forest plot: each plan's mean with its interval, and the paired difference vs baseline,
        in the metric's units (:func:`sim.report.notebook.plot_metric`)."""
        from sim.report.notebook import plot_metric

        return plot_metric(self, metric)

    def plot_arr(self, series: str = "arr") -> Figure:
        """ARR (or another monthly series) per plan with a P10-P90 band, in $, and the paired
        difference from the baseline with its confidence band (:func:`sim.report.notebook.plot_arr`)."""
        from sim.report.notebook import plot_arr

        return plot_arr(self, series)

    def plot_frontier(self) -> Figure:
        """Payout cost vs NRR and ending ARR, paired intervals, dominated plans marked."""
        from sim.report.notebook import plot_frontier

        return plot_frontier(self)


def read_config(folder: Path) -> str | None:
    """The text of a folder's ``config.resolved.yaml`` (None when absent)."""
    path = Path(folder) / CONFIG_FILE
    return path.read_text("utf-8") if path.exists() else None


def config_text(scenario: Scenario) -> str:
    """What ``config.resolved.yaml`` holds for a scenario."""
    return dump_scenario(scenario)
