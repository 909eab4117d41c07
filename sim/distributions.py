"""Distributions that know their moments: a draw and the mean it has are written in one place,
so the model and the validation cases that check it against its mean read the same numbers
(as Ciw's distributions do)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class LogNormal:
    """A lognormal given by its mean and coefficient of variation (deal sizes: ``list_acv_mean_usd``
    and ``list_acv_cv`` of a segment). ``cv = 0`` is the constant ``mean``."""

    mean: float
    cv: float

    @property
    def sigma(self) -> float:
        """σ of the underlying normal: ``sqrt(ln(1 + cv²))``."""
        return math.sqrt(math.log1p(self.cv * self.cv))

    @property
    def mu(self) -> float:
        """μ of the underlying normal: ``ln(mean) − σ²/2`` (so that ``E[X] = mean``)."""
        return math.log(self.mean) - 0.5 * self.sigma**2

    @property
    def variance(self) -> float:
        """``(cv · mean)²``."""
        return (self.cv * self.mean) ** 2

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """``n`` draws (``rng.lognormal``: one normal per draw, also when ``cv = 0``)."""
        return rng.lognormal(self.mu, self.sigma, n)


@dataclass(frozen=True, slots=True)
class Gamma:
    """A gamma given by its mean and shape k (scale ``mean / k``): sales cycles and implementation
    durations. Draws are standard gammas of shape k, scaled, so a caller can draw them ahead."""

    mean: float
    shape: float

    @property
    def cv2(self) -> float:
        """Squared coefficient of variation, ``1 / k`` (1: exponential)."""
        return 1.0 / self.shape

    @property
    def variance(self) -> float:
        """``mean² / k``."""
        return self.mean * self.mean / self.shape

    def scaled(self, standard: float) -> float:
        """The value of a standard gamma draw of shape k (``rng.standard_gamma(k)``)."""
        return self.mean * standard / self.shape
