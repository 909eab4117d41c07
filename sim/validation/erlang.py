"""Erlang's formulas for the M/M/c queue (Erlang B, Erlang C by recursion and directly) and the
queue's steady-state figures: offered load, utilisation, P(wait), Wq, Lq."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


WAITED = 1e-9
"""A project counts as having waited when its wait exceeds this many days."""


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability ``B(c, a)`` by the stable recursion
    ``B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1))`` (no factorials, no overflow)."""
    if c < 0:
        raise ValueError(f"servers must be >= 0, found {c}")
    if a < 0:
        raise ValueError(f"offered load must be >= 0, found {a:g}")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C probability of waiting ``C(c, a)`` in an M/M/c queue with offered load ``a = λ/μ``.

    From Erlang B: ``C = c·B / (c − a·(1 − B))`` for ``a < c``; 1 when ``a >= c`` (unstable:
    every arrival eventually waits).
    """
    if c < 1:
        raise ValueError(f"servers must be >= 1, found {c}")
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def erlang_c_direct(c: int, a: float) -> float:
    """The textbook sum for ``C(c, a)`` (``a < c``), in logs; a cross-check of :func:`erlang_c`."""
    if not 0 <= a < c:
        raise ValueError(f"need 0 <= a < c, found a={a:g}, c={c}")
    if a == 0:
        return 0.0
    log_terms = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    log_top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    m = max([*log_terms, log_top])
    top = math.exp(log_top - m)
    return top / (sum(math.exp(t - m) for t in log_terms) + top)


@dataclass(frozen=True)
class MMc:
    """Steady-state M/M/c quantities (rates per day)."""

    c: int
    lam: float
    mu: float

    @property
    def a(self) -> float:
        """Offered load λ/μ (= mean number in service)."""
        return self.lam / self.mu

    @property
    def rho(self) -> float:
        """Utilisation a/c."""
        return self.a / self.c

    @property
    def p_wait(self) -> float:
        """Erlang C: probability an arrival waits."""
        return erlang_c(self.c, self.a)

    @property
    def wq(self) -> float:
        """Mean wait in queue (days): C / (cμ − λ)."""
        return self.p_wait / (self.c * self.mu - self.lam) if self.rho < 1 else math.inf

    @property
    def lq(self) -> float:
        """Mean number waiting: λ·Wq."""
        return self.lam * self.wq
