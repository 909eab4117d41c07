"""The report's cash section: the cash curve and the DSO / collection table when billing is on."""

from __future__ import annotations

import re
from pathlib import Path

import sim
from sim.report import write_report


def test_billing_on_draws_the_cash_curve_and_the_collection_numbers(
    tmp_path: Path, tiny: dict[str, object], scenarios: Path
) -> None:
    overrides = {
        **tiny,
        "company.billing.enabled": True,
        "company.billing.frequency": "quarterly",
        "company.billing.default_probability": 0.02,
    }
    res = sim.run(
        scenarios / "base-company.yaml", reps=2, backend="serial", out=tmp_path / "cash", set=overrides
    )
    path = write_report(tmp_path / "cash", res)
    text = path.read_text()
    assert (tmp_path / "cash" / "plots" / "cash-curve.png").stat().st_size > 1000
    section = text[text.index('id="cash"') :]
    section = section[: section.index("</section>")]
    assert "Figure not drawn" not in section and "<img" in section
    dso = float(re.sub(r"<[^>]+>", " ", section.split("<tbody>")[1]).split()[1])
    summ = res.summary(["dso"])
    mean = summ[summ["plan"] == res.plans[0]]["mean"].iloc[0]
    assert abs(dso - float(mean)) < 0.05 and 30 < dso < 90  # net 30 + delays


def test_billing_off_has_no_cash_figure(tmp_path: Path, tiny: dict[str, object], scenarios: Path) -> None:
    res = sim.run(
        scenarios / "base-company.yaml", reps=2, backend="serial", out=tmp_path / "off", set=dict(tiny)
    )
    text = write_report(tmp_path / "off", res, save_plots=False).read_text()
    section = text[text.index('id="cash"') :]
    section = section[: section.index("</section>")]
    assert "Billing is off" in section and "<img" not in section and "DSO" in section
