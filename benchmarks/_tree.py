"""Which source tree a benchmark measures.

``compare.py`` runs every measurement in a child process whose ``$INCENTSIM_BENCH_TREE`` (and
``PYTHONPATH``) name the tree to measure: this checkout, or a temporary git worktree of the
reference commit. Run directly, a benchmark measures the checkout that holds it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

TREE_ENV = "INCENTSIM_BENCH_TREE"


def tree() -> Path:
    """Root of the tree to measure: ``$INCENTSIM_BENCH_TREE``, else the checkout holding this file."""
    return Path(os.environ.get(TREE_ENV) or Path(__file__).resolve().parents[1]).resolve()


def use_tree() -> Path:
    """Put the tree to measure first on ``sys.path`` (before any ``sim`` import) and return its root."""
    root = tree()
    if sys.path[:1] != [str(root)]:
        sys.path.insert(0, str(root))
    return root


def check_sim(root: Path) -> str:
    """The file ``sim`` was imported from; exits if it is not under ``root``."""
    import sim

    where = Path(sim.__file__).resolve()
    if not where.is_relative_to(root):
        raise SystemExit(f"error: sim imported from {where}, not from the tree under test {root}")
    return str(where)


def simulate_spec() -> str:
    """``module:function`` of the tree's replication function (it moved from ``sim.world`` to
    ``sim.replication``; the reference commit may have either)."""
    # by file, not importlib.util.find_spec: an editable install's finder would find this
    # checkout's module for a tree that lacks it
    return (
        "sim.replication:simulate" if (tree() / "sim" / "replication.py").exists() else "sim.world:simulate"
    )


def simulate_fn() -> Any:
    """The tree's replication function (:func:`simulate_spec`)."""
    import importlib

    module, _, name = simulate_spec().partition(":")
    return getattr(importlib.import_module(module), name)


def result_class() -> Any:
    """The tree's ``ReplicationResult`` (it moved from ``sim.world.result`` to ``sim.result``)."""
    import importlib

    module = "sim.result" if (tree() / "sim" / "result.py").exists() else "sim.world.result"
    return importlib.import_module(module).ReplicationResult
