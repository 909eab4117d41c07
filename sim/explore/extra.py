"""The ``explore`` extra: SALib, ema_workbench and Optuna, imported only when a command needs them."""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType

from sim.problems import Problem, ScenarioError

INSTALL = "pip install 'incentsim[explore]'"


def require(module: str, command: str) -> ModuleType:
    """Import ``module`` or stop with one line saying what to install (exit 2, no traceback)."""
    try:
        with warnings.catch_warnings():
            # ema_workbench announces optional parallel back-ends it does not find; we use none of them
            warnings.simplefilter("ignore", UserWarning)
            return importlib.import_module(module)
    except ImportError as exc:
        top = (exc.name or module).split(".")[0]
        raise ScenarioError(
            [
                Problem(
                    command, "(install)", f"needs the Python package {top!r} of the explore extra: {INSTALL}"
                )
            ]
        ) from None
