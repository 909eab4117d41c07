"""The validation framework: cases, checks and the comparisons they make.

A *case* (:class:`Case`) is one thing the simulator must get right: an exact formula with
features switched off, a published finding, a benchmark band or a piece of the statistical
machinery. Running it gives a :class:`CaseResult` of one or more :class:`Check` rows, each
with what was expected, what was simulated (a mean with its 95% t-interval over
replications) and whether it passed. ``incentsim validate-model`` prints them and
``tests/validation`` asserts them.

Cases register themselves with :func:`case` when their module is imported
(``sim.validation`` imports them all).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats as sps

from sim.experiment.stats import t_interval

Group = Literal["exact", "finding", "band", "statistics"]
GROUPS: tuple[str, ...] = ("exact", "finding", "band", "statistics")
CONFIDENCE = 0.95

PLAIN_DEALS: dict[str, Any] = {
    "discount_options": [0.0],
    "promise_options": [0.0],
    "overcommit_options": [0.0],
    "neutral_discount": 0.0,
    "neutral_promise": 0.0,
    "neutral_overcommit": 0.0,
    "neutral_pursue_min_fit": 0.0,
}
"""``behaviour.ae`` settings of the exact cases: every lead pursued, no discount (so no price
increase at renewal), no promise and no overcommitment, so win and churn rates are the
segment's base rates."""


@dataclass(frozen=True)
class Check:
    """One comparison of a simulated quantity with what it should be."""

    name: str
    """What is compared, e.g. ``"GRR, one-year cohort"``."""
    expected: str
    """The expectation as text: a formula value (``"0.8550"``), a sign (``"> 0"``) or a band."""
    simulated: float
    """The simulated value (a mean over replications, or one number)."""
    low: float = math.nan
    """Lower end of the simulated value's 95% interval (NaN when there is none)."""
    high: float = math.nan
    n: int = 1
    """Replications (or samples) behind ``simulated``."""
    passed: bool = False
    detail: str = ""
    """How the verdict was reached (the test and its p-value, the formula used...)."""

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "name": self.name,
            "expected": self.expected,
            "simulated": self.simulated,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CaseResult:
    """The checks of one case and how long it took."""

    case: str
    title: str
    group: str
    source: str
    checks: tuple[Check, ...]
    seconds: float
    error: str = ""
    """Set when the case raised instead of finishing (then it has failed)."""
    known_failure: str = ""
    """The diagnosis of a documented model limitation: the case is expected to fail."""

    @property
    def passed(self) -> bool:
        """Every check passed (and there was at least one, and no error)."""
        return not self.error and bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def as_documented(self) -> bool:
        """Passed, or failed as a documented limitation predicts (a known failure that passes is
        not as documented: the limitation's write-up is stale)."""
        return self.passed != bool(self.known_failure) and not self.error

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "case": self.case,
            "title": self.title,
            "group": self.group,
            "source": self.source,
            "passed": self.passed,
            "known_failure": self.known_failure,
            "seconds": self.seconds,
            "error": self.error,
            "checks": [c.as_dict() for c in self.checks],
        }


CaseFn = Callable[[], Sequence[Check]]


@dataclass(frozen=True)
class Case:
    """A registered validation case."""

    id: str
    """Dotted id, e.g. ``"exact.retention.grr"``; the first part is the group."""
    title: str
    group: str
    source: str
    """Where the expectation comes from (a formula or a citation; see docs/validation.md)."""
    slow: bool
    fn: CaseFn = field(repr=False)
    known_failure: str = ""
    """Diagnosis of a finding the model does not reproduce (reported, never tuned away)."""

    def run(self) -> CaseResult:
        """Run the case and time it (an exception is re-raised: see :func:`run_case`)."""
        t0 = time.perf_counter()
        checks = tuple(self.fn())
        return CaseResult(
            self.id,
            self.title,
            self.group,
            self.source,
            checks,
            time.perf_counter() - t0,
            known_failure=self.known_failure,
        )


CASES: dict[str, Case] = {}
"""Every registered case by id, in registration order."""


def case(
    id: str, title: str, source: str, *, slow: bool = False, known_failure: str = ""
) -> Callable[[CaseFn], CaseFn]:
    """Register a function returning checks as a validation case.

    ``known_failure`` marks a documented model limitation with its diagnosis: the case still
    runs and is still reported as failing; the command and the tests expect it to fail."""
    group = id.split(".", 1)[0]
    if group not in GROUPS:
        raise ValueError(f"case id {id!r} must start with one of {', '.join(GROUPS)}")

    def register(fn: CaseFn) -> CaseFn:
        if id in CASES:
            raise ValueError(f"validation case {id!r} registered twice")
        CASES[id] = Case(id, title, group, source, slow, fn, known_failure)
        return fn

    return register


# ---------------------------------------------------------------------------------- comparisons
def _fmt(x: float, digits: int) -> str:
    return "nan" if math.isnan(x) else f"{x:.{digits}f}"


def covers(
    name: str,
    expected: float,
    samples: Sequence[float] | np.ndarray,
    *,
    digits: int = 4,
    detail: str = "",
) -> Check:
    """Pass when the exact value lies in the 95% t-interval of the samples' mean."""
    iv = t_interval(samples, CONFIDENCE)
    ok = bool(iv.n >= 2 and iv.low <= expected <= iv.high)
    return Check(name, _fmt(expected, digits), iv.mean, iv.low, iv.high, iv.n, ok, detail)


def equals(
    name: str, expected: float, value: float, *, tol: float, digits: int = 4, detail: str = ""
) -> Check:
    """Pass when a deterministic value equals the expected one within ``tol`` (absolute)."""
    ok = bool(math.isfinite(value) and abs(value - expected) <= tol)
    why = detail or f"|difference| <= {tol:g}"
    return Check(name, _fmt(expected, digits), value, n=1, passed=ok, detail=why)


def within(
    name: str,
    samples: Sequence[float] | np.ndarray,
    lo: float,
    hi: float,
    *,
    digits: int = 3,
    detail: str = "",
) -> Check:
    """Pass when the mean of the samples lies in the band ``[lo, hi]``."""
    iv = t_interval(samples, CONFIDENCE)
    ok = bool(lo <= iv.mean <= hi)
    return Check(
        name, f"{_fmt(lo, digits)} to {_fmt(hi, digits)}", iv.mean, iv.low, iv.high, iv.n, ok, detail
    )


def direction(
    name: str,
    differences: Sequence[float] | np.ndarray,
    sign: int,
    *,
    alpha: float = 0.05,
    expected: str = "",
    size: tuple[float, float] | None = None,
    digits: int = 4,
    detail: str = "",
) -> Check:
    """A paired difference with the expected sign, significant in a one-sided t-test at ``alpha``.

    With ``size`` the mean must also lie in ``[low, high]`` (the published rough size).
    """
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    iv = t_interval(d, CONFIDENCE)
    if iv.n < 2:
        return Check(name, expected or ("> 0" if sign > 0 else "< 0"), iv.mean, n=iv.n, passed=False)
    if iv.sd == 0:
        p = 0.0 if np.sign(iv.mean) == sign and iv.mean != 0 else 1.0
    else:
        tstat = iv.mean / (iv.sd / math.sqrt(iv.n))
        p = float(sps.t.sf(sign * tstat, iv.n - 1))
    ok = bool(p < alpha and np.sign(iv.mean) == sign)
    text = expected or ("> 0" if sign > 0 else "< 0")
    if size is not None:
        ok = ok and size[0] <= iv.mean <= size[1]
        text = f"{text}, size {_fmt(size[0], digits)} to {_fmt(size[1], digits)}"
    why = f"one-sided paired t-test p = {p:.3g} (alpha {alpha:g})"
    return Check(name, text, iv.mean, iv.low, iv.high, iv.n, ok, f"{why}; {detail}" if detail else why)


def metric_samples(results: Sequence[Any], metric: str) -> np.ndarray:
    """One metric over a list of :class:`~sim.result.ReplicationResult`."""
    return np.asarray([r.metrics[metric] for r in results], dtype=float)
