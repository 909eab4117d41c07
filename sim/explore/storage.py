"""Where an optimisation's study lives: Optuna's RDB storage (SQLite ``study.db`` in the results
folder by default), and who drives it from a folder."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sim.explore.extra import require
from sim.files import atomic_write_text

STUDY_FILE = "study.db"
DRIVER_FILE = ".study-driver"


def driver_token(folder: Path | None) -> str:
    """Who runs the study from this folder (kept in the folder, so a resume knows its own trials
    from those of another driver sharing a ``--storage``)."""
    if folder is None:
        return uuid.uuid4().hex
    path = folder / DRIVER_FILE
    if path.exists():
        return path.read_text("utf-8").strip()
    token = uuid.uuid4().hex
    atomic_write_text(path, token)
    return token


def open_storage(out: Path | None, url: str | None) -> Any:
    """The study's storage: ``url`` (any SQLAlchemy URL), else SQLite in the results folder, else in
    memory."""
    optuna = require("optuna", "incentsim optimise")
    url = url or (f"sqlite:///{(out / STUDY_FILE).resolve()}" if out is not None else None)
    if url is None:
        return optuna.storages.InMemoryStorage()
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
