"""A plan design compiled into the tables the payout engine's kernel reads.

:class:`Rulebook` turns a :class:`~sim.scenario.plans.PlanDesign` into numbers once: every
component a pricing :class:`~sim.plans.rule.Rule` (its constants packed in one float
vector) plus integer and float columns (role, measure, period, who is credited, pay timing,
clawback), the components of each (role, measure) in plan order, the accumulator slot of every
measure the plan reads, the spiffs and the crediting rules. Nothing here prices anything or
reads a ledger; the kernel (:mod:`sim.plans.kernel`) does, from these tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.plans.components import CLAWBACK_TRIGGER, TIMING_TRIGGER, role_spiffs
from sim.plans.quotas import (
    N_RO,
    RO_DRAW,
    RO_DRAW_DAYS,
    RO_DRAW_PK,
    RO_DRAW_RECOVERABLE,
    RO_FORGIVE_AFTER,
    RO_FORGIVE_AT_LEAVING,
    RO_QPK,
    RO_QSLOT,
    RO_QUOTA,
    RO_RAMP_MONTHS,
    RO_RATCHET,
)
from sim.plans.rule import Rule
from sim.scenario.plans import SHARE_SCALE, Component, Crediting, PlanDesign, Spiff
from sim.time.calendar import DAYS_PER_MONTH
from sim.vocabulary import (
    CREDITED,
    EVENT_KINDS,
    MEASURES,
    PERIODS,
    RATIO_MEASURES,
    ROLES,
    SPIFF_EVENTS,
)

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

# Integer columns of a rule (Rulebook.ri).
(RI_ROLE, RI_CI, RI_MEASURE, RI_BONUS, RI_RATIO, RI_TEAM, RI_PK, RI_MONTHS, RI_QSLOT, RI_MSLOT,
 RI_TRIGGER, RI_CAP, RI_CB, RI_CB_CHURN, RI_CB_NONPAY, RI_CB_FAIL, RI_CLOSES) = range(17)  # fmt: skip
N_RI = 17
# Float columns of a rule (Rulebook.rf).
RF_QUOTA, RF_CAP, RF_THRESHOLD, RF_SUCCESS_DAYS, RF_CB_SHARE, RF_CB_WINDOW, RF_ROLE_QUOTA = range(7)
N_RF = 7
# Plan-wide integers (Rulebook.cfg).
CFG_UPSELL, CFG_CROSS_SELL, CFG_HANDOFF_BOOKINGS, CFG_HAS_RATIO, CFG_N_RULES, CFG_N_SPIFFS = range(6)
CFG_SHARE = 6
"""Four slots from here: the split-credit share (parts per :data:`SHARE_SCALE`) of (upsell,
cross-sell) x (AE, CSM): ``CFG_SHARE + 2 * (deal is a cross-sell) + (role is the CSM)``."""
N_CFG = 10

KIND = {k: i for i, k in enumerate(EVENT_KINDS)}
MEASURE = {m: i for i, m in enumerate(MEASURES)}
ROLE = {r: i for i, r in enumerate(ROLES)}


@dataclass(frozen=True, eq=False)
class Rulebook:
    """The compiled tables of one plan design (see the module docstring)."""

    plan: PlanDesign
    rules: tuple[Rule, ...]
    """Every component of every role, in role order then plan order (global rule index)."""
    rule_of: dict[tuple[str, int], int]
    """(role, component index) -> global rule index."""
    params: F64
    """The rules' pricing vectors, end to end (rule ``g`` is ``params[poff[g]:poff[g + 1]]``)."""
    poff: I64
    ri: I64
    rf: F64
    brm_off: I64
    """CSR offsets of the rules of each (role, measure): ``brm_idx[brm_off[r * M + m]:...]``."""
    brm_idx: I64
    mslot: I64
    """Accumulator slot of each measure code (-1: the plan reads no credit of that measure)."""
    measures: tuple[str, ...]
    """The measures with a slot, by slot."""
    spiffs: tuple[tuple[str, Spiff], ...]
    sp_i: I64
    """Per spiff: role code, spiff event code."""
    sp_f: F64
    """Per spiff: amount, first day open, first day closed (inf: never)."""
    cfg: I64
    ro: F64
    """Per role (by role code): its quota, ramp and ratchet, its draw (columns ``RO_*`` of
    :mod:`sim.plans.quotas`; see :func:`role_table`)."""

    @classmethod
    def compile(cls, plan: PlanDesign, start_day: float) -> Rulebook:
        """The tables of ``plan``; spiff windows count from ``start_day`` (the measurement start)."""
        rules: list[Rule] = []
        rule_of: dict[tuple[str, int], int] = {}
        comps: list[tuple[str, Component]] = []
        measures: set[str] = set()
        for role in ROLES:
            rp = plan.role(role)
            for ci, comp in enumerate(rp.components):
                rule_of[(role, ci)] = len(rules)
                rules.append(Rule.compile(rp, ci))
                comps.append((role, comp))
                measures.add(comp.measure)
            if rp.quota is not None:
                measures.add(rp.quota.measure)
        ordered = tuple(sorted(measures))
        mslot = np.full(len(MEASURES), -1, dtype=np.int64)
        for s, m in enumerate(ordered):
            mslot[MEASURE[m]] = s
        n = len(rules)
        ri = np.zeros((n, N_RI), dtype=np.int64)
        rf = np.zeros((n, N_RF), dtype=np.float64)
        by_rm: list[list[int]] = [[] for _ in range(len(ROLES) * len(MEASURES))]
        for g, (rule, (role, comp)) in enumerate(zip(rules, comps, strict=True)):
            rp = plan.role(role)
            cb = comp.clawback
            trigger = TIMING_TRIGGER[comp.pays]
            row = ri[g]
            row[RI_ROLE] = ROLE[role]
            row[RI_CI] = rule.index
            row[RI_MEASURE] = MEASURE[comp.measure]
            row[RI_BONUS] = int(rule.bonus)
            row[RI_RATIO] = int(rule.ratio)
            row[RI_TEAM] = int(rule.team)
            row[RI_PK] = PERIODS.index(comp.period)
            row[RI_MONTHS] = rule.months
            row[RI_QSLOT] = mslot[MEASURE[rp.quota.measure]] if rp.quota is not None else -1
            row[RI_MSLOT] = mslot[MEASURE[comp.measure]]
            row[RI_TRIGGER] = KIND[trigger] if trigger is not None else -1
            row[RI_CAP] = int(rule.cap is not None)
            row[RI_CB] = int(cb is not None)
            if cb is not None:
                row[RI_CB_CHURN] = int("churn" in cb.triggers)
                row[RI_CB_NONPAY] = int("non_payment" in cb.triggers)
                row[RI_CB_FAIL] = int("failed_implementation" in cb.triggers)
            closes = comp.kind == "bonus" or comp.measure in RATIO_MEASURES
            threshold = comp.threshold_attainment > 0 and comp.kind == "commission"
            row[RI_CLOSES] = int(closes) | (2 * int(threshold))
            f = rf[g]
            f[RF_QUOTA] = rule.quota
            f[RF_CAP] = rule.cap if rule.cap is not None else math.inf
            f[RF_THRESHOLD] = comp.threshold_attainment
            f[RF_SUCCESS_DAYS] = comp.success_days
            f[RF_CB_SHARE] = cb.share if cb is not None else 0.0
            f[RF_CB_WINDOW] = cb.window_days if cb is not None else 0.0
            f[RF_ROLE_QUOTA] = rule.role_quota if rule.role_quota is not None else math.nan
            by_rm[ROLE[role] * len(MEASURES) + MEASURE[comp.measure]].append(g)
        brm_off = np.zeros(len(by_rm) + 1, dtype=np.int64)
        brm_off[1:] = np.cumsum([len(x) for x in by_rm])
        brm_idx = np.array([g for x in by_rm for g in x], dtype=np.int64)
        poff = np.zeros(n + 1, dtype=np.int64)
        poff[1:] = np.cumsum([len(r.params) for r in rules])
        params = np.concatenate([r.params for r in rules]) if rules else np.zeros(0)
        spiffs = tuple((role, sp) for role in ROLES for sp in role_spiffs(plan, role))
        sp_i = np.array([[ROLE[r], SPIFF_EVENTS.index(sp.event)] for r, sp in spiffs], dtype=np.int64)
        sp_f = np.array(
            [
                [
                    sp.amount_usd,
                    start_day + sp.start_month * DAYS_PER_MONTH,
                    start_day + sp.start_month * DAYS_PER_MONTH + sp.months * DAYS_PER_MONTH
                    if sp.months is not None
                    else math.inf,
                ]
                for _, sp in spiffs
            ],
            dtype=np.float64,
        )
        cfg = crediting_cfg(plan.crediting)
        cfg[CFG_HAS_RATIO] = int(any(r.ratio for r in rules))
        cfg[CFG_N_RULES] = n
        cfg[CFG_N_SPIFFS] = len(spiffs)
        return cls(
            plan=plan,
            rules=tuple(rules),
            rule_of=rule_of,
            params=params,
            poff=poff,
            ri=ri,
            rf=rf,
            brm_off=brm_off,
            brm_idx=brm_idx,
            mslot=mslot,
            measures=ordered,
            spiffs=spiffs,
            sp_i=sp_i.reshape(len(spiffs), 2),
            sp_f=sp_f.reshape(len(spiffs), 3),
            cfg=cfg,
            ro=role_table(plan, mslot),
        )

    def rules_for(self, role: str, measure: str) -> list[int]:
        """Global indices of ``role``'s components on ``measure``, in plan order."""
        k = ROLE[role] * len(MEASURES) + MEASURE[measure]
        return self.brm_idx[self.brm_off[k] : self.brm_off[k + 1]].tolist()


def role_table(plan: PlanDesign, mslot: I64) -> F64:
    """The per-person rules of each role: quota slot, period kind, annual amount, ramp months and
    ratchet; draw amount (0: none), period kind, recoverable, days covered from the hire (inf:
    all), periods before a balance is forgiven (inf: never) and whether leaving forgives it."""
    ro = np.zeros((len(ROLES), N_RO), dtype=np.float64)
    for r, role in enumerate(ROLES):
        rp, row = plan.role(role), ro[r]
        row[RO_QSLOT] = -1
        q = rp.quota
        if q is not None:
            row[RO_QSLOT], row[RO_QPK], row[RO_QUOTA] = (
                mslot[MEASURE[q.measure]],
                PERIODS.index(q.period),
                q.annual_amount,
            )
            row[RO_RAMP_MONTHS], row[RO_RATCHET] = q.ramp_months, q.ratchet
        d = rp.draw
        if d is not None:
            row[RO_DRAW], row[RO_DRAW_PK], row[RO_DRAW_RECOVERABLE] = (
                d.amount_usd,
                PERIODS.index(d.period),
                d.recoverable,
            )
            row[RO_DRAW_DAYS] = d.months * DAYS_PER_MONTH if d.months is not None else math.inf
            row[RO_FORGIVE_AFTER] = (
                d.forgive_after_periods if d.forgive_after_periods is not None else math.inf
            )
            row[RO_FORGIVE_AT_LEAVING] = d.forgive_at_leaving
    return ro


def crediting_cfg(crediting: Crediting) -> I64:
    """The plan-wide integers of a plan's crediting rules (the rest of ``cfg`` is zero)."""
    cfg = np.zeros(N_CFG, dtype=np.int64)
    cfg[CFG_UPSELL] = CREDITED.index(tuple(crediting.upsell))
    cfg[CFG_CROSS_SELL] = CREDITED.index(tuple(crediting.cross_sell))
    cfg[CFG_HANDOFF_BOOKINGS] = int(crediting.handoff.credit_bookings)
    for k, kind in enumerate(("upsell", "cross_sell")):
        for r, role in enumerate(("ae", "csm")):
            # a role not credited never reaches the share: its slot holds the full share
            share = crediting.share(kind, role) if role in getattr(crediting, kind) else 1.0
            cfg[CFG_SHARE + 2 * k + r] = round(share * SHARE_SCALE)
    return cfg


CLAWBACK_KINDS = frozenset(KIND[k] for k in CLAWBACK_TRIGGER.values())
