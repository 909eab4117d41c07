"""Payout lines of one plan over a measurement window, held as columns, and their totals.

:class:`Payouts` is what :func:`sim.plans.engine.payouts_from_state` returns: every payment
(and clawback reversal) dated in the window plus base salary, sorted by (day, role, person),
with the totals the metrics read computed from the columns. :class:`PayoutLine` is one line
as an object, built only when someone asks for :attr:`Payouts.lines`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pandas only for the frames: a worker process never imports it
    import pandas as pd

BASE = "base"
DRAW = "draw"
"""Component name of the lines of a role's draw or guarantee (top-ups and recoveries)."""


@dataclass(slots=True)
class PayoutLine:
    """One payment (or clawback reversal, negative) to one person."""

    person: int
    role: str
    pay_month: int
    day: float
    component: str
    """Component name, ``spiff:<event>``, or ``base``."""
    measure: str
    measure_value: float
    """Measure units behind the line (a deal's ACV, a period's GRR...)."""
    rate: float
    """Effective rate (pay per unit, after tiers and discount bands) or bonus curve share."""
    amount: float
    reason: str


LINE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PayoutLine))


Render = Callable[[NDArray[np.integer[Any]], NDArray[np.float64]], list[str]]
"""Turns lines' reason codes (``why_i``, ``why_f``) into their reason texts."""


def _no_reasons(why_i: NDArray[np.integer[Any]], why_f: NDArray[np.float64]) -> list[str]:
    return [""] * len(why_f)


@dataclass
class LineColumns:
    """Payout lines as columns: numbers per line, names through small tables.

    ``component`` indexes ``component_names``, ``measure`` indexes ``measure_names``, ``role``
    indexes ``role_names``. The reason of each line is kept as codes (``why_i``, ``why_f``: what
    the engine knew) and written out as text by ``render`` only when asked (:attr:`reasons`).
    """

    person: NDArray[np.integer[Any]]
    role: NDArray[np.int64]
    pay_month: NDArray[np.integer[Any]]
    day: NDArray[np.float64]
    component: NDArray[np.int64]
    measure: NDArray[np.int64]
    measure_value: NDArray[np.float64]
    rate: NDArray[np.float64]
    amount: NDArray[np.float64]
    role_names: Sequence[str]
    component_names: Sequence[str]
    measure_names: Sequence[str]
    why_i: NDArray[np.integer[Any]]
    why_f: NDArray[np.float64]
    render: Render = _no_reasons

    NUMBERS = (
        "person", "role", "pay_month", "day", "component", "measure", "measure_value", "rate", "amount",
        "why_i", "why_f",
    )  # fmt: skip
    """The per-line arrays."""

    def __len__(self) -> int:
        return len(self.amount)

    @property
    def reasons(self) -> list[str]:
        """The reason of each line, as text."""
        return self.render(self.why_i, self.why_f)

    def take(self, rows: NDArray[np.int64]) -> LineColumns:
        """The lines ``rows`` (an index array), in that order."""
        arrays: dict[str, Any] = {name: getattr(self, name)[rows] for name in self.NUMBERS}
        return replace(self, **arrays)

    @classmethod
    def concat(cls, parts: Sequence[LineColumns], order: NDArray[np.int64] | None = None) -> LineColumns:
        """Lines of several parts with the same name tables, end to end; with ``order``, the
        joined lines at those positions (built a column at a time: a large table is never held
        twice)."""
        joined: dict[str, Any] = {}
        for name in cls.NUMBERS:
            column = np.concatenate([getattr(p, name) for p in parts])
            joined[name] = column if order is None else column[order]
            del column
        return replace(parts[0], **joined)

    @classmethod
    def empty(cls) -> LineColumns:
        """No lines."""
        z = np.zeros(0, dtype=np.int64)
        f = np.zeros(0, dtype=np.float64)
        return cls(z, z, z, f, z, z, f, f, f, (), (), (), np.zeros((0, 5), dtype=np.int64), f)


def _sequential_sum(values: NDArray[np.float64]) -> float:
    """Sum in order, as a Python loop would (not numpy's pairwise sum): totals match line by line."""
    return float(np.cumsum(values)[-1]) if len(values) else 0.0


def _by_key(keys: NDArray[np.int64], values: NDArray[np.float64], names: Sequence[str]) -> dict[str, float]:
    """Sums of ``values`` per key, in order of each key's first line (as a dict filled line by line)."""
    if len(keys) == 0:
        return {}
    uniq, first = np.unique(keys, return_index=True)
    sums = np.bincount(np.searchsorted(uniq, keys), weights=values, minlength=len(uniq))
    order = np.argsort(first, kind="stable")
    return {names[int(uniq[j])]: float(sums[j]) for j in order}


@dataclass
class Payouts:
    """Payout lines of one plan over a measurement window, with the totals built from them."""

    columns: LineColumns = field(default_factory=LineColumns.empty)
    attainment_samples: list[float] = field(default_factory=list)

    @property
    def lines(self) -> list[PayoutLine]:
        """The lines as objects (sorted by day, role, person)."""
        c = self.columns
        reasons = c.reasons
        return [
            PayoutLine(p, c.role_names[r], m, d, c.component_names[k], c.measure_names[ms], v, rt, a, why)
            for p, r, m, d, k, ms, v, rt, a, why in zip(
                c.person.tolist(), c.role.tolist(), c.pay_month.tolist(), c.day.tolist(),
                c.component.tolist(), c.measure.tolist(), c.measure_value.tolist(), c.rate.tolist(),
                c.amount.tolist(), reasons,
                strict=True,
            )
        ]  # fmt: skip

    def frames(self, size: int) -> Iterator[pd.DataFrame]:
        """The lines as DataFrames of at most ``size`` rows each, in order (one block at a time)."""
        for lo in range(0, len(self.columns), size):
            yield Payouts(self.columns.take(np.arange(lo, min(lo + size, len(self.columns))))).frame()

    def frame(self) -> pd.DataFrame:
        """The lines as a DataFrame (one row per line)."""
        import pandas as pd

        c = self.columns
        if not len(c):
            return pd.DataFrame(columns=list(LINE_FIELDS))
        return pd.DataFrame(
            {
                "person": c.person,
                "role": np.asarray(c.role_names, dtype=object)[c.role],
                "pay_month": c.pay_month,
                "day": c.day,
                "component": np.asarray(c.component_names, dtype=object)[c.component],
                "measure": np.asarray(c.measure_names, dtype=object)[c.measure],
                "measure_value": c.measure_value,
                "rate": c.rate,
                "amount": c.amount,
                "reason": c.reasons,
            },
            columns=list(LINE_FIELDS),
        )

    def _variable_mask(self) -> NDArray[np.bool_]:
        c = self.columns
        names = np.asarray([n == BASE for n in c.component_names], dtype=bool)
        return ~names[c.component] if len(c) else np.zeros(0, dtype=bool)

    def variable_total(self) -> float:
        """Variable pay (commissions, bonuses, spiffs) net of clawbacks."""
        return _sequential_sum(self.columns.amount[self._variable_mask()])

    def base_total(self) -> float:
        """Base salary paid in the window."""
        return _sequential_sum(self.columns.amount[~self._variable_mask()])

    def total(self) -> float:
        """Base plus variable pay."""
        return _sequential_sum(self.columns.amount)

    def by_role(self) -> dict[str, float]:
        """Variable pay net of clawbacks by role."""
        v = self._variable_mask()
        c = self.columns
        return _by_key(c.role[v], c.amount[v], c.role_names)

    def base_by_role(self) -> dict[str, float]:
        """Base salary by role."""
        b = ~self._variable_mask()
        c = self.columns
        return _by_key(c.role[b], c.amount[b], c.role_names)

    def by_component(self) -> dict[str, float]:
        """Variable pay net of clawbacks by ``role.component``."""
        v = self._variable_mask()
        c = self.columns
        n_comp = max(len(c.component_names), 1)
        keys = c.role[v] * n_comp + c.component[v]
        names = [f"{r}.{k}" for r in c.role_names for k in c.component_names]
        return _by_key(keys, c.amount[v], names)

    def by_person(self) -> dict[str, float]:
        """Variable pay net of clawbacks by ``role:id``."""
        v = self._variable_mask()
        c = self.columns
        persons = c.person[v]
        roles = c.role[v]
        if not len(persons):
            return {}
        top = int(persons.max()) + 1
        keys = roles * top + persons
        uniq, first = np.unique(keys, return_index=True)
        sums = np.bincount(np.searchsorted(uniq, keys), weights=c.amount[v], minlength=len(uniq))
        return {
            f"{c.role_names[int(k // top)]}:{int(k % top)}": float(sums[j])
            for j, k in sorted(enumerate(uniq.tolist()), key=lambda x: int(first[x[0]]))
        }

    def clawback_total(self) -> float:
        """Sum of clawback reversals (a negative number or zero; a draw's recoveries are not)."""
        c = self.columns
        v = self._variable_mask()
        if len(c) and DRAW in c.component_names:
            v &= c.component != list(c.component_names).index(DRAW)
        return _sequential_sum(c.amount[v & (c.amount < 0)])

    def attainment(self) -> list[float]:
        """Quota attainment per person and full quota period in the window."""
        return list(self.attainment_samples)

    def by_month(self) -> dict[int, float]:
        """Variable pay by pay month."""
        v = self._variable_mask()
        c = self.columns
        months = c.pay_month[v]
        if not len(months):
            return {}
        uniq, first = np.unique(months, return_index=True)
        sums = np.bincount(np.searchsorted(uniq, months), weights=c.amount[v], minlength=len(uniq))
        return {int(uniq[j]): float(sums[j]) for j in np.argsort(first, kind="stable")}

    def paid_by_month(self, first: int, count: int) -> list[float]:
        """All pay (base and variable, net of clawbacks) dated in months ``first .. first + count - 1``."""
        c = self.columns
        j = c.pay_month - first
        ok = (j >= 0) & (j < count)
        return np.bincount(j[ok], weights=c.amount[ok], minlength=count).tolist() if count > 0 else []
