"""The choice rule: an anchored logit (quantal response) over options valued in $k of pay.

Let ``U_i`` be option i's utility in thousands of dollars (expected pay, minus
``risk_aversion / 2 x variance``, minus effort) and ``n`` the neutral option (what a person who
ignores incentives does; the world encodes it in ``Decision.neutral``). With rationality
``λ`` (per $k):

* the gain from deviating is ``G = max_i U_i - U_n``; the person considers deviating with
  probability ``ω = 1 - exp(-λ G)`` (``ω = 0`` when the neutral option is already best or
  when ``λ = 0``);
* a deviating person chooses by the logit ``s_i ∝ exp(λ U_i)`` (neutral included);
* so ``P_i = (1 - ω) 1[i = n] + ω s_i``.

Properties: ``λ = 0`` gives the neutral option for every plan (incentives ignored), small
pay differences move little behaviour, ``λ -> ∞`` picks the best-paid option; choices
depend only on the decider's own utilities, so a change in another role's pay leaves them
identical. The chosen index comes from the world's uniform draw ``u`` by inverse CDF, with
the neutral option first, so common random numbers couple choices across plans.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True)
def probabilities(utilities, neutral, rationality, out):
    """``P_i`` of the anchored logit for utilities in $k, written to ``out``."""
    k = len(utilities)
    top = utilities[0]
    for i in range(1, k):
        if utilities[i] > top:
            top = utilities[i]
    gain = top - utilities[neutral]
    out[:] = 0.0
    if rationality <= 0 or gain <= 0 or not math.isfinite(gain):
        out[neutral] = 1.0
        return
    omega = -math.expm1(-rationality * gain)
    z = 0.0
    for i in range(k):
        out[i] = math.exp(rationality * (utilities[i] - top))
        z += out[i]
    for i in range(k):
        out[i] = omega * out[i] / z
    out[neutral] += 1.0 - omega


@njit(cache=True)
def anchored_choice(utilities, neutral, rationality, u):
    """The chosen option: inverse CDF of the anchored logit at ``u``, the neutral option first."""
    k = len(utilities)
    probs = np.empty(k)
    probabilities(utilities, neutral, rationality, probs)
    cum = 0.0
    last = neutral
    for j in range(k):
        i = neutral if j == 0 else (j - 1 if j - 1 < neutral else j)
        cum += probs[i]
        if u < cum:
            return i
        if probs[i] > 0:
            last = i  # rounding left u above the total: the last option with positive probability
    return last


@njit(cache=True)
def option_utilities(mean, sd, rows, effort, risk, out):
    """Utility in $k of options whose expected pay and its standard deviation (USD) are
    ``mean[rows[i]]``, ``sd[rows[i]]`` (row -1: nothing), with ``effort`` in $k, into ``out``:
    utility = pay/1000 - risk/2 x (sd/1000)^2 - effort."""
    half = 0.5 * risk
    for i in range(len(rows)):
        r = rows[i]
        m = mean[r] if r >= 0 else 0.0
        s = sd[r] if r >= 0 else 0.0
        mean_k, sd_k = m / 1000.0, s / 1000.0
        out[i] = mean_k - half * sd_k * sd_k - effort[i]


@njit(cache=True)
def choose_option(mean, sd, rows, effort, risk, neutral, rationality, u):
    """The anchored-logit choice among options valued by :func:`option_utilities`."""
    utilities = np.empty(len(rows))
    option_utilities(mean, sd, rows, effort, risk, utilities)
    return anchored_choice(utilities, neutral, rationality, u)


def inverse_cdf(
    utilities: NDArray[np.float64], neutral: int, rationality: float
) -> tuple[list[float], list[int], int]:
    """The steps :func:`anchored_choice` takes for fixed utilities, so that many draws of one
    decision cost a search instead of a compiled call each: the cumulative probabilities in the
    order it visits the options (neutral first), those options, and its answer when rounding
    leaves ``u`` above the total. :func:`pick` reads them."""
    k = len(utilities)
    probs = np.empty(k)
    probabilities(utilities, int(neutral), float(rationality), probs)
    order = [neutral] + [i for i in range(k) if i != neutral]
    cum: list[float] = []
    total = 0.0
    last = neutral
    for i in order:
        total += float(probs[i])  # the same sums in the same order as anchored_choice
        cum.append(total)
        if probs[i] > 0:
            last = i
    return cum, order, last


def pick(steps: tuple[list[float], list[int], int], u: float) -> int:
    """The option :func:`anchored_choice` picks at ``u`` from :func:`inverse_cdf`'s steps."""
    cum, order, last = steps
    j = bisect.bisect_right(cum, u)  # the first step with u < its cumulative probability
    return order[j] if j < len(order) else last


def _check(utilities: Sequence[float] | NDArray[np.float64], neutral: int) -> NDArray[np.float64]:
    k = len(utilities)
    if k == 0:
        raise ValueError("a decision needs at least one option")
    if not 0 <= neutral < k:
        raise ValueError(f"neutral option {neutral} out of range for {k} options")
    return np.asarray(utilities, dtype=np.float64)


def choice_probabilities(utilities: Sequence[float], neutral: int, rationality: float) -> list[float]:
    """``P_i`` of the anchored logit for utilities in $k."""
    u = _check(utilities, neutral)
    out = np.empty(len(u))
    probabilities(u, int(neutral), float(rationality), out)
    return [float(x) for x in out]


def choose_index(
    utilities: Sequence[float] | NDArray[np.float64], neutral: int, rationality: float, u: float
) -> int:
    """The chosen option for utilities in $k, rationality λ and the world's uniform draw ``u``."""
    return int(anchored_choice(_check(utilities, neutral), int(neutral), float(rationality), float(u)))


@njit(cache=True)
def choose_options(mean, sd, which, rows, effort, risk, neutral, rationality, u, out):
    """:func:`choose_option` for decision ``j`` of a batch: the options of situation ``which[j]``
    (``mean[which[j], rows[i]]``), neutral option ``neutral[j]``, uniform ``u[j]``; into ``out[j]``."""
    for j in range(len(which)):
        i = which[j]
        out[j] = choose_option(mean[i], sd[i], rows, effort, risk, neutral[j], rationality, u[j])
