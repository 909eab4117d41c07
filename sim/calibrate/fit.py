"""Stage 2: simulate the company under its current plan until it looks like its exports.

Two kinds of field, one objective: the distance between observed and simulated moments,
``Q = sum_j w_j (m_j - mbar_j(theta))^2`` with ``w_j`` the inverse variance of moment j across
replications (a diagonal weight: with a few replications a full covariance cannot be inverted).

* **Bridged world fields** (:data:`~sim.calibrate.params.BRIDGES`) each have their own moment: a
  fixed-point step on their scales, ``g(theta) += (g(m_obs) - g(mbar)) / slope`` (the slope from
  the last two rounds once the field has moved), a few rounds, then one joint Newton step from the
  Jacobian of every field (indirect inference, just identified; Gourieroux, Monfort & Renault 1993).
* **Behaviour fields** (:data:`~sim.calibrate.params.BEHAVIOUR`) by simulated method of moments
  (McFadden 1989; Pakes & Pollard 1989): a scrambled Sobol design over the search ranges, then
  Levenberg-Marquardt steps from its best point with a forward-difference Jacobian. Common random
  numbers (the same replications at every point) make differences of moments smooth enough for a
  Jacobian; its step is a tenth of the range, wide enough to cross many discrete choices.

The standard errors are the joint sandwich of :mod:`sim.calibrate.errors` (every field at once, so
a bridged field's interval includes what the behaviour's uncertainty does to its statistic), from
the Jacobian of every moment to every field at the estimate and the moments' covariance across
``final_reps`` replications, plus what the direct fields held at their stage-1 values carry
(:mod:`sim.calibrate.two_step`, Murphy & Topel 1985); intervals are t-intervals on
``final_reps - 1`` degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from sim.calibrate.bridged import bridge_estimate
from sim.calibrate.errors import Errors, sandwich
from sim.calibrate.estimates import BEHAVIOUR as STAGE_BEHAVIOUR
from sim.calibrate.estimates import BRIDGED, Estimate, unidentified
from sim.calibrate.nanstats import nan_mean, nan_sd
from sim.calibrate.params import MIN_EVENTS, BehaviourParam, Bridge, is_behaviour_moment, rounded
from sim.calibrate.two_step import HeldField, stage_one_covariance

JACOBIAN_STEP = 0.15
"""Step of a behaviour field in the Jacobian of the standard errors (central differences), as a share
of its range: wide enough to cross many discrete choices."""
MAX_STEP = 0.7
"""Largest move of a bridged field in one round, on its scale (a factor of two on a log scale)."""
MAX_DRIFT = 2.5
"""Farthest a bridged field moves from its starting value, on its scale (a factor of twelve)."""
MIN_RESPONSE_T = 3.0
"""A bridged field is identified only when the simulations measure its statistic's response to it
precisely: the mean over replications of that derivative at least this many standard errors from 0
(an interval built on a derivative known only roughly would be too narrow as often as too wide)."""
Evaluate = Callable[[Sequence[Mapping[str, float]], int, str], list[np.ndarray]]
"""``(points, replications, status) -> moments per point (replications x moments)``."""


@dataclass
class Settings:
    """How much simulation a calibration spends."""

    reps: int = 8
    """Replications per point while searching (the same ones at every point)."""
    final_reps: int = 16
    """Replications at the estimate: the moments' covariance and the fit table."""
    jacobian_reps: int = 0
    """Replications of the Jacobian behind the standard errors (0: ``final_reps``)."""
    bridge_rounds: int = 3
    """Fixed-point rounds of the bridged fields, before and after the behaviour search."""
    design_points: int = 0
    """Points of the Sobol design over the behaviour ranges (rounded up to a power of 2; 0: four per
    behaviour field)."""
    lm_steps: int = 6
    """Levenberg-Marquardt trial steps."""
    seed: int = 0
    """Seed of the Sobol design (the scenario seed)."""


@dataclass
class Fit:
    """The estimate and what is known about it."""

    values: dict[str, float]
    estimates: list[Estimate]
    names: list[str]
    observed: np.ndarray
    simulated: np.ndarray
    """Replications x moments at the estimate."""
    reps: int
    evaluations: int = 0
    log: list[str] = field(default_factory=list)


@dataclass
class _BridgeState:
    bridge: Bridge
    segment: str
    j: int
    slope: float
    last: tuple[float, float] | None = None
    """(field, moment) on their scales at the last round."""
    start: float = 0.0
    """The field's starting value on its scale."""
    frozen: bool = False
    """Its statistic did not follow the field's last move: it is not moved again."""


class Stage2:
    """One stage-2 search (see the module docstring)."""

    def __init__(
        self,
        evaluate: Evaluate,
        names: Sequence[str],
        observed: Mapping[str, float],
        start: Mapping[str, float],
        bridges: Sequence[tuple[Bridge, str]],
        behaviour: Sequence[BehaviourParam],
        settings: Settings,
        stage_one: Sequence[HeldField] = (),
    ) -> None:
        self.evaluate = evaluate
        self.stage_one = list(stage_one)
        """Direct fields held at their stage-1 values: their uncertainty enters the errors."""
        self._g1v1 = np.zeros((len(names), len(names)))
        self.names = list(names)
        self.obs = np.array([observed.get(n, np.nan) for n in self.names], dtype=float)
        self._observed = dict(observed)
        self.x = {k: rounded(v) for k, v in start.items()}
        self.settings = settings
        matchable = [
            (b, s)
            for b, s in bridges
            if b.moment_name(s) in self.names
            and math.isfinite(b.moment_scale.to(observed[b.moment_name(s)]))
            and b.path(s) in self.x
        ]
        self.held: list[Estimate] = []
        """Bridged fields whose statistic rests on too few observed events: held at their start."""
        self.bridges: list[_BridgeState] = []
        for b, s in matchable:
            n = observed.get(b.events_name(s), math.inf) if b.events else math.inf
            if not n >= MIN_EVENTS:
                note = (
                    f"{b.moment_name(s)} rests on {n:.0f} observed events (under {MIN_EVENTS}): "
                    "held at its starting value, not matched"
                )
                self.held.append(unidentified(b.path(s), self.x[b.path(s)], note, BRIDGED))
                continue
            self.bridges.append(_BridgeState(b, s, self.names.index(b.moment_name(s)), b.slope))
        self.behaviour = list(behaviour)
        self.bm = np.array(
            [is_behaviour_moment(n) and math.isfinite(self.obs[i]) for i, n in enumerate(self.names)]
        )
        self.w = np.ones(len(self.names))
        self.evaluations = 0
        self.log: list[str] = []
        self._own_t: list[float] = [math.nan] * len(self.bridges)
        self._measured = np.zeros((len(self.names), 0))
        self._beh_t: list[float] = []
        """How precisely the simulations measure each behaviour field's weighted response (t)."""
        """Every derivative as measured (none set to 0): the sandwich's variance keeps them all."""
        for st in self.bridges:
            st.start = st.bridge.scale.to(self.x[st.bridge.path(st.segment)])

    # --- evaluation ---------------------------------------------------------------------------
    def _run(self, points: Sequence[Mapping[str, float]], reps: int, status: str) -> list[np.ndarray]:
        self.evaluations += len(points)
        return self.evaluate([{k: rounded(v) for k, v in p.items()} for p in points], reps, status)

    def _q(self, mbar: np.ndarray) -> float:
        d = (self.obs - mbar)[self.bm]
        ok = np.isfinite(d)
        return float(np.sum(self.w[self.bm][ok] * d[ok] ** 2))

    # --- bridges --------------------------------------------------------------------------------
    def bridge_rounds(self, rounds: int) -> None:
        """Fixed-point rounds of every bridged field (module docstring); each field's slope is the
        secant of its last two rounds once it has moved (when the secant is sensible)."""
        for r in range(rounds):
            mbar = nan_mean(
                self._run([self.x], self.settings.reps, f"matching world fields ({r + 1}/{rounds})")[0],
                axis=0,
            )
            for st in self.bridges:
                b, path = st.bridge, st.bridge.path(st.segment)
                g_obs, g_sim = b.moment_scale.to(self.obs[st.j]), b.moment_scale.to(mbar[st.j])
                if not (math.isfinite(g_obs) and math.isfinite(g_sim)):
                    continue
                g_now = b.scale.to(self.x[path])
                if st.frozen:
                    continue
                if st.last is not None and abs(g_now - st.last[0]) > 1e-3:
                    secant = (g_sim - st.last[1]) / (g_now - st.last[0])
                    if secant * b.slope > 0 and 0.1 <= secant / b.slope <= 10:
                        st.slope = secant
                    elif abs(secant) < 0.1 * abs(b.slope):  # its statistic does not follow it: stop moving it
                        st.frozen = True
                        continue
                st.last = (g_now, g_sim)
                step = float(np.clip((g_obs - g_sim) / st.slope, -MAX_STEP, MAX_STEP))
                g = min(max(g_now + step, st.start - MAX_DRIFT), st.start + MAX_DRIFT)
                self.x[path] = b.value(b.scale.back(g))

    # --- behaviour -------------------------------------------------------------------------------
    def _with(self, u: np.ndarray) -> dict[str, float]:
        x = dict(self.x)
        for p, ui in zip(self.behaviour, u, strict=True):
            x[p.path] = rounded(p.from_unit(float(ui)))
        return x

    def _units(self) -> np.ndarray:
        return np.array([min(max(p.unit(self.x[p.path]), 0.0), 1.0) for p in self.behaviour])

    def search(self) -> None:
        """Sobol design, then Levenberg-Marquardt from its best point (module docstring)."""
        if not self.behaviour or not self.bm.any():
            return
        from scipy.stats import qmc

        k, reps = len(self.behaviour), self.settings.reps
        n = self.settings.design_points or 4 * k
        m = max(1, math.ceil(math.log2(max(n, 2))))  # Sobol points come in powers of 2
        design = qmc.Sobol(k, scramble=True, seed=self.settings.seed).random_base2(m)
        units = [self._units(), *design]
        # weights: each moment's inverse variance across final_reps replications at the start
        var = nan_sd(self._run([self.x], self.settings.final_reps, "weights")[0]) ** 2
        floor = np.nanmax(np.r_[var[np.isfinite(var)], 1e-12]) * 1e-6
        self.w = 1.0 / np.maximum(np.nan_to_num(var, nan=np.inf), floor)
        runs = self._run([self._with(u) for u in units], reps, "searching behaviour (design)")
        qs = [self._q(nan_mean(m, axis=0)) for m in runs]
        best = int(np.argmin(qs))
        u, q = units[best], qs[best]
        mbar = nan_mean(runs[best], axis=0)
        self.log.append(f"design: best Q {q:.3g} of {len(units)} points")
        jac = self._jacobian(u, mbar, reps)
        mu, accepted = 1e-2, 0
        for _ in range(self.settings.lm_steps):
            if accepted == 3:  # a fresh Jacobian after three steps taken
                jac, accepted = self._jacobian(u, mbar, reps), 0
            J = jac[self.bm]
            ok = np.all(np.isfinite(J), axis=1) & np.isfinite(mbar[self.bm])
            r = (self.obs - mbar)[self.bm][ok]
            W = self.w[self.bm][ok]
            A = J[ok].T @ (W[:, None] * J[ok])
            g = J[ok].T @ (W * r)
            step = np.linalg.solve(A + mu * np.diag(np.diag(A) + 1e-9), g)
            trial = np.clip(u + step, 0.0, 1.0)
            if np.max(np.abs(trial - u)) < 1e-3:
                break
            m_t = nan_mean(self._run([self._with(trial)], reps, "searching behaviour (steps)")[0], axis=0)
            q_t = self._q(m_t)
            if q_t < q:
                u, q, mbar, mu, accepted = trial, q_t, m_t, mu / 3, accepted + 1
            else:
                mu *= 5
        self.log.append(f"Levenberg-Marquardt: Q {q:.3g}")
        self.x = self._with(u)

    def _jacobian(
        self, u: np.ndarray, mbar: np.ndarray, reps: int, base: np.ndarray | None = None
    ) -> np.ndarray:
        """d(moments)/d(unit range) by forward differences of a tenth of the range (toward the inside)."""
        h = np.where(u > 0.9, -0.1, 0.1)
        pts = [self._with(u + h[i] * np.eye(len(u))[i]) for i in range(len(u))]
        runs = self._run(pts, reps, "Jacobian")
        cols = [(nan_mean(m, axis=0) - mbar) / h[i] for i, m in enumerate(runs)]
        return np.column_stack(cols) if cols else np.zeros((len(self.names), 0))

    # --- the whole search -----------------------------------------------------------------------
    def run(self) -> Fit:
        """Bridges, behaviour, bridges again; the Jacobian of every field and a joint Newton step of
        the bridged ones from it; then the estimate's errors and the fit."""
        s = self.settings
        self.bridge_rounds(s.bridge_rounds)
        if self.behaviour:
            self.search()
            self.bridge_rounds(s.bridge_rounds)
        G, at = self._jacobian_all()
        self._newton(G, at)
        final = self._run([self.x], s.final_reps, "standard errors")[0]
        estimates = self._estimates(final, G) + self.held
        return Fit(
            dict(self.x), estimates, self.names, self.obs, final, s.final_reps, self.evaluations, self.log
        )

    def _field_steps(self) -> tuple[list[dict[str, float]], list[float]]:
        """One point per field (bridged, then behaviour), that field moved by its Jacobian step, and
        the move on the field's scale (a share of the range for behaviour fields)."""
        points, moves = [], []
        for st in self.bridges:
            b, path = st.bridge, st.bridge.path(st.segment)
            g = b.scale.to(self.x[path])
            moved = b.value(b.scale.back(g + b.step))
            if moved == self.x[path]:  # at the field's upper limit: step down
                moved = b.value(b.scale.back(g - b.step))
            points.append(self.x | {path: moved})
            moves.append(b.scale.to(moved) - g)
        u = self._units()
        for i, p in enumerate(self.behaviour):  # central differences (one-sided at an end of the range)
            lo, hi = max(u[i] - JACOBIAN_STEP, 0.0), min(u[i] + JACOBIAN_STEP, 1.0)
            points += [
                self._with(u + (lo - u[i]) * np.eye(len(u))[i]),
                self._with(u + (hi - u[i]) * np.eye(len(u))[i]),
            ]
            moves += [p.unit(points[-2][p.path]) - u[i], p.unit(points[-1][p.path]) - u[i]]
        return points, moves

    def _jacobian_all(self) -> tuple[np.ndarray, np.ndarray]:
        """d(moments)/d(field) of every field at the current point (moments in their units, fields on
        their scales), from the same replications at every point; an entry whose replications'
        differences do not tell it from 0 (two-sided 95% t-test) is 0, except a bridged field's own
        moment (a response too weak to tell from 0 must widen the field's interval, not vanish).
        Returns it and the point's moments (replications x moments)."""
        r = self.settings.jacobian_reps or self.settings.final_reps
        self._own_t = [math.nan] * len(self.bridges)
        self._beh_t = [math.inf] * len(self.behaviour)
        points, moves = self._field_steps()
        held = [self.x | h.moved() for h in self.stage_one]
        runs = self._run([self.x, *points, *held], r, "Jacobian of every field")
        base = runs[0]
        self._g1v1 = stage_one_covariance(base, runs[len(runs) - len(held) :])
        nb = len(self.bridges)
        # a bridged field: (moved - here) / move; a behaviour field: (up - down) / (its two moves)
        pairs = [(runs[1 + i], base, moves[i]) for i in range(nb)]
        for i in range(len(self.behaviour)):
            j = 1 + nb + 2 * i
            pairs.append((runs[j + 1], runs[j], moves[nb + 2 * i + 1] - moves[nb + 2 * i]))
        cols: list[np.ndarray] = []
        measured: list[np.ndarray] = []
        crit = float(stats.t.ppf(0.975, max(r - 1, 1)))
        for c, (m, m0, dx) in enumerate(pairs):
            if not dx:
                cols.append(np.zeros(len(self.names)))
                measured.append(np.zeros(len(self.names)))
                continue
            d = (m - m0) / dx  # per replication: common random numbers
            if c < nb:  # a bridged field's own moment: the difference on the moment's scale, where the two
                st = self.bridges[c]  # are close to linear, back to the moment's units at the point
                ms, j = st.bridge.moment_scale, st.j
                with np.errstate(invalid="ignore", divide="ignore"):
                    own = (np.vectorize(ms.to)(m[:, j]) - np.vectorize(ms.to)(m0[:, j])) / dx
                d[:, j] = own / ms.slope(float(nan_mean(m0[:, j])))
            n = np.sum(np.isfinite(d), axis=0)
            mean = nan_mean(d, axis=0)
            se = nan_sd(d) / np.sqrt(np.maximum(n, 1))
            measured.append(np.where(n > 1, np.nan_to_num(mean), 0.0))
            col = np.where((np.abs(mean) > crit * se) & (n > 1), mean, 0.0)
            if c < nb:  # a field's own moment keeps its estimate: a weak response must widen its interval
                j = self.bridges[c].j
                col[j] = mean[j]
                self._own_t[c] = abs(mean[j]) / se[j] if se[j] > 0 else (math.inf if mean[j] else 0.0)
            else:  # a behaviour field: its weighted response along its mean direction, per replication
                ok = self.bm & np.isfinite(mean)
                h = np.nan_to_num(d[:, ok]) @ (self.w[ok] * mean[ok])
                sd_h = float(np.std(h, ddof=1)) if len(h) > 1 else math.nan
                self._beh_t[c - nb] = float(np.mean(h)) / (sd_h / math.sqrt(len(h))) if sd_h > 0 else math.inf
            cols.append(col)
        G = np.column_stack(cols) if cols else np.zeros((len(self.names), 0))
        self._measured = np.column_stack(measured) if measured else np.zeros_like(G)
        return np.nan_to_num(G), base

    def _newton(self, G: np.ndarray, base: np.ndarray) -> None:
        """One joint Newton step of the bridged fields (each at most half a unit of its scale), when
        one of their moments is more than a standard error from the observed value."""
        nb = len(self.bridges)
        if not nb:
            return
        rows = [st.j for st in self.bridges]
        gap = self.obs[rows] - nan_mean(base[:, rows], axis=0)
        sd = nan_sd(base[:, rows])
        if np.all(np.abs(gap) <= sd):
            return
        step = np.clip(np.linalg.lstsq(G[np.ix_(rows, range(nb))], gap, rcond=None)[0], -0.5, 0.5)
        for st, d in zip(self.bridges, step.tolist(), strict=True):
            b, path = st.bridge, st.bridge.path(st.segment)
            self.x[path] = b.value(b.scale.back(b.scale.to(self.x[path]) + d))
        self.log.append(
            f"joint Newton step of the world fields (largest {np.max(np.abs(step)):.2g} on their scales)"
        )

    def _errors(self, final: np.ndarray, G: np.ndarray) -> tuple[Errors, float]:
        """The joint sandwich at the final replications, and the t quantile of its intervals."""
        S = np.nan_to_num(np.cov(final, rowvar=False, ddof=1).reshape(len(self.names), len(self.names)))
        keep = [j for j in np.flatnonzero(self.bm).tolist() if S[j, j] > 0]
        t95 = float(stats.t.ppf(0.975, max(final.shape[0] - 1, 1)))  # variances from final_reps
        bridge_rows = [st.j for st in self.bridges]
        errs = sandwich(
            G, S, bridge_rows, keep, len(self.bridges), self.w[keep], self.settings.reps, t95, self._measured,
            self._g1v1,
        )  # fmt: skip
        return errs, t95

    def _estimates(self, final: np.ndarray, G: np.ndarray) -> list[Estimate]:
        """Every stage-2 field's estimate with its joint sandwich interval (:mod:`sim.calibrate.errors`)."""
        nb = len(self.bridges)
        u = self._units()
        errs, t95 = self._errors(final, G)
        out = []
        for i, st in enumerate(self.bridges):
            e = bridge_estimate(
                st.bridge, st.segment, self.x[st.bridge.path(st.segment)], self._observed, self.names, final,
                errs.se[i], float(G[st.j, i]), t95, self.settings.reps, self._own_t[i],
            )  # fmt: skip
            if i in errs.why:
                e.identified, e.note = False, errs.why[i]
            elif e.identified and self._own_t[i] < MIN_RESPONSE_T:
                e.identified = False
                e.note += (
                    f"; its statistic's response to it was measured only to t = {self._own_t[i]:.2g} "
                    f"(under {MIN_RESPONSE_T:g}: more replications would tell)"
                )
            out.append(e)
        for i, p in enumerate(self.behaviour):
            se, why = errs.se[nb + i], errs.why.get(nb + i, "")
            fieller = 1 - (t95 / self._beh_t[i]) ** 2 if self._beh_t[i] > 0 else -1.0
            if not why and fieller <= 0:  # as a bridged field's (bridged.py): Fieller 1954
                why = f"its moments' response to it was measured only to t = {self._beh_t[i]:.2g}"
            se = se / math.sqrt(fieller) if fieller > 0 else math.inf
            lo = p.from_unit(u[i] - t95 * se) if math.isfinite(se) else math.nan
            hi = p.from_unit(u[i] + t95 * se) if math.isfinite(se) else math.nan
            out.append(
                Estimate(
                    p.path,
                    self.x[p.path],
                    lo,
                    hi,
                    STAGE_BEHAVIOUR,
                    "simulated method of moments (joint sandwich errors, diagonal weights)",
                    final.shape[0],
                    identified=not why,
                    note=why,
                )
            )
        return out
