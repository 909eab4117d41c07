"""The report opens in a headless browser with every image decoded (skipped without chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.report.plots import FIGURES

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
    assert int(m.group(1)) == len(FIGURES)
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
