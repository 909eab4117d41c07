"""The customer's rules: renewal churn, the renewal price, health at go-live and the success check.

Pure functions of the scenario's parameters (no state, no draws): the world's teams and the
options they describe to their policy use the same formulas (``docs/model.md``, "World:
customers" and "World: implementation").
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.special import ndtr

from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.time.workdays import WorkCalendar


def renewal_churn_probability(
    annual_churn: np.ndarray | float,
    term_months: np.ndarray | float,
    health: np.ndarray | float,
    price_increase: np.ndarray | float,
    health_sensitivity: float,
    price_sensitivity: float,
    extra_log_odds: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Probability a customer churns at a renewal.

    ``logit(p) = logit(1 - (1 - annual_churn) ** (term/12)) - health_sensitivity * (health - 0.5)
    + price_sensitivity * price_increase + extra`` (``extra``: referral loyalty).
    """
    base = 1.0 - (1.0 - np.asarray(annual_churn, dtype=float)) ** (np.asarray(term_months) / 12.0)
    base = np.clip(base, 1e-9, 1 - 1e-9)
    z = (
        np.log(base / (1 - base))
        - health_sensitivity * (np.asarray(health) - 0.5)
        + price_sensitivity * np.asarray(price_increase)
        + extra_log_odds
    )
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def renewal_price_increase(discount: np.ndarray | float, deep_discount: float) -> np.ndarray:
    """Price increase asked at renewal: a deep discount is not repeated (back to list)."""
    d = np.asarray(discount, dtype=float)
    return np.where(d >= deep_discount, d / np.maximum(1.0 - d, 1e-9), 0.0)


def poisson_inv(u: np.ndarray, lam: np.ndarray, max_k: int = 60) -> np.ndarray:
    """Poisson draws by inversion of uniforms ``u`` (vectorised; exact up to ``max_k``)."""
    u = np.asarray(u, dtype=float)
    lam = np.ascontiguousarray(np.broadcast_to(np.asarray(lam, dtype=float), u.shape))
    k = np.zeros(u.shape, dtype=np.int64)
    _invert_poisson(u.ravel(), lam.ravel(), np.exp(-lam).ravel(), max_k, k.reshape(-1))
    return k


@njit(cache=True)
def _invert_poisson(u, lam, p0, max_k, out):  # type: ignore[no-untyped-def]
    """The smallest ``k`` with ``P(X <= k) >= u``: the pmf built up term by term from ``p0 = exp(-lam)``."""
    for i in range(len(u)):
        p = p0[i]
        cdf = p
        k = 0
        while u[i] > cdf and k < max_k:
            k += 1
            p = p * lam[i] / k
            cdf = cdf + p
        out[i] = k


class HealthRules:
    """Implementation quality, an account's value and starting health, and the chance its
    implementation counts as a success, for one scenario (and the plan's ``success_days``)."""

    def __init__(
        self, company: Company, behaviour: Behaviour, success_days: float, workdays: WorkCalendar | None
    ) -> None:
        self.company = company
        self.behaviour = behaviour
        self.success_days = float(success_days)
        """Days after go-live at which an implementation counts as a success (or not)."""
        self.workdays = workdays
        self.neutral_quality = self.expected_quality(behaviour.consultant.neutral_speed)
        """Mean quality of an implementation at the neutral speed."""
        self.neutral_failure = self.failure_probability(behaviour.consultant.neutral_speed)
        """Probability an implementation at the neutral speed fails."""

    def expected_quality(self, speed: float) -> float:
        """Mean implementation quality at a speed (one-sided half-normal noise)."""
        q = 1.0 - self.behaviour.consultant.quality_per_speed * (1.0 - speed)
        return min(max(q - self.company.consultants.quality_noise_sd * math.sqrt(2 / math.pi), 0.0), 1.0)

    def quality(self, speed: float, z: float) -> float:
        """Quality of a project at this speed with one-sided noise ``z >= 0``."""
        q = 1.0 - self.behaviour.consultant.quality_per_speed * (1.0 - speed)
        return float(min(max(q - self.company.consultants.quality_noise_sd * z, 0.0), 1.0))

    def failure_probability(self, speed: float) -> float:
        """Probability an implementation at this speed falls below the failure quality."""
        cc = self.company.consultants
        q0 = 1.0 - self.behaviour.consultant.quality_per_speed * (1.0 - speed)
        if cc.quality_noise_sd <= 0:
            return 1.0 if q0 < cc.failure_quality else 0.0
        x = (q0 - cc.failure_quality) / cc.quality_noise_sd
        return 1.0 if x <= 0 else float(math.erfc(x / math.sqrt(2)))

    def expected_value_health(self, fit: float, quality: float, promise: float) -> float:
        """Health an account reverts to: fit, implementation quality and the promise gap."""
        cc = self.company.customers
        v = (
            cc.starting_health_mean
            + cc.health_per_fit * (fit - 0.5)
            + cc.health_per_quality * (quality - 0.8)
            - 0.5 * self.behaviour.ae.promise_health_gap * promise
        )
        return min(max(v, 0.0), 1.0)

    def starting_health(self, value: float, promise: float, excess_ttv_days: float) -> float:
        """Health at go-live: value less the promise/delivery gap and a late-value penalty."""
        cc = self.company.customers
        h = (
            value
            - 0.5 * self.behaviour.ae.promise_health_gap * promise
            - cc.health_per_wait_month * max(excess_ttv_days, 0.0) / 30.4375
        )
        return min(max(h, 0.0), 1.0)

    def calendar_implementation_days(self, implementation_days: float) -> float:
        """The calendar days an implementation of ``implementation_days`` takes on average (with
        working days, implementation days are working days: their mean calendar span)."""
        if self.workdays is None:
            return implementation_days
        return implementation_days * self.workdays.calendar_per_working_day("consultant")

    def success_probability(self, start_health: float, value: float | None = None) -> float:
        """Probability a live customer is healthy ``success_days`` after go-live (normal approx.)."""
        cc = self.company.customers
        v = start_health if value is None else value
        months = self.success_days / 30.4375
        mean = v + (start_health - v) * (1 - cc.health_reversion_per_month) ** months
        sd = cc.health_noise_per_month * math.sqrt(months) + 0.05
        return 0.5 * (1 + math.erf((mean - cc.healthy_health) / (sd * math.sqrt(2))))

    def success_probabilities(self, start_health: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`success_probability`."""
        cc = self.company.customers
        months = self.success_days / 30.4375
        mean = value + (start_health - value) * (1 - cc.health_reversion_per_month) ** months
        sd = cc.health_noise_per_month * math.sqrt(months) + 0.05
        return np.asarray(ndtr((mean - cc.healthy_health) / sd))
