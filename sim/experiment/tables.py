"""The tables of an experiment built from its replications: one row per plan x replication, the
monthly series across replications, and the raw per-replication payloads the report reads."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.result import ReplicationResult
from sim.scenario.experiment import METRICS


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
            full = count == data.shape[0]  # months every replication has: all at once
            if full.any():
                p10[full], p90[full] = np.percentile(data[:, full], [10, 90], axis=0)
            for m in np.flatnonzero((count > 0) & ~full):
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
                values.append(np.asarray(v, dtype=np.float64).tolist() if seq else [float(v)])
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
