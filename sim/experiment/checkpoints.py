"""Completed replications on disk: one Parquet file per finished task under ``checkpoints/``,
written atomically, read back on resume (a result round-trips exactly through JSON)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.files import TMP_SUFFIX
from sim.formats import atomic_write_parquet, to_json
from sim.result import ReplicationResult

CHECKPOINT_DIR = "checkpoints"
_CHUNK = re.compile(r"^chunk-(\d{6,})\.parquet$")


def result_to_json(result: ReplicationResult) -> str:
    """A ReplicationResult as JSON text (exact float round trip).

    The text of ``to_json(dataclasses.asdict(result))``, without ``asdict``'s deep copy of every
    number (six times the cost, paid in the parent while the workers run)."""
    data = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    if result.ledger is not None:
        data["ledger"] = [
            dataclasses.asdict(e) if dataclasses.is_dataclass(e) and not isinstance(e, type) else e
            for e in result.ledger
        ]
    return to_json(data)


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
