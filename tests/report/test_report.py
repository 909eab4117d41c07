"""report.html and plots/ from results folders of tiny real runs."""

from __future__ import annotations

import base64
import io
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from sim.cli import main
from sim.report import SECTIONS, NotAResultsFolder, write_report
from sim.report.data import ReportData
from sim.report.outcome_plots import waterfall_table
from sim.report.plots import FIGURES, INLINE_FIGURES, decision_figures
from sim.results import Results

ALL_FIGURES = {*FIGURES, *decision_figures()}
"""Every figure a report of several plans draws (``plots/<name>.png``)."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


class _Page(HTMLParser):
    """Collects img sources, headings, links and scripts of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.svgs: list[str] = []
        self.headings: list[str] = []
        self.hrefs: list[str] = []
        self.scripts = 0
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        elif tag == "svg":
            self.svgs.append(a.get("viewbox") or "")
        elif tag in ("h1", "h2", "h3"):
            self._in = tag
            self.headings.append("")
        elif tag in ("a", "link"):
            self.hrefs.append(a.get("href") or "")
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.headings[-1] += data


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text("utf-8"))
    return page


def decode_png(src: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix), src[:40]
    raw = base64.b64decode(src[len(prefix) :], validate=True)
    assert raw.startswith(PNG_MAGIC)
    img = Image.open(io.BytesIO(raw))
    img.verify()
    return Image.open(io.BytesIO(raw))


def test_report_is_self_contained_with_every_section_and_figure(seed_folder: Path) -> None:
    report = seed_folder / "report.html"
    assert report.is_file()
    page = parse(report)
    assert page.scripts == 0
    assert all(h.startswith("#") for h in page.hrefs), page.hrefs
    for _anchor, heading in SECTIONS:
        assert heading in page.headings, heading
    assert len(page.imgs) == len(ALL_FIGURES) - len(INLINE_FIGURES)
    assert len(page.svgs) == len(INLINE_FIGURES)
    for src in page.imgs:
        img = decode_png(src)
        assert img.size[0] > 300 and img.size[1] > 150
        # not a blank canvas: a figure has many distinct colours
        assert len(img.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 20
    for name in ALL_FIGURES:
        png = seed_folder / "plots" / f"{name}.png"
        assert png.read_bytes().startswith(PNG_MAGIC), name
    text = report.read_text("utf-8")
    assert "Figure not drawn" not in text
    # money and ratios are formatted for people
    assert re.search(r"\$\d+(\.\d+)?[kM]", text)
    assert re.search(r"\d+\.\d%", text)
    assert " pp" in text
    # winners gain and losers lose
    assert "<td>winner</td>" in text and "<td>loser</td>" in text
    assert not re.search(r"<td>loser</td>(?:(?!</tr>).)*class=\"better\"", text)
    assert not re.search(r"<td>winner</td>(?:(?!</tr>).)*class=\"worse\"", text)


def test_report_names_the_question_plans_and_run(seed_folder: Path) -> None:
    res = Results.load(seed_folder)
    text = (seed_folder / "report.html").read_text("utf-8")
    assert res.scenario.description.split()[0] in text
    for plan in res.scenario.plans:
        assert f"<b>{plan.name}</b>" in text
        if plan.description:
            assert plan.description.replace('"', "&quot;") in text
    assert str(res.metadata["seed"]) in text
    assert res.metadata["incentsim_version"] in text
    assert "serial" in text


def test_cli_rebuilds_the_report(
    single_plan_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(single_plan_folder, folder)
    before = {p.name: p.read_bytes() for p in (folder / "plots").glob("*.png")}
    assert before
    shutil.rmtree(folder / "plots")
    (folder / "report.html").unlink()
    assert main(["report", str(folder)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {folder / 'report.html'}"
    assert (folder / "report.html").is_file()
    after = {p.name: p.read_bytes() for p in (folder / "plots").glob("*.png")}
    assert after == before  # the same folder gives the same figures, byte for byte


@pytest.mark.parametrize("kind", ["empty", "missing", "file"])
def test_cli_rejects_a_folder_that_is_not_a_results_folder(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x"
    if kind == "empty":
        target.mkdir()
    elif kind == "file":
        target.write_text("hello")
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: {target}: (folder): ")
    with pytest.raises(NotAResultsFolder):
        write_report(target)


@pytest.mark.parametrize("broken", ["config", "table"])
def test_cli_rejects_a_corrupt_results_folder(
    broken: str, seed_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "corrupt"
    folder.mkdir()
    for name in ("config.resolved.yaml", "replications.parquet", "metadata.json"):
        shutil.copy(seed_folder / name, folder / name)
    if broken == "config":
        (folder / "config.resolved.yaml").write_text("company: {horizon_years: -1}\n")
    else:
        (folder / "replications.parquet").write_bytes(b"not parquet")
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {folder}: (folder): ")
    assert ("config.resolved.yaml" in err[0]) == (broken == "config")
    assert not (folder / "report.html").exists()


def test_missing_optional_files_give_notes_not_crashes(seed_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "partial"
    shutil.copytree(seed_folder, folder)
    (folder / "details.parquet").unlink()
    (folder / "timeseries.parquet").unlink()
    reps = pd.read_parquet(folder / "replications.parquet")
    reps.drop(columns=["new_arr_referral", "new_arr_champion", "price_erosion_usd"]).to_parquet(
        folder / "replications.parquet"
    )
    path = write_report(folder)
    text = path.read_text("utf-8")
    page = parse(path)
    drawn = {p.stem for p in (folder / "plots").glob("*.png")}
    # figures needing per-replication details are gone (and their old PNGs removed)
    for name in ("arr-over-time", "attainment", "discount", "close-week", "winners-losers"):
        assert name not in drawn
    assert {"forest", "waterfall", "payout-by-role", "second-order"} <= drawn
    assert len(page.imgs) == len(drawn - INLINE_FIGURES)
    assert text.count("Figure not drawn") == len(ALL_FIGURES) - len(drawn)
    assert "details.parquet" in text
    assert "price_erosion_usd" in text  # the waterfall notes the missing column


def test_embedded_only_writes_no_pngs(single_plan_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "embedded"
    shutil.copytree(single_plan_folder, folder, ignore=shutil.ignore_patterns("plots", "report.html"))
    path = write_report(folder, save_plots=False)
    assert not (folder / "plots").exists()
    imgs = parse(path).imgs
    assert imgs
    for src in imgs:
        decode_png(src)


def test_two_builds_of_one_folder_are_the_same_file(
    single_plan_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "twice"
    shutil.copytree(single_plan_folder, folder, ignore=shutil.ignore_patterns("plots", "report.html"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the footer's build time, fixed
    first = write_report(folder, save_plots=False).read_bytes()
    second = write_report(folder, save_plots=False).read_bytes()
    assert first == second  # no drawing time in the inline SVGs either
    assert b"<svg" in first and b"<th>Report built</th><td>2026-01-01T00:00:00Z</td>" in first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "tomorrow")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH: expected whole seconds"):
        write_report(folder, save_plots=False)


def test_single_plan_folder(single_plan_folder: Path) -> None:
    path = single_plan_folder / "report.html"
    text = path.read_text("utf-8")
    assert "Only one plan" in text
    page = parse(path)
    for src in page.imgs:
        decode_png(src)
    drawn = {p.stem for p in (single_plan_folder / "plots").glob("*.png")}
    assert "forest" not in drawn and "winners-losers" not in drawn
    assert {"arr-over-time", "waterfall", "attainment"} <= drawn
    assert len(page.imgs) == len(drawn - INLINE_FIGURES)


def test_waterfall_reconciles_to_ending_arr(seed_folder: Path) -> None:
    data = ReportData(Results.load(seed_folder))
    table = waterfall_table(data)
    reps = data.replications
    assert list(table) == data.plans
    for plan, bars in table.items():
        names = [n for n, _ in bars]
        assert names[0] == "Starting ARR" and names[-1] == "Ending ARR"
        assert "Other" not in names  # the world's ARR movements reconcile exactly
        moves = sum(v for _, v in bars[1:-1])
        assert bars[0][1] + moves == pytest.approx(bars[-1][1], rel=1e-9)
        assert bars[-1][1] == pytest.approx(reps.loc[reps["plan"] == plan, "ending_arr"].mean())


def test_people_diffs_pair_the_same_person_and_replication(seed_folder: Path) -> None:
    res = Results.load(seed_folder)
    det = res.details
    people = det[det["kind"] == "people_pay"]
    baseline, other = res.baseline, res.plans[1]
    # synthetic pay: baseline 100/person, the other plan +30 for ae:0 and no entry for csm:5
    rows = []
    for rep in (0, 1):
        for person, base, mine in (("ae:0", 100.0, 130.0), ("ae:1", 100.0, 100.0), ("csm:5", 50.0, None)):
            rows.append(
                {"plan": baseline, "replication": rep, "kind": "people_pay", "key": person, "values": [base]}
            )
            if mine is not None:
                rows.append(
                    {"plan": other, "replication": rep, "kind": "people_pay", "key": person, "values": [mine]}
                )
    # without the staff roster (a folder from an older version): everyone paid under either plan
    synthetic = pd.concat(
        [det[~det["kind"].isin(["people_pay", "people"])], pd.DataFrame(rows)], ignore_index=True
    )
    assert len(people) > 0
    data = ReportData(Results(res.scenario, res.replications, res.timeseries, synthetic, None, res.metadata))
    d = data.people_diffs
    mine = d[d["plan"] == other].set_index(["replication", "person"])["diff"]
    years = res.scenario.company.horizon_years
    assert mine[(0, "ae:0")] == pytest.approx(30.0 / years)
    assert mine[(1, "ae:1")] == pytest.approx(0.0)
    assert mine[(0, "csm:5")] == pytest.approx(-50.0 / years)  # paid nothing under the plan
    assert set(d["plan"]) == {other}  # plans without people pay are left out
    # with the roster: the people on staff from day 0 under both plans, later hires left out
    staff = []
    for plan in res.plans:
        for rep in (0, 1):
            for person, hired in (("ae:0", 0.0), ("ae:1", 0.0), ("csm:5", 0.0), ("ae:9", 120.0)):
                staff.append(
                    {
                        "plan": plan,
                        "replication": rep,
                        "kind": "people",
                        "key": person,
                        "values": [hired, math.inf],
                    }
                )
    rows += [
        {"plan": other, "replication": r, "kind": "people_pay", "key": "ae:9", "values": [77.0]}
        for r in (0, 1)
    ]
    with_roster = pd.concat([synthetic, pd.DataFrame(rows[-2:]), pd.DataFrame(staff)], ignore_index=True)
    data = ReportData(
        Results(res.scenario, res.replications, res.timeseries, with_roster, None, res.metadata)
    )
    d = data.people_diffs
    assert set(d["person"]) == {"ae:0", "ae:1", "csm:5"}  # the later hire ae:9 is not the same person
    assert set(d["plan"]) == set(res.plans) - {baseline}  # the same people under every plan
    assert d.groupby("plan").size().nunique() == 1  # every plan compared over as many people
    mine = d[d["plan"] == other].set_index(["replication", "person"])["diff"]
    assert mine[(1, "ae:0")] == pytest.approx(30.0 / years)
    assert mine[(1, "csm:5")] == pytest.approx(-50.0 / years)


def test_minimal_folder_from_the_fake_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder with only the core metric columns and few distributions (the experiment tests' fake
    replication, one failing replication) still gives a report, with notes for what is missing."""
    import sim

    monkeypatch.syspath_prepend(str(SCENARIOS.parent / "tests" / "experiment"))
    text = (
        "extends: base-company.yaml\nname: fake\nplans:\n"
        "  - {name: conventional, based_on: conventional}\n"
        "  - {name: richer, based_on: conventional, ae: {base_salary_annual_usd: 110000}}\n"
        "experiment: {replications: 4, max_replications: 4, precision: {}}\n"
    )
    from sim.scenario import load_scenario_text

    scenario = load_scenario_text(text, "fake.yaml", base_dir=SCENARIOS)
    with pytest.warns(RuntimeWarning):
        sim.run(scenario, replicate="experiment_fakes:failing_replicate", out=tmp_path / "fake")
    path = write_report(tmp_path / "fake")
    html_text = path.read_text("utf-8")
    assert "replication(s) failed" in html_text
    drawn = {p.stem for p in (tmp_path / "fake" / "plots").glob("*.png")}
    assert {"forest", "arr-over-time", "discount", "winners-losers"} <= drawn
    assert "waterfall" not in drawn and "attainment" not in drawn  # no ARR bridge columns, no samples
    assert html_text.count("Figure not drawn") == len(ALL_FIGURES) - len(drawn)
    for src in parse(path).imgs:
        decode_png(src)


def test_unit_economics_by_segment_are_in_the_report_and_summary(seed_folder: Path) -> None:
    import pandas as pd

    text = (seed_folder / "report.html").read_text("utf-8")
    section = text[text.index('id="economics"') :]
    section = section[: section.index("</section>")]
    for label in ("CEC", "CUC", "Headwind", "Tailwind", "CAC per $ new ACV", "mid-market", "enterprise"):
        assert label in section, label
    assert "No unit-economics metrics" not in section
    summary = pd.read_csv(seed_folder / "summary.csv")
    for m in ("cec_smb", "cuc_enterprise", "headwind_usd_mid_market", "tailwind_usd_smb", "cac_ratio"):
        assert m in set(summary["metric"]), m
