"""Validation of the simulator against exact results, published findings and benchmark bands.

Importing this package registers every case (see :mod:`sim.validation.core`).
``incentsim validate-model`` runs them; ``tests/validation`` asserts them; each is described
and cited in ``docs/validation.md``.
"""

from __future__ import annotations

import importlib
import traceback

from sim.validation.core import CASES, Case, CaseResult, Check

_MODULES = (
    "rates",
    "retention",
    "lifetime",
    "movements",
    "queue",
    "docking",
    "findings",
    "larkin",
    "referral_churn",
    "pacing",
    "ratchet",
    "referrals",
    "fiscal",
    "bands",
    "statistics",
    "precision",
)

for _name in _MODULES:  # a listed module that is missing is an error, never a silent gap
    importlib.import_module(f"sim.validation.{_name}")


def select(patterns: list[str] | None = None, *, include_slow: bool = True) -> list[Case]:
    """Registered cases whose id matches any of the glob ``patterns`` (all when none)."""
    from fnmatch import fnmatch

    out = []
    for c in CASES.values():
        if not include_slow and c.slow:
            continue
        if patterns and not any(fnmatch(c.id, p) or c.id.startswith(p + ".") or c.id == p for p in patterns):
            continue
        out.append(c)
    return out


def run_case(case_id: str) -> CaseResult:
    """Run one case by id. A case that raises is recorded as failed with its traceback
    (the other cases go on), as a failed replication is in a run."""
    import time

    c = CASES[case_id]
    t0 = time.perf_counter()
    try:
        return c.run()
    except Exception:  # noqa: BLE001 - recorded with its traceback; the command exits 1
        return CaseResult(
            c.id,
            c.title,
            c.group,
            c.source,
            (),
            time.perf_counter() - t0,
            error=traceback.format_exc(),
            known_failure=c.known_failure,
        )


__all__ = ["CASES", "Case", "CaseResult", "Check", "run_case", "select"]
