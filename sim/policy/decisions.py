"""Decision points: what the world asks and what the options are.

A decision names who decides, when, and each option's consequences in the vocabulary of plan
*measures* (:class:`MeasureOutcome`, or the same as columns of an :class:`OptionTable`); the
:class:`sim.policy.protocol.Policy` that answers returns the index of the chosen option.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from sim.vocabulary import MEASURES


@dataclass(slots=True)
class MeasureOutcome:
    """What an option would credit to the deciding person, if it happens.

    ``amount`` is in the measure's unit (dollars, a count, or a ratio change for book
    GRR/NRR). Times are days from the decision.
    """

    measure: str
    amount: float
    probability: float = 1.0
    """Probability the measure is credited at all (e.g. the win probability)."""
    delay_days: float = 0.0
    """Days until the measure is credited (the close day for a booking)."""
    spread_days: float = 0.0
    """The measure is realised evenly over this span after ``delay_days`` (revenue)."""
    discount: float = 0.0
    """Discount of the deal behind the measure (for discount-linked rates)."""
    go_live_delay_days: float = 0.0
    """Days from credit to go-live (for ``pays: at_go_live``)."""
    success_probability: float = 1.0
    """Probability the implementation counts as a success (for ``pays: after_success``)."""
    renewal_delay_days: float = 365.0
    """Days from credit to the first renewal (for ``pays: at_renewal``)."""
    cash_delay_days: float = 30.0
    """Days from credit to cash collection (for ``pays: on_cash``)."""
    churn_probability: float = 0.0
    """Probability the customer churns within a year of credit (clawback trigger)."""
    failure_probability: float = 0.0
    """Probability the implementation fails (clawback trigger)."""
    non_payment_probability: float = 0.0
    """Probability the customer does not pay (clawback trigger)."""
    term_months: int = 0
    """Contract term of the deal behind the measure (for multi-year spiffs); 0 = unknown."""


@dataclass(slots=True)
class Option:
    """One option of a decision: its consequences for the decider's pay, and its effort."""

    label: str
    outcomes: tuple[MeasureOutcome, ...] = ()
    effort_kusd: float = 0.0
    """Effort cost in thousands of dollars of pay-equivalent."""
    value: float = 0.0
    """The option's own parameter (a discount, a speed multiplier), for neutral policies."""


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MeasureOutcome) if f.name != "measure")
"""The numeric fields of a :class:`MeasureOutcome`: the rows of an :class:`OutcomeColumn`."""
ROW = {name: k for k, name in enumerate(FIELDS)}
"""Row of each field in :attr:`OutcomeColumn.data`."""
MEASURE_CODE = {m: i for i, m in enumerate(MEASURES)}
_SHAPES: dict[tuple[int, tuple[str, ...]], tuple[NDArray[np.bool_], NDArray[np.int64]]] = {}
"""The ``present`` mask and measure codes of tables made with :meth:`OptionTable.of_stacked`, shared."""
_FIELDS_OF = attrgetter(*FIELDS)
_DEFAULTS = np.array(_FIELDS_OF(MeasureOutcome("", 0.0)), dtype=np.float64)


class OutcomeColumn:
    """One measure credit per option of a decision: the fields of :class:`MeasureOutcome` as
    rows of one array (``data[ROW[field], option]``), and which options have the credit at all
    (``present``; an absent one is valued at exactly 0)."""

    __slots__ = ("data", "measure", "present")

    def __init__(self, measure: str, data: NDArray[np.float64], present: NDArray[np.bool_]) -> None:
        self.measure = measure
        self.data = data
        self.present = present

    @classmethod
    def build(cls, measure: str, n: int, **values: object) -> OutcomeColumn:
        """A column of ``n`` options: each named field an array or a scalar (repeated), the rest
        at :class:`MeasureOutcome`'s defaults."""
        data = np.repeat(_DEFAULTS[:, None], n, axis=1)
        for name, value in values.items():
            if name != "present":
                data[ROW[name]] = value  # type: ignore[call-overload]
        present = values.get("present")
        mask = np.ones(n, dtype=bool) if present is None else np.asarray(present, dtype=bool)
        return cls(measure, data, mask)

    def with_values(self, measure: str, **values: object) -> OutcomeColumn:
        """A copy for ``measure`` with some fields replaced (a template filled for one case)."""
        data = self.data.copy()
        for name, value in values.items():
            data[ROW[name]] = value  # type: ignore[call-overload]
        return OutcomeColumn(measure, data, self.present)

    def __getattr__(self, name: str) -> NDArray[np.float64]:
        k = ROW.get(name)
        if k is None:
            raise AttributeError(name)
        return self.data[k]

    def take(self, rows: NDArray[np.int64]) -> OutcomeColumn:
        """The column for a selection of options (row ``-1``: an option without the outcome)."""
        safe = np.maximum(rows, 0)
        data = self.data[:, safe]
        data[ROW["probability"]] = np.where(rows >= 0, data[ROW["probability"]], 0.0)
        return OutcomeColumn(self.measure, data, (rows >= 0) & self.present[safe])

    def outcome(self, i: int) -> MeasureOutcome | None:
        """Option ``i``'s outcome as an object (None when absent)."""
        if not self.present[i]:
            return None
        vals: dict[str, float | int] = dict(zip(FIELDS, self.data[:, i].tolist(), strict=True))
        vals["term_months"] = int(vals["term_months"])
        return MeasureOutcome(self.measure, **vals)  # type: ignore[arg-type]


class OptionTable:
    """The options of a decision as columns: what a policy values in one pass.

    ``columns`` hold the measure credits (one :class:`OutcomeColumn` per credit an option may
    earn), ``effort_kusd`` each option's effort. A table made with :meth:`take` remembers its
    ``source`` and ``rows``: a policy that valued the source reuses those values, and the
    table's own columns are built only if someone reads them.
    """

    __slots__ = ("_columns", "_names", "_stacked", "effort_kusd", "rows", "source")

    def __init__(
        self,
        columns: tuple[OutcomeColumn, ...] | None,
        effort_kusd: NDArray[np.float64],
        source: OptionTable | None = None,
        rows: NDArray[np.int64] | None = None,
    ) -> None:
        self._columns = columns
        self.effort_kusd = effort_kusd
        self.source = source
        self.rows = rows
        self._stacked: tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64]] | None = None
        self._names: tuple[str, ...] = ()

    def stacked(self) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64]]:
        """The columns as one array ``[column, field, option]``, their ``present`` masks
        ``[column, option]`` and their measures' codes (``sim.vocabulary.MEASURES``)."""
        if self._stacked is None:
            cols = self.columns
            n = self.n
            if cols:
                data = np.stack([c.data for c in cols])
                present = np.stack([c.present for c in cols])
            else:
                data = np.zeros((0, len(FIELDS), n))
                present = np.zeros((0, n), dtype=np.bool_)
            codes = np.array([MEASURE_CODE[c.measure] for c in cols], dtype=np.int64)
            self._stacked = (np.ascontiguousarray(data, dtype=np.float64), present, codes)
        return self._stacked

    @property
    def earns_nothing(self) -> bool:
        """No option earns a credit (no column, and no source table to take columns from): the
        options are worth nothing under any plan, whatever its pay state."""
        return self.source is None and not len(self.stacked()[2])

    @classmethod
    def of_stacked(
        cls, data: NDArray[np.float64], measures: Sequence[str], effort_kusd: NDArray[np.float64]
    ) -> OptionTable:
        """A table given as ``data[column, field, option]`` (every option has every column's credit)."""
        table = cls(None, effort_kusd)
        key = (data.shape[2], tuple(measures))
        shared = _SHAPES.get(key)
        if shared is None:
            present = np.ones((data.shape[0], data.shape[2]), dtype=np.bool_)
            codes = np.array([MEASURE_CODE[m] for m in measures], dtype=np.int64)
            shared = _SHAPES[key] = (present, codes)
        table._stacked = (data, shared[0], shared[1])
        table._names = key[1]
        return table

    @property
    def columns(self) -> tuple[OutcomeColumn, ...]:
        """The measure credits, one column each."""
        if self._columns is None:
            if self._stacked is not None:
                data, present, _ = self._stacked
                self._columns = tuple(
                    OutcomeColumn(m, data[c], present[c]) for c, m in enumerate(self._names)
                )
            else:
                assert self.source is not None and self.rows is not None
                self._columns = tuple(c.take(self.rows) for c in self.source.columns)
        return self._columns

    @property
    def n(self) -> int:
        """Number of options."""
        return len(self.effort_kusd)

    def take(
        self, rows: Sequence[int] | NDArray[np.int64], effort_kusd: Sequence[float] | NDArray[np.float64]
    ) -> OptionTable:
        """Options made of rows of this table (``-1``: an option with no outcome), with their effort."""
        return OptionTable(None, np.asarray(effort_kusd, dtype=float), self, np.asarray(rows, dtype=np.int64))

    def outcomes(self, i: int) -> tuple[MeasureOutcome, ...]:
        """Option ``i``'s outcomes as objects."""
        return tuple(o for o in (c.outcome(i) for c in self.columns) if o is not None)

    @classmethod
    def from_options(cls, options: Sequence[Option]) -> OptionTable:
        """The table of options given as objects (the k-th outcome of a measure in each option
        goes to the same column)."""
        n = len(options)
        slots: dict[tuple[str, int], dict[int, MeasureOutcome]] = {}
        for i, opt in enumerate(options):
            seen: dict[str, int] = {}
            for o in opt.outcomes:
                k = seen.get(o.measure, 0)
                seen[o.measure] = k + 1
                slots.setdefault((o.measure, k), {})[i] = o
        columns = []
        absent = (0.0,) * len(FIELDS)
        for (measure, _), by_option in slots.items():
            grid = np.array(
                [_FIELDS_OF(by_option[i]) if i in by_option else absent for i in range(n)], dtype=np.float64
            )
            present = np.array([i in by_option for i in range(n)], dtype=bool)
            columns.append(OutcomeColumn(measure, np.ascontiguousarray(grid.T), present))
        return cls(tuple(columns), np.array([o.effort_kusd for o in options], dtype=float))


@dataclass(slots=True)
class Decision:
    """A decision put to one person."""

    kind: str
    """``pursue``, ``deal_terms``, ``close_timing``, ``implementation_speed``, ``csm_split``,
    ``marketing_volume``."""
    day: float
    role: str
    person: int
    options: tuple[Option, ...]
    neutral: int = 0
    """Index of the option a person who ignores incentives would take."""
    attrs: dict[str, float] = field(default_factory=dict)
    """Situation details (fit, segment, list price...) for policies and logs."""
    table: OptionTable | Callable[[], OptionTable] | None = None
    """The options as columns (or what builds them on demand), when the world built them so:
    the same options as ``options``."""

    def option_table(self) -> OptionTable:
        """The options as columns (built from ``options`` when the world gave none)."""
        if self.table is None:
            return OptionTable.from_options(self.options)
        return self.table if isinstance(self.table, OptionTable) else self.table()
