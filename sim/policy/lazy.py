"""Lazily built decision options.

Describing every option of a decision in measure vocabulary costs a few microseconds per
outcome, and a deal-terms decision has dozens of options. A policy that never looks at
the options (the neutral policy) should not pay for them, so the world hands decisions a
:class:`LazyOptions`: a read-only sequence that builds its tuple on first access. For a
policy it behaves like the tuple (``len``, indexing, iteration, equality).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import cast, overload

from sim.policy.decisions import Option, OptionTable


class LazyOptions(Sequence[Option]):
    """A sequence of options built by ``build`` the first time an element is needed."""

    __slots__ = ("_build", "_items", "_n")

    def __init__(self, build: Callable[[], tuple[Option, ...]], n: int) -> None:
        self._build: Callable[[], tuple[Option, ...]] | None = build
        self._items: tuple[Option, ...] | None = None
        self._n = n

    def materialise(self) -> tuple[Option, ...]:
        """The options as a tuple (built once)."""
        if self._items is None:
            assert self._build is not None
            self._items = self._build()
            self._build = None
            if len(self._items) != self._n:
                raise ValueError(f"expected {self._n} options, built {len(self._items)}")
        return self._items

    def __len__(self) -> int:
        return self._n

    def head(self, i: int) -> Option:
        """Option ``i``'s label, effort and value (its outcomes need not be built to read them)."""
        return self.materialise()[i]

    @overload
    def __getitem__(self, i: int) -> Option: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Option]: ...
    def __getitem__(self, i: int | slice) -> Option | Sequence[Option]:
        return self.materialise()[i]

    def __iter__(self) -> Iterator[Option]:
        return iter(self.materialise())

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    def __hash__(self) -> int:
        return hash(self.materialise())

    def __reduce__(self) -> tuple[type, tuple[tuple[Option, ...]]]:
        return (tuple, (self.materialise(),))


def lazy_options(build: Callable[[], tuple[Option, ...]], n: int) -> tuple[Option, ...]:
    """Options for a :class:`sim.policy.decisions.Decision`, built only when a policy reads them."""
    return cast(tuple[Option, ...], LazyOptions(build, n))


class TableOptions(LazyOptions):
    """The options of a decision given as a table (``table`` builds it): labels, effort and value
    from ``labels``, outcomes from the table, built only when a policy reads the objects."""

    __slots__ = ("_labels", "_table")

    def __init__(self, table: Callable[[], OptionTable], labels: tuple[Option, ...]) -> None:
        self._table = table
        self._labels = labels
        self._build = None
        self._items = None
        self._n = len(labels)

    def head(self, i: int) -> Option:
        """Option ``i`` without its outcomes (label, effort and value: nothing is built)."""
        return self._labels[i]

    def materialise(self) -> tuple[Option, ...]:
        """The options as a tuple (built once)."""
        if self._items is None:
            tab = self._table()
            self._items = tuple(
                Option(o.label, tab.outcomes(i), o.effort_kusd, o.value) for i, o in enumerate(self._labels)
            )
        return self._items


def table_options(table: Callable[[], OptionTable], labels: tuple[Option, ...]) -> tuple[Option, ...]:
    """The options of a decision given as a table, as objects for policies that read them:
    labels, effort and value from ``labels``, outcomes from the table, built only on demand."""
    return cast(tuple[Option, ...], TableOptions(table, labels))
