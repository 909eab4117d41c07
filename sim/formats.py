"""File formats of the results the tool writes: Parquet, JSON (exact for checkpoints, strict for
people), CSV; each written atomically through :mod:`sim.files`."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.files import atomic_write_bytes


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
