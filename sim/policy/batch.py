"""Decisions taken together: the option tables of many situations, and a batch of decisions on them.

A day's leads give a sales team dozens of decisions of one kind at once (pursue, deal terms,
close timing). The world describes them as one :class:`OptionTables` (every situation's options
in measure vocabulary, stacked) and asks its policy for all of them with one
:meth:`sim.policy.protocol.Policy.choose_many`; a policy that values options prices the whole stack in
one compiled call. Each decision of a batch is also available as a plain
:class:`~sim.policy.decisions.Decision` (:meth:`DecisionBatch.decision`), for policies that answer one
decision at a time (:func:`sim.policy.protocol.one_at_a_time`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.policy.decisions import Decision, Option, OptionTable
from sim.policy.lazy import table_options


class OptionTables:
    """The option tables of many decision situations of one role, stacked: what a policy values
    in one pass for a whole batch of decisions (a day's leads).

    ``data[i, column, field, option]`` holds situation ``i``'s credits (one column per measure of
    ``measures``; every option has every column's credit), for person ``persons[i]`` deciding on
    ``days[i]``; the decisions of a :class:`DecisionBatch` choose among rows of these options.
    """

    __slots__ = ("data", "days", "measures", "persons", "role")

    def __init__(
        self,
        role: str,
        persons: NDArray[np.int64],
        days: NDArray[np.float64],
        data: NDArray[np.float64],
        measures: tuple[str, ...],
    ) -> None:
        self.role = role
        self.persons = persons
        self.days = days
        self.data = data
        self.measures = measures

    def __len__(self) -> int:
        return len(self.persons)

    def table(self, i: int) -> OptionTable:
        """Situation ``i``'s options as one :class:`OptionTable` (no effort)."""
        return OptionTable.of_stacked(self.data[i], self.measures, np.zeros(self.data.shape[3]))


@dataclass(slots=True)
class DecisionBatch:
    """Decisions of one kind taken together, one per selected situation of an :class:`OptionTables`.

    Decision ``j`` is situation ``which[j]``'s: its options are the rows ``rows`` of that
    situation's options (``-1``: an option with no outcome, as :meth:`OptionTable.take`), with
    ``effort_kusd`` per option, the neutral option ``neutral[j]`` and the labels (and each
    option's own parameter) in ``labels``. ``attrs`` holds situation details per situation of the
    tables (indexed like them), for policies and logs; ``values`` each decision's options' own
    parameter (``[decision, option]``) where it differs from decision to decision (else the
    labels' ``value``). The decisions are independent given the pay state: a policy may value
    them in any order.
    """

    kind: str
    tables: OptionTables
    which: NDArray[np.int64]
    rows: NDArray[np.int64]
    effort_kusd: NDArray[np.float64]
    neutral: NDArray[np.int64]
    labels: tuple[Option, ...]
    attrs: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    values: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.which)

    @property
    def role(self) -> str:
        """The deciders' role."""
        return self.tables.role

    def decision(self, j: int) -> Decision:
        """Decision ``j`` as a :class:`Decision` (its options built only if read)."""
        i = int(self.which[j])
        tabs = self.tables
        rows, effort = self.rows, self.effort_kusd

        def table() -> OptionTable:
            return tabs.table(i).take(rows, effort)

        labels = self.labels
        if self.values is not None:
            labels = tuple(
                Option(o.label, o.outcomes, o.effort_kusd, float(v))
                for o, v in zip(labels, self.values[j], strict=True)
            )
        return Decision(
            self.kind,
            float(tabs.days[i]),
            tabs.role,
            int(tabs.persons[i]),
            table_options(table, labels),
            int(self.neutral[j]),
            {k: float(v[i]) for k, v in self.attrs.items()},
            table,
        )
