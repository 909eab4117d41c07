"""The report in a headless browser (skipped without chromium): every image decodes, no table is
clipped at 1280 or 1400 px, and no two labels of the waterfall overlap (their bounding boxes)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.report import fmt, write_report
from sim.report.plots import FIGURES, INLINE_FIGURES, decision_figures

IMAGES = [n for n in (*FIGURES, *decision_figures()) if n not in INLINE_FIGURES]
"""Figures embedded as images in a report of several plans."""

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images', imgs.length + '/' + ok);
});
</script></body>"""


@pytest.mark.skipif(BROWSER is None, reason="no chromium to open the report with")
def test_every_image_loads_in_a_headless_browser(seed_folder: Path, tmp_path: Path) -> None:
    assert BROWSER is not None
    # A probing copy: the report itself has no script; the copy adds one that counts decoded images.
    probe = tmp_path / "probe.html"
    probe.write_text((seed_folder / "report.html").read_text("utf-8").replace("</body>", PROBE), "utf-8")
    dom = subprocess.run(
        [BROWSER, *FLAGS, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    m = re.search(r'data-images="(\d+)/(\d+)"', dom)
    assert m, "the page did not finish loading"
    assert int(m.group(1)) == len(IMAGES)
    assert m.group(1) == m.group(2)
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            BROWSER,
            *FLAGS,
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1280,3000",
            (seed_folder / "report.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes().startswith(b"\x89PNG")


LAYOUT_PROBE = """<script>
window.addEventListener('load', function () {
  var width = document.documentElement.clientWidth;
  var clipped = [];
  Array.prototype.forEach.call(document.querySelectorAll('table'), function (t, i) {
    var box = t.parentElement;
    var right = t.getBoundingClientRect().right;
    if (box.scrollWidth > box.clientWidth + 1 || right > width + 1) {
      var s = t.closest('section');
      clipped.push((s ? s.id : '?') + '#' + i);
    }
  });
  var labels = Array.prototype.slice.call(
    document.querySelectorAll('#figure-waterfall svg g[id^="wf-"]'));
  var rects = labels.map(function (g) { return g.getBoundingClientRect(); });
  var overlaps = [];
  for (var a = 0; a < rects.length; a++) {
    for (var b = a + 1; b < rects.length; b++) {
      var w = Math.min(rects[a].right, rects[b].right) - Math.max(rects[a].left, rects[b].left);
      var h = Math.min(rects[a].bottom, rects[b].bottom) - Math.max(rects[a].top, rects[b].top);
      if (w > 0.5 && h > 0.5) { overlaps.push(labels[a].id + '/' + labels[b].id); }
    }
  }
  document.body.setAttribute('data-layout', JSON.stringify(
    {width: window.innerWidth, tables: document.querySelectorAll('table').length, clipped: clipped,
     labels: labels.length, overlaps: overlaps}));
});
</script></body>"""


def layout(page: Path, tmp_path: Path, width: int) -> dict[str, object]:
    """What :data:`LAYOUT_PROBE` finds on ``page`` in a window ``width`` pixels wide."""
    assert BROWSER is not None
    probe = tmp_path / f"layout-{width}.html"
    probe.write_text(page.read_text("utf-8").replace("</body>", LAYOUT_PROBE), "utf-8")
    dom = subprocess.run(
        [BROWSER, *FLAGS, f"--window-size={width},2000", "--virtual-time-budget=10000", "--dump-dom",
         probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout  # fmt: skip
    m = re.search(r"data-layout=\"([^\"]*)\"", dom)
    assert m, "the page did not finish loading"
    found: dict[str, object] = json.loads(html.unescape(m.group(1)))
    return found


@pytest.fixture(scope="module")
def wide_numbers_folder(seed_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed-plans folder with every money metric x 37.3 and noise of about a point on the
    ratios: the flagship's full-size numbers (millions, long intervals, differences of a few
    percentage points) in every table, without a full-size run. The report of main before this
    change clipped its differences table on such numbers."""
    out = tmp_path_factory.mktemp("wide") / "seed-plans"
    shutil.copytree(seed_folder, out)
    res = sim.Results.load(out)
    reps = res.replications
    money = [c for c in reps.columns if fmt.is_money(c)]
    reps[money] = reps[money] * 37.3
    # ratios that differ between plans by a few points, as they do at full size
    rng = np.random.default_rng(7)
    ratios = [c for c in ("grr", "nrr", "logo_churn", "cost_of_sales", "mean_discount", "period_end_share",
                          "second_order_share") if c in reps.columns]  # fmt: skip
    reps[ratios] = reps[ratios] + rng.normal(0.0, 0.012, size=(len(reps), len(ratios)))
    write_report(out, res)
    return out


@pytest.mark.skipif(BROWSER is None, reason="no chromium to open the report with")
@pytest.mark.parametrize("width", [1280, 1400])
def test_no_table_is_clipped_with_full_size_numbers(
    wide_numbers_folder: Path, tmp_path: Path, width: int
) -> None:
    found = layout(wide_numbers_folder / "report.html", tmp_path, width)
    assert found["clipped"] == []
    assert found["overlaps"] == []


@pytest.mark.skipif(BROWSER is None, reason="no chromium to open the report with")
@pytest.mark.parametrize("width", [1280, 1400])
def test_no_table_is_clipped_and_no_waterfall_label_overlaps(
    seed_folder: Path, tmp_path: Path, width: int
) -> None:
    found = layout(seed_folder / "report.html", tmp_path, width)
    assert found["width"] == width
    assert int(found["tables"]) >= 10  # type: ignore[call-overload]
    assert found["clipped"] == []
    assert int(found["labels"]) >= 6 * 9 * 2  # type: ignore[call-overload]  # six plans, value and step labels
    assert found["overlaps"] == []


@pytest.mark.skipif(BROWSER is None, reason="no chromium to open the report with")
def test_the_layout_probe_sees_a_clipped_table_and_overlapping_labels(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><body><section id="s"><div class="wide" style="overflow-x:auto">'
        '<table style="width:3000px"><tr><td>x</td></tr></table></div></section>'
        '<figure id="figure-waterfall"><svg width="200" height="50">'
        '<g id="wf-value-0-0"><text x="10" y="20">+$1.00M</text></g>'
        '<g id="wf-value-0-1"><text x="14" y="22">+$2.00M</text></g></svg></figure></body></html>',
        "utf-8",
    )
    found = layout(page, tmp_path, 1280)
    assert found["clipped"] == ["s#0"]
    assert found["labels"] == 2
    assert found["overlaps"] == ["wf-value-0-0/wf-value-0-1"]
