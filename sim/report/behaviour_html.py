"""The report's behaviour sections: attainment, discounts, deal timing, second-order effects, and who
wins and loses under each plan."""

from __future__ import annotations

from sim.report import fmt
from sim.report.data import MissingData
from sim.report.page import Page, cell, esc, table
from sim.vocabulary import ROLE_LABELS, ROLES


def attainment_section(page: Page) -> None:
    page.section("attainment")
    page.add(
        '<p class="explain">Quota attainment of each AE employed for a whole quota period, pooled '
        "over replications; the baseline's distribution is outlined in black on every other plan's "
        "panel. Values above the 99.5th percentile are counted in the last bin.</p>"
    )
    page.figure("attainment", "Quota attainment histograms.")
    page.end()


def discounts_section(page: Page) -> None:
    page.section("discounts")
    page.add('<p class="explain">Discount given on each new-logo deal, pooled over replications.</p>')
    page.figure("discount", "Discount histograms.")
    page.end()


def timing_section(page: Page) -> None:
    page.section("timing")
    page.add(
        '<p class="explain">Where in the fiscal quarter new deals close. Plans that pay on quarterly '
        "attainment with accelerators pull deals into the last weeks (shaded).</p>"
    )
    page.figure("close-week", "Share of new deals by week of the quarter.")
    page.end()


def second_order_section(page: Page) -> None:
    page.section("second-order")
    page.add(
        '<p class="explain">Second-order revenue is new ARR that existing customers bring: referrals '
        "from promoters and former champions who moved to a new company.</p>"
    )
    page.figure("second-order", "Second-order share of new ARR and new ARR by source.")
    page.end()


def people_section(page: Page, top: int = 5) -> None:
    data = page.data
    page.section("people")
    if not data.others:
        page.missing("Only one plan: no winners or losers against a baseline.")
        page.end()
        return
    page.add(
        '<p class="explain">Each person\'s variable pay per year under a plan minus their pay under the '
        "baseline in the same replication, for the same people: everyone on staff at the start "
        "(common random numbers give them the same ids in replication k of every plan; people hired "
        "later differ between plans and are left out). Someone who left, or earned no variable pay, "
        "counts as $0 for the rest of the horizon. Person ids are positions in the simulated team "
        "(role:number); the lists average each person over every replication.</p>"
    )
    page.figure("winners-losers", "Distribution of per-person pay changes vs the baseline.")
    try:
        diffs = data.people_diffs
    except MissingData as exc:
        page.missing(f"No winners/losers tables: {exc}.")
        page.end()
        return
    rows = []
    for plan in data.others:
        sub = diffs[diffs["plan"] == plan]
        if sub.empty:
            continue
        for role in [r for r in ROLES if r in set(sub["role"])]:
            s = sub[sub["role"] == role]
            if not (s["value_base"].abs().sum() or s["value_plan"].abs().sum()):
                continue  # nobody in the role earns variable pay under either plan
            rows.append(
                [
                    f"<td><b>{esc(plan)}</b></td>",
                    cell(ROLE_LABELS[role]),
                    cell(str(len(s))),
                    cell(fmt.money(float(s["value_base"].mean()))),
                    cell(fmt.money(float(s["diff"].mean()), signed=True)),
                    cell(fmt.pct(float((s["diff"] > 0.5).mean()), 0)),
                    cell(fmt.pct(float((s["diff"] < -0.5).mean()), 0)),
                ]
            )
    page.add("<h3>By role</h3>")
    page.add(
        table(
            [
                "plan",
                "role",
                "person-replications",
                f"mean pay under {data.baseline}",
                "mean change",
                "gain",
                "lose",
            ],
            rows,
            raw=True,
        )
    )
    page.add("<h3>Biggest winners and losers (mean change per year over replications)</h3>")
    blocks = []
    for plan in data.others:
        sub = diffs[diffs["plan"] == plan]
        if sub.empty:
            continue
        per = (
            sub.groupby("person")
            .agg(
                role=("role", "first"),
                base=("value_base", "mean"),
                change=("diff", "mean"),
                n=("diff", "size"),
            )
            .reset_index()
        )
        # a mean over one replication is not a finding: only people seen in every replication
        per = per[per["n"] >= sub["replication"].nunique()]
        per = per.sort_values(["change", "person"], ascending=[False, True])
        win = per[per["change"] > 0.5].head(top)
        lose = per[per["change"] < -0.5].sort_values(["change", "person"]).head(top)
        rows = []
        for label, part in (("winner", win), ("loser", lose)):
            for _, r in part.iterrows():
                cls = "better" if r["change"] > 0 else ("worse" if r["change"] < 0 else "")
                rows.append(
                    [
                        f"<td>{esc(label)}</td>",
                        f'<td class="text">{esc(r["person"])}</td>',
                        cell(fmt.money(float(r["base"]))),
                        cell(fmt.money(float(r["change"]), signed=True), cls=cls),
                        cell(str(int(r["n"]))),
                    ]
                )
        if not rows:
            rows.append(['<td colspan="5">nobody gains or loses more than $1 a year</td>'])
        blocks.append(
            f"<div><h3>{esc(plan)}</h3>"
            + table(
                ["", "person", f"pay under {data.baseline}", "change", "reps"], rows, raw=True, text_columns=2
            )
            + "</div>"
        )
    page.add('<div class="cols">' + "".join(blocks) + "</div>")
    page.end()
