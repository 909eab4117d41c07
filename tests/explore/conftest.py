"""Fixtures of the exploration tests (their shared helpers live in ``ishigami.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ishigami import ISHIGAMI


@pytest.fixture
def ishigami_yaml(tmp_path: Path) -> Path:
    """The Ishigami scenario as a file."""
    path = tmp_path / "ishigami.yaml"
    path.write_text(ISHIGAMI)
    return path
