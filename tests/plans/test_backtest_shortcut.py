"""The back-test's shortcut (event kinds a plan cannot read are not replayed) against the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.plans.backtest import read_deals
from sim.scenario import load_scenario


def _random_deals(n: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)  # synthetic deals, not a model draw
    rows = []
    for i in range(n):
        month, day = rng.randrange(1, 13), rng.randrange(1, 29)
        kind = rng.choice(["new", "new", "upsell", "cross_sell", "renewal"])
        churn = f"2026-{rng.randrange(1, 13):02d}-15" if rng.random() < 0.2 else ""
        live = f"2025-{month:02d}-{day:02d}" if rng.random() < 0.3 else ""
        rows.append(
            f"D{i},Rep {rng.randrange(4)},{rng.randrange(5_000, 200_000)},2025-{month:02d}-{day:02d},"
            f"{kind},{rng.choice(['0', '0.1'])},{rng.choice([12, 24])},CSM {rng.randrange(3)},"
            f"A{rng.randrange(n)},{live},{rng.choice(['', 'failed'])},{churn}\n"
        )
    return rows


def test_skipping_inert_events_gives_the_engine_s_payouts(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The back-test replays only the event kinds a plan can read (``inert_kinds``); every plan of
    the scenario library must get exactly what ``compute_payouts`` gives for all the events."""
    from sim.plans.backtest import inert_kinds, price_plan
    from sim.plans.deal_ledger import deals_to_events
    from sim.plans.engine import compute_payouts

    root = Path(request.config.rootpath)
    f = tmp_path / "d.csv"
    f.write_text(
        "id,owner,amount,close_date,type,discount,term_months,csm,account,go_live_date,"
        "implementation,churn_date\n" + "".join(_random_deals(300, 7))
    )
    deals = read_deals(f)
    plans = {}
    for path in sorted((root / "scenarios").glob("*.yaml")):
        for plan in load_scenario(path).plans:
            plans[plan.model_dump_json()] = plan
    assert len(plans) > 10
    led = deals_to_events(deals, 2)
    events = led.events
    skipped = 0
    for plan in plans.values():
        skipped += len(inert_kinds(plan))
        want = compute_payouts(
            events, plan, led.calendar, start_day=led.fiscal_start_day, end_day=led.end_day
        )
        got = price_plan(led, plan)
        assert got.frame().equals(want.frame()), plan.name
    assert skipped > 0  # the shortcut is exercised
