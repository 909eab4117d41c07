"""Subcommands beyond ``validate`` and ``schema``; each module exports ``register(sub)``.

``sim.cli`` imports this package and calls every function in :data:`COMMANDS` to add
subparsers. A module here may import heavy dependencies only inside its command function,
so ``incentsim --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

_MODULES = ("run", "backtest", "report", "validate_model", "sensitivity", "optimise", "calibrate")

COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []
for _name in _MODULES:
    try:
        _mod = importlib.import_module(f"sim.commands.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"sim.commands.{_name}":
            raise
        continue
    COMMANDS.append(_mod.register)
