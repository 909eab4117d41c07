"""The notebooks: stored without outputs, and each runs top to bottom with small settings.

The kernel is the interpreter running the tests (a kernelspec written to a temporary folder), so a
fresh virtual environment needs no globally installed kernel. Small settings reach the notebooks
through environment variables they read: INCENTSIM_NB_REPS (replications per plan),
INCENTSIM_NB_QUICK=1 (a tiny company over one year, serial backend) and INCENTSIM_NB_OUT (where
results folders go).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = [
    "01-quickstart.ipynb",
    "02-compare-plans.ipynb",
    "03-what-drives-nrr.ipynb",
    "04-backtest.ipynb",
    "05-robustness.ipynb",
    "06-calibrate.ipynb",
    "07-design-a-plan.ipynb",
]


def test_the_notebooks_exist() -> None:
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], f"{path.name}: a cell has outputs (strip them before committing)"
        assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    assert "import sim" in "\n".join(c.source for c in code)


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kernelspec folder whose ``python3`` kernel is this interpreter."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / "python3"
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }))
    return root


FAST = {"04-backtest.ipynb"}
"""Notebooks quick enough for the default run (no simulation); the others are marked slow."""


@pytest.mark.parametrize("path", [
    pytest.param(p, id=p.stem, marks=() if p.name in FAST else (pytest.mark.slow,)) for p in NOTEBOOKS
])
def test_notebook_runs(
    path: Path, kernel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    monkeypatch.setenv("INCENTSIM_NB_REPS", "2")
    monkeypatch.setenv("INCENTSIM_NB_QUICK", "1")
    monkeypatch.setenv("INCENTSIM_NB_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    specs = KernelSpecManager(kernel_dirs=[str(kernel_dir)])
    km = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    client = NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()
    keep = os.environ.get("INCENTSIM_NB_KEEP")
    if keep:  # developers: keep the executed notebook to look at its outputs
        nbformat.write(nb, Path(keep) / path.name)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no figure"
    if path.name == "01-quickstart.ipynb":
        assert (tmp_path / "quickstart-seed-plans" / "report.html").is_file()
