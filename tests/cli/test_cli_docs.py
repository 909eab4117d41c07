"""docs/cli.md shows real output: its example error lines are what the CLI prints today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.cli import main

REPO = Path(__file__).resolve().parent.parent.parent
DOC = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
EXAMPLES = [
    line for line in DOC.splitlines() if line.startswith("error: tests/corpus/") and "..." not in line
]


def test_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("line", EXAMPLES, ids=[line.split(": ")[1] for line in EXAMPLES])
def test_example_error_line_is_real(
    line: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    file = line.split(": ")[1]
    if file == "tests/corpus/extends_cycle_b.yaml":  # the cycle is reported in the file closing it
        file = "tests/corpus/extends_cycle_a.yaml"
    assert main(["validate", file]) == 2
    assert capsys.readouterr().err.splitlines()[0] == line


def test_documented_commands_exist() -> None:
    for command in ("validate", "schema"):
        assert f"## `incentsim {command}" in DOC
    assert re.search(r"\| 2 \| invalid input", DOC)
    assert re.search(r"\| 1 \| runtime failure", DOC)
