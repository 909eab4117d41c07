"""A plan's rules in words for the report: each role's pay components and the crediting rules."""

from __future__ import annotations

from sim.report import fmt
from sim.report.page import esc
from sim.report.talent_html import staffing_words
from sim.scenario.plans import Component, PlanDesign, RolePlan
from sim.vocabulary import ROLE_LABELS, ROLES


def _rate(r: float) -> str:
    return fmt.pct(r, 0 if abs(round(r * 100) - r * 100) < 1e-9 else 1)


def _component_words(c: Component) -> str:
    measure = c.measure.replace("_", " ")
    if c.kind == "bonus":
        target = f", target {fmt.money(c.target_usd)}" if c.target_usd else ""
        parts = [f"{c.name}: bonus on {measure}{target}"]
    else:
        rates = " → ".join(
            _rate(t.rate) + (f" above {fmt.pct(t.from_attainment, 0)}" if t.from_attainment > 0 else "")
            for t in c.rates
        )
        parts = [f"{c.name}: {rates or 'commission'} of {measure}"]
    parts.append(f"{c.period}ly, paid {c.pays.replace('_', ' ')}")
    if c.scope == "team":
        parts.append("team measure")
    if c.discount_bands:
        parts.append("rate falls with discount")
    if c.clawback is not None:
        parts.append(f"clawback {fmt.pct(c.clawback.share, 0)} within {c.clawback.window_days:g} days")
    if c.cap_per_period_usd:
        parts.append(f"cap {fmt.money(c.cap_per_period_usd)}/period")
    if c.cap_share_of_ote:
        parts.append(f"cap {fmt.pct(c.cap_share_of_ote, 0)} of OTE")
    if c.cap_attainment:
        parts.append(f"no pay beyond {fmt.pct(c.cap_attainment, 0)} attainment")
    if c.multi_year is not None:
        my = c.multi_year
        share = fmt.pct(my.later_year_share, 0)
        parts.append(f"later contract years at {share}, up to {my.max_years:g} years")
    return ", ".join(parts)


def _role_words(role: str, rp: RolePlan) -> str | None:
    if not rp.components and not rp.spiffs and not rp.budget_annual_usd and rp.draw is None:
        return None
    bits = [f"base {fmt.money(rp.base_salary_annual_usd)}"]
    q = rp.quota
    if q is not None:
        bits.append(f"quota {fmt.money(q.annual_amount)}/yr of {q.measure.replace('_', ' ')}")
        bits += [f"ramped over {q.ramp_months} months"] if q.ramp_months else []
        bits += [f"ratchet {q.ratchet:g} on last period's attainment"] if q.ratchet else []
    if (d := rp.draw) is not None:
        kind = "recoverable draw" if d.recoverable else "guarantee"
        window = f" for a new hire's first {d.months} months" if d.months else ""
        bits.append(f"{kind} {fmt.money(d.amount_usd)}/{d.period}{window}")
    bits += [_component_words(c) for c in rp.components]
    bits += [f"spiff {fmt.money(s.amount_usd)} per {s.event.replace('_', ' ')}" for s in rp.spiffs]
    if rp.budget_annual_usd:
        bits.append(f"budget {fmt.money(rp.budget_annual_usd)}/yr")
    return f"<b>{esc(ROLE_LABELS.get(role, role))}</b>: {esc('; '.join(bits))}"


def plan_rules(plan: PlanDesign) -> str:
    """A short HTML summary of a plan's rules (roles with variable pay, crediting)."""
    lines = [w for role in ROLES if (w := _role_words(role, getattr(plan, role))) is not None]
    if (staffing := staffing_words(plan)) is not None:
        lines.append(staffing)
    cr = plan.crediting

    def credited(kind: str) -> str:
        roles = getattr(cr, kind)
        shares = getattr(cr, f"{kind}_shares")
        return ", ".join(r + (f" ({fmt.pct(cr.share(kind, r), 0)})" if r in shares else "") for r in roles)

    lines.append(
        f"<b>Crediting</b>: upsell → {esc(credited('upsell') or 'nobody')}; "
        f"cross-sell → {esc(credited('cross_sell') or 'nobody')}"
    )
    if cr.handoff.fee_usd or cr.handoff.credit_bookings:
        lines.append(
            f"<b>Hand-off</b>: {fmt.money(cr.handoff.fee_usd)} per accepted meeting to the SDR"
            + ("; SDR credited with the deal's bookings" if cr.handoff.credit_bookings else "")
        )
    return "<br>".join(lines)
