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

import math
from collections.abc import Sequence


def choice_probabilities(utilities: Sequence[float], neutral: int, rationality: float) -> list[float]:
    """``P_i`` of the anchored logit for utilities in $k."""
    k = len(utilities)
    if k == 0:
        raise ValueError("a decision needs at least one option")
    if not 0 <= neutral < k:
        raise ValueError(f"neutral option {neutral} out of range for {k} options")
    probs = [0.0] * k
    gain = max(utilities) - utilities[neutral]
    if rationality <= 0 or gain <= 0 or not math.isfinite(gain):
        probs[neutral] = 1.0
        return probs
    omega = -math.expm1(-rationality * gain)
    top = max(utilities)
    w = [math.exp(rationality * (x - top)) for x in utilities]
    z = sum(w)
    for i in range(k):
        probs[i] = omega * w[i] / z
    probs[neutral] += 1.0 - omega
    return probs


def pick(probs: Sequence[float], neutral: int, u: float) -> int:
    """Inverse CDF of ``probs`` at ``u`` in [0, 1), with the neutral option first."""
    order = [neutral, *(i for i in range(len(probs)) if i != neutral)]
    cum = 0.0
    for i in order:
        cum += probs[i]
        if u < cum:
            return i
    # Rounding left u above the total: the last option with positive probability.
    for i in reversed(order):
        if probs[i] > 0:
            return i
    return neutral


def choose_index(utilities: Sequence[float], neutral: int, rationality: float, u: float) -> int:
    """The chosen option for utilities in $k, rationality λ and the world's uniform draw ``u``."""
    return pick(choice_probabilities(utilities, neutral, rationality), neutral, u)
