"""Where a run came from, for ``metadata.json``: the code's git commit (from a clone, or from the
source an editable install points at), the versions of the packages that shape results, and the time."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path

CORE_PACKAGES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "pydantic",
    "simpy",
    "PyYAML",
    "rich",
    "matplotlib",
    "dask",
    "distributed",
)


@functools.cache
def git_commit() -> str | None:
    """The git commit of the code that runs: ``git rev-parse HEAD`` of the repository holding the
    package (an editable install or a checkout), else of the folder pip installed it from (a
    ``pip install .`` from a clone records that folder, or a VCS commit, in ``direct_url.json``)."""
    return code_commit(Path(__file__).resolve().parents[1], _install_origin())


def code_commit(package_dir: Path, origin: Path | str | None) -> str | None:
    """The commit of the package at ``package_dir`` (a repository's ``sim/``), else of the folder
    it was installed from (``origin``: a folder, or the commit id of a VCS install)."""
    if isinstance(origin, str):
        return origin
    for folder in (package_dir.parent, origin):
        if folder is not None and (folder / ".git").exists():
            sha = _rev_parse(folder)
            if sha:
                return sha
    return None


def _install_origin() -> Path | str | None:
    """Where pip installed incentsim from: a local folder (Path) or a VCS commit id (str)."""
    try:
        text = importlib_metadata.distribution("incentsim").read_text("direct_url.json")
    except importlib_metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    commit = (info.get("vcs_info") or {}).get("commit_id")
    if isinstance(commit, str) and commit:
        return commit
    url = str(info.get("url", ""))
    return Path(urllib.parse.unquote(urllib.parse.urlparse(url).path)) if url.startswith("file:") else None


def _rev_parse(folder: Path) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        proc = subprocess.run(
            [git, "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = proc.stdout.strip()
    return sha if proc.returncode == 0 and sha else None


def package_versions(names: Sequence[str] = CORE_PACKAGES) -> dict[str, str]:
    """Installed versions of the core dependencies (absent ones are skipped)."""
    return dict(_package_versions(tuple(names)))


@functools.cache
def _package_versions(names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in names:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return out


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
